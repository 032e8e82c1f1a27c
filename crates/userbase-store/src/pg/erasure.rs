//! Permanent erase and retention purge on PostgreSQL. The statements are `sql/erasure.rs`; here the user set
//! is an array, and the users to remove are locked first (`FOR UPDATE`; a purge `SKIP LOCKED`), so that
//! concurrent erases and purgers never remove a user twice nor wait on each other's batch.

use std::sync::LazyLock;

use sqlx::PgConnection;
use time::OffsetDateTime;
use userbase_core::api_key::KeyId;
use userbase_core::erasure::{Erased, ErasedCounts, ErasureStore};
use userbase_core::ids::ProjectId;
use userbase_core::organization::Membership;
use userbase_core::store::StoreError;

use crate::pg::{store_error, PgStore};
use crate::sql::erasure::{self as sql, Statements, UserSet};
use crate::sql::organizations::MembershipRow;
use crate::sql::time::DbTime;

static STATEMENTS: LazyLock<Statements> = LazyLock::new(|| {
    Statements::new(&UserSet {
        ids: "= ANY($2)",
        public_ids: "unnest($2::text[]) AS p(public_id)",
        contains: |text, bytes| format!("position(convert_to({text}, 'UTF8') IN {bytes}) > 0"),
        lock: " FOR UPDATE",
        skip_locked: " FOR UPDATE SKIP LOCKED",
    })
});

/// Removes the users `ids` (with public ids `public_ids`) of the project and every row that refers to them,
/// inside the caller's transaction.
async fn remove(
    tx: &mut PgConnection,
    project: &ProjectId,
    ids: &[i64],
    public_ids: &[String],
) -> Result<Erased, sqlx::Error> {
    let s = &*STATEMENTS;
    let p = project.as_str();
    let mut counts = ErasedCounts::default();
    for (sql, count) in [
        (&s.addresses, &mut counts.addresses),
        (&s.memberships, &mut counts.memberships),
        (&s.pricing, &mut counts.pricing),
        (&s.external_refs, &mut counts.external_refs),
        (&s.attributes, &mut counts.attributes),
    ] {
        *count = sqlx::query(sql).bind(p).bind(ids).execute(&mut *tx).await?.rows_affected();
    }
    let kinds: Vec<String> = sqlx::query_scalar(&s.records).bind(p).bind(ids).fetch_all(&mut *tx).await?;
    kinds.iter().for_each(|kind| sql::count_record(&mut counts, kind));
    let keys: Vec<String> = sqlx::query_scalar(&s.keys).bind(p).bind(ids).fetch_all(&mut *tx).await?;
    counts.keys = keys.len() as u64;
    counts.idempotency_records =
        sqlx::query(&s.idempotency).bind(p).bind(public_ids).execute(&mut *tx).await?.rows_affected();
    counts.users = sqlx::query(&s.users).bind(p).bind(ids).execute(&mut *tx).await?.rows_affected();
    Ok(Erased { counts, keys: keys.into_iter().map(KeyId::from_stored).collect() })
}

#[async_trait::async_trait]
impl ErasureStore for PgStore {
    async fn erase_user(&self, project: &ProjectId, user_id: i64) -> Result<Option<Erased>, StoreError> {
        let mut tx = self.begin_write().await.map_err(store_error)?;
        let found: Option<(i64, String)> = sqlx::query_as(&STATEMENTS.select_user)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        let Some((id, public_id)) = found else { return Ok(None) };
        let erased = remove(&mut tx, project, &[id], &[public_id]).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(Some(erased))
    }

    async fn purge_deleted_users(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Erased, StoreError> {
        let mut tx = self.begin_write().await.map_err(store_error)?;
        let due: Vec<(i64, String)> = sqlx::query_as(&STATEMENTS.select_due)
            .bind(project.as_str())
            .bind(DbTime(deleted_before))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;
        if due.is_empty() {
            return Ok(Erased::default());
        }
        let (ids, public_ids): (Vec<i64>, Vec<String>) = due.into_iter().unzip();
        let erased = remove(&mut tx, project, &ids, &public_ids).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(erased)
    }

    async fn count_purgeable(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        idempotency_expired_before: OffsetDateTime,
    ) -> Result<ErasedCounts, StoreError> {
        use sqlx::Row;
        let row = sqlx::query(&STATEMENTS.count_purgeable)
            .bind(project.as_str())
            .bind(DbTime(deleted_before))
            .bind(DbTime(idempotency_expired_before))
            .fetch_one(&self.reader)
            .await
            .map_err(store_error)?;
        let mut counts = [0i64; 11];
        for (i, count) in counts.iter_mut().enumerate() {
            *count = row.try_get(i).map_err(store_error)?;
        }
        Ok(sql::purgeable_counts(counts))
    }

    async fn memberships_of_user(&self, project: &ProjectId, user_id: i64) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query_as::<_, MembershipRow>(sql::MEMBERSHIPS_OF_USER)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn purge_expired_idempotency_records(
        &self,
        project: &ProjectId,
        expired_before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::PURGE_EXPIRED_IDEMPOTENCY)
            .bind(project.as_str())
            .bind(DbTime(expired_before))
            .bind(i64::from(limit))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}
