//! Projects: insert, find, list, update.

/// The PostgreSQL project store (SQLite: `lite/projects.rs`).
#[async_trait::async_trait]
impl userbase_core::store::ProjectStore for crate::postgres::PgStore {
    async fn insert_project(
        &self,
        project: &userbase_core::project::Project,
    ) -> Result<(), userbase_core::store::StoreError> {
        sqlx::query(crate::sql::INSERT_PROJECT)
            .bind(project.id.as_str())
            .bind(project.name.as_str())
            .bind(sqlx::types::Json(&project.settings))
            .bind(crate::db_time::DbTime(project.created_at))
            .bind(crate::db_time::DbTime(project.updated_at))
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(())
    }

    async fn get_project(
        &self,
        id: &userbase_core::ids::ProjectId,
    ) -> Result<Option<userbase_core::project::Project>, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::rows::ProjectRow>(&crate::sql::PROJECT_BY_ID)
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(row.map(Into::into))
    }

    async fn list_projects(&self) -> Result<Vec<userbase_core::project::Project>, userbase_core::store::StoreError> {
        let rows = sqlx::query_as::<_, crate::rows::ProjectRow>(&crate::sql::ALL_PROJECTS)
            .fetch_all(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn update_project(
        &self,
        project: &userbase_core::project::Project,
    ) -> Result<(), userbase_core::store::StoreError> {
        sqlx::query(crate::sql::UPDATE_PROJECT)
            .bind(project.id.as_str())
            .bind(project.name.as_str())
            .bind(sqlx::types::Json(&project.settings))
            .bind(crate::db_time::DbTime(project.updated_at))
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(())
    }
}
