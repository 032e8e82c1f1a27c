//! User SQL shared by both stores (written with PostgreSQL's `$N` placeholders; the SQLite store rewrites them
//! to `?N` once, `lite::numbered`), and the one list of values a user write binds (`UserWrite::args`), in the
//! order of `WRITE_COLUMNS`, so that the two stores cannot drift.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use time::OffsetDateTime;
use userbase_core::store::{NewUserRecord, UniqueClaims};
use userbase_core::user::{BuiltonExtras, Profile, User, UserStatus};
use userbase_core::values::GroupRef;

use crate::sql::rows::RefJson;
use crate::sql::sink::Arg;
use crate::sql::time::DbTime;

/// How often a user insert is retried when its random human id collides.
pub const HUMAN_ID_ATTEMPTS: usize = 5;

pub const USER_COLUMNS: &str = "id, project_id, public_id, object_id, human_id, auth_subject, email, \
    email_verified, salutation, first_name, middle_name, last_name, full_name, abbreviation, birth_date, gender, \
    phone, mobile, locale, country_code, company_name, login, debtor_id, tax_number, coc_number, pricelist_amount, \
    pricelist_percentage, parent_group, external_refs, metadata, tags, bio, note, image_ref, avatar, \
    default_payment_method_ref, roles, default_organization_id, builton, status, created_at, updated_at, \
    last_login_at, deleted_at, version";

/// How many columns every write sets.
pub const WRITE_COUNT: usize = 40;

/// The columns every write sets, in the order `UserWrite::args` lists their values.
const WRITE_COLUMNS: [&str; WRITE_COUNT] = [
    "auth_subject",
    "email",
    "email_normalized",
    "email_unique",
    "email_verified",
    "salutation",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "abbreviation",
    "birth_date",
    "gender",
    "phone",
    "mobile",
    "locale",
    "country_code",
    "company_name",
    "login",
    "debtor_id",
    "tax_number",
    "coc_number",
    "pricelist_amount",
    "pricelist_percentage",
    "parent_group",
    "external_refs",
    "metadata",
    "tags",
    "bio",
    "note",
    "image_ref",
    "avatar",
    "default_payment_method_ref",
    "roles",
    "default_organization_id",
    "builton",
    "status",
    "updated_at",
    "last_login_at",
    "deleted_at",
];

/// `$1..$5` are project_id, public_id, object_id, human_id, created_at; the write columns follow.
pub static INSERT_USER_VALUES: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (6..6 + WRITE_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO users (project_id, public_id, object_id, human_id, created_at, {}) VALUES ($1, $2, $3, $4, $5, {})",
        WRITE_COLUMNS.join(", "),
        params.join(", ")
    )
});

/// `INSERT_USER_VALUES` answering with the stored row.
pub static INSERT_USER: LazyLock<String> =
    LazyLock::new(|| format!("{} RETURNING {USER_COLUMNS}", *INSERT_USER_VALUES));

/// The column list of a multi-row user insert; `VALUES` rows follow.
pub static INSERT_USER_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO users (project_id, public_id, object_id, human_id, created_at, {}) ", WRITE_COLUMNS.join(", "))
});

/// `$1..$3` are project_id, id and the expected version; the write columns follow.
pub static UPDATE_USER: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = WRITE_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 4)).collect();
    format!(
        "UPDATE users SET {}, version = version + 1 \
         WHERE project_id = $1 AND id = $2 AND version = $3 RETURNING {USER_COLUMNS}",
        sets.join(", ")
    )
});

/// PostgreSQL, many users in one statement: the start, up to the rows (`UPDATE ... FROM (`); the rows are
/// `VALUES (project, id, version, <the write columns>), ...`, then `UPDATE_USERS_TAIL`. A row whose version is
/// stale matches nothing and returns nothing.
pub static UPDATE_USERS_HEAD: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = WRITE_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = v.w{i}")).collect();
    format!("UPDATE users AS u SET {}, version = u.version + 1 FROM (", sets.join(", "))
});
pub static UPDATE_USERS_TAIL: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<String> = (0..WRITE_COLUMNS.len()).map(|i| format!("w{i}")).collect();
    format!(
        ") AS v(k_project, k_id, k_version, {}) \
         WHERE u.project_id = v.k_project AND u.id = v.k_id AND u.version = v.k_version RETURNING {USER_COLUMNS}",
        names.join(", ")
    )
});

