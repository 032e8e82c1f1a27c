//! Per-user pricing on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use userbase_core::ids::ProjectId;
use userbase_core::pricing::{PricingItem, PricingTarget};
use userbase_core::store::{PricingStore, StoreError};

use super::rows;
use super::{execute, numbered, query_all};
use crate::sql::pricing as sql;
use crate::SqliteStore;

static DELETE_BY_ID: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_BY_ID));
static DELETE_BY_REF: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_BY_REF));
static INSERT: LazyLock<String> = LazyLock::new(|| numbered(sql::INSERT));
static LIST: LazyLock<String> = LazyLock::new(|| numbered(sql::LIST));
static DELETE_ALL: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_ALL));

#[async_trait::async_trait]
impl PricingStore for SqliteStore {
    async fn put_pricing_of_users(
        &self,
        project: &ProjectId,
        users: &[(i64, Vec<PricingItem>)],
    ) -> Result<(), StoreError> {
        if users.iter().all(|(_, items)| items.is_empty()) {
            return Ok(());
        }
        let (project, users) = (project.clone(), users.to_vec());
        // Prepared single-row statements run in place: SQLite has no round trips to save.
        self.lite
            .write(move |conn| {
                for (user_id, items) in &users {
                    for item in items {
                        put_one(conn, &project, *user_id, item)?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn list_pricing(&self, project: &ProjectId, user_id: i64) -> Result<Vec<PricingItem>, StoreError> {
        let rows = self
            .lite
            .read(|conn| query_all(conn, &LIST, rusqlite::params![project.as_str(), user_id], rows::pricing))?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_pricing(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError> {
        let project = project.clone();
        let done = self
            .lite
            .write(move |conn| execute(conn, &DELETE_ALL, rusqlite::params![project.as_str(), user_id]))
            .await?;
        Ok(done as u64)
    }
}

/// Stores one item, replacing the user's item for the same target.
fn put_one(
    conn: &rusqlite::Connection,
    project: &ProjectId,
    user_id: i64,
    item: &PricingItem,
) -> Result<(), StoreError> {
    let kind = item.target_kind.as_str();
    match &item.target {
        PricingTarget::Id(id) => {
            execute(conn, &DELETE_BY_ID, rusqlite::params![project.as_str(), user_id, kind, id])?;
        }
        PricingTarget::External { source, source_id } => {
            execute(conn, &DELETE_BY_REF, rusqlite::params![project.as_str(), user_id, kind, source, source_id])?;
        }
    };
    let rule = item.rule.to_json();
    execute(conn, &INSERT, rusqlite::params_from_iter(sql::insert_args(project.as_str(), user_id, item, &rule)))?;
    Ok(())
}
