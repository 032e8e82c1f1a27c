//! Projects on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use userbase_core::ids::ProjectId;
use userbase_core::project::Project;
use userbase_core::store::{ProjectStore, StoreError};

use super::rows;
use super::{execute, numbered, query_all, query_opt};
use crate::sql::projects as sql;
use crate::SqliteStore;

static INSERT: LazyLock<String> = LazyLock::new(|| numbered(sql::INSERT_PROJECT));
static BY_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::PROJECT_BY_ID));
static UPDATE: LazyLock<String> = LazyLock::new(|| numbered(sql::UPDATE_PROJECT));

#[async_trait::async_trait]
impl ProjectStore for SqliteStore {
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        let p = project.clone();
        self.lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::insert_args(&p));
                execute(conn, &INSERT, params).map(drop)
            })
            .await
    }

    async fn get_project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let row = self.lite.read(|conn| query_opt(conn, &BY_ID, [id.as_str()], rows::project))?;
        Ok(row.map(Into::into))
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows = self.lite.read(|conn| query_all(conn, &sql::ALL_PROJECTS, [], rows::project))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn update_project(&self, project: &Project) -> Result<(), StoreError> {
        let p = project.clone();
        self.lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::update_args(&p));
                execute(conn, &UPDATE, params).map(drop)
            })
            .await
    }
}