pub static USER_BY_PUBLIC_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE project_id = $1 AND public_id = $2"));
pub static USER_BY_OBJECT_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE project_id = $1 AND object_id = $2"));
pub static USER_BY_NUMERIC_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE project_id = $1 AND id = $2"));
/// Prefers the live user holding the subject over deleted ones.
pub static USER_BY_AUTH_SUBJECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {USER_COLUMNS} FROM users WHERE project_id = $1 AND auth_subject = $2 \
         ORDER BY (deleted_at IS NULL) DESC, id DESC LIMIT 1"
    )
});

pub const DELETE_REFS: &str = "DELETE FROM user_external_refs WHERE user_id = $1";
pub const INSERT_REF: &str =
    "INSERT INTO user_external_refs (user_id, project_id, source, source_id, live) VALUES ($1, $2, $3, $4, $5)";

/// The values of the write columns (`WRITE_COLUMNS`) for one user, borrowed where possible.
pub struct UserWrite<'a> {
    profile: &'a Profile,
    email_normalized: Option<String>,
    email_unique: bool,
    external_refs: Vec<RefJson>,
    builton: &'a BuiltonExtras,
    status: UserStatus,
    updated_at: OffsetDateTime,
    last_login_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
}

impl<'a> UserWrite<'a> {
    pub fn for_insert(r: &'a NewUserRecord) -> Self {
        Self::new(&r.profile, &r.builton, r.status, r.claims, r.created_at, r.last_login_at, None)
    }

    pub fn for_update(u: &'a User, claims: UniqueClaims) -> Self {
        Self::new(&u.profile, &u.builton, u.status, claims, u.updated_at, u.last_login_at, u.deleted_at)
    }

    fn new(
        profile: &'a Profile,
        builton: &'a BuiltonExtras,
        status: UserStatus,
        claims: UniqueClaims,
        updated_at: OffsetDateTime,
        last_login_at: Option<OffsetDateTime>,
        deleted_at: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            profile,
            email_normalized: profile.email.as_ref().map(|e| e.normalized()),
            email_unique: claims.email,
            external_refs: profile.external_refs.iter().map(RefJson::from).collect(),
            builton,
            status,
            updated_at,
            last_login_at,
            deleted_at,
        }
    }

    /// The values in `WRITE_COLUMNS` order, as both drivers bind them.
    pub fn args(&self) -> [Arg<'_>; WRITE_COUNT] {
        let p = self.profile;
        let metadata: &BTreeMap<String, String> = p.metadata.as_map();
        [
            p.auth_subject.as_deref().into(),
            p.email.as_ref().map(|e| e.as_str()).into(),
            self.email_normalized.as_deref().into(),
            self.email_unique.into(),
            p.email_verified.into(),
            p.salutation.as_deref().into(),
            p.first_name.as_deref().into(),
            p.middle_name.as_deref().into(),
            p.last_name.as_deref().into(),
            p.full_name.as_deref().into(),
            p.abbreviation.as_deref().into(),
            p.birth_date.into(),
            p.gender.map(|g| g.code()).into(),
            p.phone.as_deref().into(),
            p.mobile.as_deref().into(),
            p.locale.as_ref().map(|l| l.as_str()).into(),
            p.country.map(|c| c.as_str()).into(),
            p.company_name.as_deref().into(),
            p.login.as_deref().into(),
            p.debtor_id.as_deref().into(),
            p.tax_number.as_deref().into(),
            p.coc_number.as_deref().into(),
            p.pricelist_amount.as_deref().into(),
            p.pricelist_percentage.as_deref().into(),
            Arg::json_or_null::<GroupRef>(p.parent_group.as_ref()),
            Arg::json(&self.external_refs),
            Arg::json(metadata),
            Arg::json(&p.tags),
            p.bio.as_deref().into(),
            p.note.as_deref().into(),
            p.image_ref.as_deref().into(),
            p.avatar.as_deref().into(),
            p.default_payment_method_ref.as_deref().into(),
            Arg::json(&p.roles),
            p.default_organization_id.into(),
            Arg::json(self.builton),
            self.status.as_str().into(),
            DbTime(self.updated_at).into(),
            self.last_login_at.map(DbTime).into(),
            self.deleted_at.map(DbTime).into(),
        ]
    }
}
