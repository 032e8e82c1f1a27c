//! SQL text shared by both backends (written with PostgreSQL's `$N` placeholders; the SQLite store rewrites
//! them to `?N` once, `lite::numbered`), and the one builder of list filters, so that the two stores cannot
//! drift.

use std::sync::LazyLock;

use userbase_core::page::{Keyset, Position, SortField, SortKey, SortValue};
use userbase_core::store::UserFilter;

use crate::db_time::DbTime;
use crate::filter_sql::{Compiler, Flavor};
use crate::sink::SqlSink;

pub const USER_COLUMNS: &str = "id, project_id, public_id, object_id, human_id, auth_subject, email, \
    email_verified, salutation, first_name, middle_name, last_name, full_name, abbreviation, birth_date, gender, \
    phone, mobile, locale, country_code, company_name, login, debtor_id, tax_number, coc_number, pricelist_amount, \
    pricelist_percentage, parent_group, external_refs, metadata, tags, bio, note, image_ref, avatar, \
    default_payment_method_ref, roles, default_organization_id, builton, status, created_at, updated_at, \
    last_login_at, deleted_at, version";

/// The columns every write sets, in the order `bind_user_write!` binds them.
const WRITE_COLUMNS: [&str; 40] = [
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

pub const INSERT_PROJECT: &str =
    "INSERT INTO projects (id, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)";
pub const PROJECT_COLUMNS: &str = "id, name, settings, created_at, updated_at";
pub static PROJECT_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"));
pub static ALL_PROJECTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY created_at, id"));

pub const UPDATE_PROJECT: &str = "UPDATE projects SET name = $2, settings = $3, updated_at = $4 WHERE id = $1";
pub const TOUCH_KEY: &str =
    "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
pub const KEY_COLUMNS: &str =
    "id, project_id, kind, name, prefix, user_id, scopes, created_at, expires_at, revoked_at, last_used_at";
pub const INSERT_KEY: &str = "INSERT INTO api_keys (id, project_id, kind, name, prefix, secret_hash, user_id, \
    scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub const KEY_WITH_PROJECT: &str = "SELECT k.id, k.project_id, k.kind, k.name, k.prefix, k.user_id, k.scopes, \
    k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.secret_hash, p.name AS p_name, \
    p.settings AS p_settings, p.created_at AS p_created_at, p.updated_at AS p_updated_at \
    FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = $1";
pub static KEYS_OF_PROJECT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE project_id = $1 ORDER BY created_at, id"));
pub static REVOKE_KEY: LazyLock<String> = LazyLock::new(|| {
    format!("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING {KEY_COLUMNS}")
});

pub const DELETE_EXPIRED_IDEMPOTENCY_KEY: &str =
    "DELETE FROM idempotency_keys WHERE project_id = $1 AND key = $2 AND created_at < $3";
pub const CLAIM_IDEMPOTENCY_KEY: &str = "INSERT INTO idempotency_keys (project_id, key, request_hash, created_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING key";
pub const IDEMPOTENCY_KEY: &str = "SELECT request_hash, status, response_body, response_headers \
    FROM idempotency_keys WHERE project_id = $1 AND key = $2";
pub const COMPLETE_IDEMPOTENCY_KEY: &str = "UPDATE idempotency_keys SET status = $3, response_body = $4, \
    response_headers = $5 WHERE project_id = $1 AND key = $2";
pub const RELEASE_IDEMPOTENCY_KEY: &str = "DELETE FROM idempotency_keys WHERE project_id = $1 AND key = $2";

/// Appends `WHERE ...` for the project, the filter and the position in the order given by `sort`.
pub fn push_user_conditions<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    sort: &[SortKey],
    position: &'a Position,
    flavor: Flavor,
) {
    qb.push(" WHERE project_id = ").push_bind(project);
    if !filter.include_deleted {
        qb.push(" AND deleted_at IS NULL");
    }
    if let Some(email) = &filter.email_normalized {
        qb.push(" AND email_normalized = ").push_bind(email.as_str());
    }
    if let Some(expr) = &filter.expr {
        qb.push(" AND ");
        Compiler { flavor }.push(qb, expr);
    }
    match position {
        Position::First => {}
        Position::After(id) => {
            qb.push(" AND id < ").push_bind(*id);
        }
        Position::Before(id) => {
            qb.push(" AND id > ").push_bind(*id);
        }
        Position::AfterKey(key) => push_keyset(qb, sort, key, false),
        Position::BeforeKey(key) => push_keyset(qb, sort, key, true),
    }
}

/// The SQL a sort key orders by. Text is compared lowercased with no value first, so keys are never NULL.
pub fn sort_expr(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::Email => "COALESCE(email_normalized, '')",
        SortField::FirstName => "COALESCE(lower(first_name), '')",
        SortField::LastName => "COALESCE(lower(last_name), '')",
    }
}

/// The direction of the id tiebreak: that of the last sort key (newest first without keys).
fn id_descending(sort: &[SortKey]) -> bool {
    sort.last().is_none_or(|k| k.descending)
}

/// `AND (k0 > v0 OR (k0 = v0 AND k1 > v1) OR ... OR (... AND id > id0))`, with `<` for descending keys and
/// every comparison flipped to read backwards.
fn push_keyset<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey], key: &'a Keyset, backwards: bool) {
    let greater = |descending: bool| if descending != backwards { " < " } else { " > " };
    let push_value = |qb: &mut S, v: &'a SortValue| match v {
        SortValue::Text(t) => {
            qb.push_bind(t.as_str());
        }
        SortValue::Time(t) => {
            qb.push_bind(DbTime(*t));
        }
    };
    qb.push(" AND (");
    for i in 0..=sort.len() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(");
        for (j, k) in sort.iter().enumerate().take(i) {
            if j > 0 {
                qb.push(" AND ");
            }
            qb.push(sort_expr(k.field)).push(" = ");
            if let Some(v) = key.values.get(j) {
                push_value(qb, v);
            }
        }
        if i > 0 {
            qb.push(" AND ");
        }
        match sort.get(i) {
            Some(k) => {
                qb.push(sort_expr(k.field)).push(greater(k.descending));
                if let Some(v) = key.values.get(i) {
                    push_value(qb, v);
                }
            }
            None => {
                qb.push("id").push(greater(id_descending(sort))).push_bind(key.id);
            }
        }
        qb.push(")");
    }
    qb.push(")");
}

/// `ORDER BY` for the sort keys and the id tiebreak, reversed to read backwards.
pub fn push_order<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey], backwards: bool) {
    let dir = |descending: bool| if descending != backwards { " DESC" } else { " ASC" };
    qb.push(" ORDER BY ");
    for k in sort {
        qb.push(sort_expr(k.field)).push(dir(k.descending)).push(", ");
    }
    qb.push("id").push(dir(id_descending(sort)));
}

/// `, <sort expr> AS k0, ...`: the sort key values selected with each row.
pub fn push_sort_columns<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey]) {
    for (i, k) in sort.iter().enumerate() {
        qb.push(format!(", {} AS k{i}", sort_expr(k.field)));
    }
}
