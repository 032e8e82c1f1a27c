//! Projects: insert, find, list, update.

use userbase_core::ids::ProjectId;
use userbase_core::project::Project;
use userbase_core::store::{ProjectStore, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::projects as sql;
use crate::sql::rows::ProjectRow;

/// The PostgreSQL project store (SQLite: `lite/projects.rs`).
#[async_trait::async_trait]
impl ProjectStore for PgStore {
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        sql::insert_args(project)
            .into_iter()
            .fold(sqlx::query(sql::INSERT_PROJECT), |query, arg| query.bind(arg))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get_project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query_as::<_, ProjectRow>(&sql::PROJECT_BY_ID)
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(row.map(Into::into))
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows =
            sqlx::query_as::<_, ProjectRow>(&sql::ALL_PROJECTS).fetch_all(&self.reader).await.map_err(store_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn update_project(&self, project: &Project) -> Result<(), StoreError> {
        sql::update_args(project)
            .into_iter()
            .fold(sqlx::query(sql::UPDATE_PROJECT), |query, arg| query.bind(arg))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
