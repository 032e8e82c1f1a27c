//! Idempotency-key SQL, shared by both stores.

use userbase_core::idempotency::StoredResponse;

use crate::sql::sink::Arg;

pub const DELETE_EXPIRED_IDEMPOTENCY_KEY: &str =
    "DELETE FROM idempotency_keys WHERE project_id = $1 AND key = $2 AND created_at < $3";
pub const CLAIM_IDEMPOTENCY_KEY: &str = "INSERT INTO idempotency_keys (project_id, key, request_hash, created_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING key";
pub const IDEMPOTENCY_KEY: &str = "SELECT request_hash, status, response_body, response_headers \
    FROM idempotency_keys WHERE project_id = $1 AND key = $2";
pub const COMPLETE_IDEMPOTENCY_KEY: &str = "UPDATE idempotency_keys SET status = $3, response_body = $4, \
    response_headers = $5 WHERE project_id = $1 AND key = $2";
pub const RELEASE_IDEMPOTENCY_KEY: &str = "DELETE FROM idempotency_keys WHERE project_id = $1 AND key = $2";

/// The values of `COMPLETE_IDEMPOTENCY_KEY`, as both stores bind them.
pub fn complete_args<'a>(project: &'a str, key: &'a str, response: &'a StoredResponse) -> [Arg<'a>; 5] {
    [
        project.into(),
        key.into(),
        i32::from(response.status).into(),
        Arg::Bytes(&response.body[..]),
        Arg::json(&response.headers),
    ]
}
