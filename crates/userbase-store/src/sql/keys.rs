//! API key SQL, shared by both stores.

use std::sync::LazyLock;

use userbase_core::api_key::{ApiKey, SecretHash};
use userbase_core::ids::PublicUserId;
use userbase_core::store::{ListedKey, StoreError};

use crate::sql::rows::KeyRow;

use crate::sql::sink::Arg;
use crate::sql::time::DbTime;

pub const TOUCH_KEY: &str =
    "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
pub const KEY_COLUMNS: &str = "id, project_id, kind, name, prefix, user_id, scopes, created_at, expires_at, \
    revoked_at, last_used_at, hash_scheme";
pub const INSERT_KEY: &str = "INSERT INTO api_keys (id, project_id, kind, name, prefix, secret_hash, user_id, \
    scopes, created_at, expires_at, hash_scheme) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// A key with its project; a key bound to a user who is deleted is no key (migration 0008 tells caching
/// servers when that changes).
pub const KEY_WITH_PROJECT: &str = "SELECT k.id, k.project_id, k.kind, k.name, k.prefix, k.user_id, k.scopes, \
    k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.hash_scheme, k.secret_hash, p.name AS p_name, \
    p.settings AS p_settings, p.created_at AS p_created_at, p.updated_at AS p_updated_at \
    FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = $1 \
    AND (k.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = k.user_id AND u.deleted_at IS NULL))";
/// The project's keys with the public id of each key's user, after the key columns.
pub const KEYS_OF_PROJECT: &str = "SELECT k.id, k.project_id, k.kind, k.name, k.prefix, k.user_id, k.scopes, \
    k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.hash_scheme, u.public_id AS user_public_id \
    FROM api_keys k LEFT JOIN users u ON u.id = k.user_id AND u.project_id = k.project_id \
    WHERE k.project_id = $1 ORDER BY k.created_at, k.id";

/// A listed key from its row and its user's public id.
pub fn listed_key(row: KeyRow, user_public_id: Option<String>) -> Result<ListedKey, StoreError> {
    let user = match user_public_id {
        Some(id) => Some(PublicUserId::parse(&id).ok_or_else(|| StoreError::Backend("stored users.public_id".into()))?),
        None => None,
    };
    Ok(ListedKey { key: row.try_into()?, user })
}
pub static REVOKE_KEY: LazyLock<String> = LazyLock::new(|| {
    format!("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING {KEY_COLUMNS}")
});

/// The values of `INSERT_KEY`, as both stores bind them.
pub fn insert_args<'a>(key: &'a ApiKey, hash: &'a SecretHash, scheme: &'a str) -> [Arg<'a>; 11] {
    [
        key.id.as_str().into(),
        key.project_id.as_str().into(),
        key.kind.as_str().into(),
        key.name.as_deref().into(),
        key.prefix.as_str().into(),
        Arg::Bytes(&hash.0[..]),
        key.user_id.into(),
        Arg::json(&key.scopes),
        DbTime(key.created_at).into(),
        key.expires_at.map(DbTime).into(),
        scheme.into(),
    ]
}
