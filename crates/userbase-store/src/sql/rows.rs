//! Rows as both backends return them, and their conversion to domain types. sqlx decodes them on PostgreSQL
//! (`FromRow`), `lite/rows.rs` on SQLite; `DbTime` and `Json` bridge the type differences.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use time::Date;
use userbase_core::api_key::{ApiKey, KeyId, KeyKind};
use userbase_core::ids::{HumanId, ObjectId, ProjectId, PublicUserId};
use userbase_core::project::{Project, ProjectSettings};
use userbase_core::server_secret::HashScheme;
use userbase_core::store::{StoreError, StoredKey};
use userbase_core::user::{BuiltonExtras, Profile, User, UserStatus};
use userbase_core::values::{CountryCode, Email, ExternalRef, Gender, GroupRef, Locale, Metadata};

use crate::sql::time::DbTime;

/// An external reference as kept in the users row's read copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefJson {
    pub source: String,
    pub source_id: String,
}

impl From<&ExternalRef> for RefJson {
    fn from(r: &ExternalRef) -> Self {
        Self { source: r.source().to_owned(), source_id: r.source_id().to_owned() }
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("stored value is not valid: {what}"))
}

#[derive(sqlx::FromRow)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub settings: Json<ProjectSettings>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Self {
        Project {
            id: ProjectId::from_stored(r.id),
            name: r.name,
            settings: r.settings.0,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub prefix: String,
    pub user_id: Option<i64>,
    pub scopes: Json<Vec<String>>,
    pub created_at: DbTime,
    pub expires_at: Option<DbTime>,
    pub revoked_at: Option<DbTime>,
    pub last_used_at: Option<DbTime>,
    pub hash_scheme: String,
}

impl TryFrom<KeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: KeyId::from_stored(r.id),
            project_id: ProjectId::from_stored(r.project_id),
            kind: KeyKind::parse(&r.kind).ok_or_else(|| corrupt("api_keys.kind"))?,
            name: r.name,
            prefix: r.prefix,
            user_id: r.user_id,
            scopes: r.scopes.0,
            created_at: r.created_at.0,
            expires_at: r.expires_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
            last_used_at: r.last_used_at.map(|t| t.0),
            hash_scheme: HashScheme::parse(&r.hash_scheme).ok_or_else(|| corrupt("api_keys.hash_scheme"))?,
        })
    }
}

/// A key joined with its project, as the authentication lookup reads it.
#[derive(sqlx::FromRow)]
pub struct StoredKeyRow {
    #[sqlx(flatten)]
    pub key: KeyRow,
    pub secret_hash: Vec<u8>,
    pub p_name: String,
    pub p_settings: Json<ProjectSettings>,
    pub p_created_at: DbTime,
    pub p_updated_at: DbTime,
}

impl TryFrom<StoredKeyRow> for StoredKey {
    type Error = StoreError;

    fn try_from(r: StoredKeyRow) -> Result<Self, StoreError> {
        let project = Project {
            id: ProjectId::from_stored(r.key.project_id.clone()),
            name: r.p_name,
            settings: r.p_settings.0,
            created_at: r.p_created_at.0,
            updated_at: r.p_updated_at.0,
        };
        Ok(StoredKey { key: r.key.try_into()?, hash: r.secret_hash, project: std::sync::Arc::new(project) })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub project_id: String,
    pub public_id: String,
    pub object_id: String,
    pub human_id: String,
    pub auth_subject: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub abbreviation: Option<String>,
    pub birth_date: Option<Date>,
    pub gender: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub locale: Option<String>,
    pub country_code: Option<String>,
    pub company_name: Option<String>,
    pub login: Option<String>,
    pub debtor_id: Option<String>,
    pub tax_number: Option<String>,
    pub coc_number: Option<String>,
    pub pricelist_amount: Option<String>,
    pub pricelist_percentage: Option<String>,
    pub parent_group: Option<Json<GroupRef>>,
    pub external_refs: Json<Vec<RefJson>>,
    pub metadata: Json<BTreeMap<String, String>>,
    pub tags: Json<Vec<String>>,
    pub bio: Option<String>,
    pub note: Option<String>,
    pub image_ref: Option<String>,
    pub avatar: Option<String>,
    pub default_payment_method_ref: Option<String>,
    pub roles: Json<Vec<String>>,
    pub default_organization_id: Option<i64>,
    pub builton: Json<BuiltonExtras>,
    pub status: String,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub last_login_at: Option<DbTime>,
    pub deleted_at: Option<DbTime>,
    pub version: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        let public_id = PublicUserId::parse(&r.public_id).ok_or_else(|| corrupt("users.public_id"))?;
        let object_id = ObjectId::parse(&r.object_id).ok_or_else(|| corrupt("users.object_id"))?;
        let gender = match r.gender.as_deref() {
            None => None,
            Some(g) => Some(Gender::from_code(g).ok_or_else(|| corrupt("users.gender"))?),
        };
        let country = match r.country_code.as_deref() {
            None => None,
            Some(c) => Some(CountryCode::parse("country", c).map_err(|_| corrupt("users.country_code"))?),
        };
        let profile = Profile {
            auth_subject: r.auth_subject,
            email: r.email.map(Email::from_stored),
            email_verified: r.email_verified,
            salutation: r.salutation,
            first_name: r.first_name,
            middle_name: r.middle_name,
            last_name: r.last_name,
            full_name: r.full_name,
            abbreviation: r.abbreviation,
            birth_date: r.birth_date,
            gender,
            phone: r.phone,
            mobile: r.mobile,
            locale: r.locale.map(Locale::from_stored),
            country,
            company_name: r.company_name,
            login: r.login,
            debtor_id: r.debtor_id,
            tax_number: r.tax_number,
            coc_number: r.coc_number,
            pricelist_amount: r.pricelist_amount,
            pricelist_percentage: r.pricelist_percentage,
            parent_group: r.parent_group.map(|j| j.0),
            external_refs: r
                .external_refs
                .0
                .into_iter()
                .map(|e| ExternalRef::from_stored(e.source, e.source_id))
                .collect(),
            metadata: Metadata::from_stored(r.metadata.0),
            tags: r.tags.0,
            bio: r.bio,
            note: r.note,
            image_ref: r.image_ref,
            avatar: r.avatar,
            default_payment_method_ref: r.default_payment_method_ref,
            roles: r.roles.0,
            default_organization_id: r.default_organization_id,
        };
        Ok(User {
            numeric_id: r.id,
            public_id,
            object_id,
            human_id: HumanId::from_stored(r.human_id),
            project_id: ProjectId::from_stored(r.project_id),
            profile,
            builton: r.builton.0,
            status: UserStatus::parse(&r.status).ok_or_else(|| corrupt("users.status"))?,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            last_login_at: r.last_login_at.map(|t| t.0),
            deleted_at: r.deleted_at.map(|t| t.0),
            version: r.version,
        })
    }
}
