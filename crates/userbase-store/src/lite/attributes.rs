//! User attributes on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use userbase_core::ids::ProjectId;
use userbase_core::store::{AttributeStore, StoreError};

use super::{execute, numbered, query_opt};
use crate::sql::attributes as sql;
use crate::sql::time::DbTime;
use crate::SqliteStore;

static UPSERT_ONE: LazyLock<String> = LazyLock::new(|| numbered(sql::UPSERT_ONE));
static SELECT: LazyLock<String> = LazyLock::new(|| numbered(sql::SELECT));

#[async_trait::async_trait]
impl AttributeStore for SqliteStore {
    async fn put_attributes(&self, project: &ProjectId, items: &[(i64, serde_json::Value)]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let project = project.clone();
        let texts: Vec<(i64, String)> = items.iter().map(|(id, value)| (*id, value.to_string())).collect();
        let now = DbTime(userbase_core::time_util::now_utc());
        self.lite
            .write(move |conn| {
                for (user_id, text) in &texts {
                    execute(conn, &UPSERT_ONE, rusqlite::params![user_id, project.as_str(), text, now])?;
                }
                Ok(())
            })
            .await
    }

    async fn get_attributes(&self, project: &ProjectId, user_id: i64) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = self
            .lite
            .read(|conn| query_opt(conn, &SELECT, rusqlite::params![project.as_str(), user_id], |row| row.get(0)))?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Backend(e.to_string()))).transpose()
    }
}
