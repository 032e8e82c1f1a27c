//! Users on PostgreSQL: insert (one at a time, or coalesced, see `coalesce.rs`), find, update, count, list.
//! Bulk inserts are `bulk.rs`; the SQL text and the write values are `sql/users.rs`.

use std::time::Duration;

use userbase_core::ids::{HumanId, ProjectId};
use userbase_core::page::{Keyset, Page, PageRequest, Position, SortField, SortKey, SortValue, Total};
use userbase_core::store::{
    InsertOutcome, NewUserRecord, RefsChange, StoreError, UniqueClaims, UpsertKey, UserFilter, UserStore, UserUpdate,
};
use userbase_core::user::{User, UserKey};

use crate::pg::coalesce::InsertWriter;
use crate::pg::{coalesce, store_error, PgStore};
use crate::sql::filter::Flavor;
use crate::sql::paging::Assembled;
use crate::sql::rows::UserRow;
use crate::sql::substring;
use crate::sql::time::DbTime;
use crate::sql::user_list::Source;
use crate::sql::users::UserWrite;
use crate::sql::violation::{classify, Violation};
use crate::sql::{user_list, users as sql};

impl PgStore {
    /// Inserts concurrent users in one transaction (see `coalesce.rs`): each gets its stored user, or the
    /// uniqueness rule it would break.
    pub(crate) async fn insert_users_together(
        &self,
        records: &[NewUserRecord],
    ) -> Result<Vec<Result<User, StoreError>>, sqlx::Error> {
        use std::collections::HashMap;
        let outcomes = self.bulk_insert_users(records).await?;
        let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        query.push(sql::USER_COLUMNS).push(" FROM users WHERE public_id IN (");
        let mut ids = query.separated(", ");
        for r in records {
            ids.push_bind(r.public_id.as_str());
        }
        query.push(")");
        let rows: Vec<UserRow> =
            query.build_query_as().persistent(self.prepare_every_size).fetch_all(&self.writer).await?;
        let mut stored: HashMap<(String, String), UserRow> =
            rows.into_iter().map(|row| ((row.project_id.clone(), row.public_id.clone()), row)).collect();
        Ok(records
            .iter()
            .zip(outcomes)
            .map(|(r, outcome)| match outcome {
                InsertOutcome::Conflict(c) => Err(StoreError::Conflict(c)),
                InsertOutcome::Inserted(_) => stored
                    .remove(&(r.project_id.as_str().to_owned(), r.public_id.as_str().to_owned()))
                    .ok_or_else(|| StoreError::Backend("an inserted user was not found".into()))
                    .and_then(TryInto::try_into),
            })
            .collect())
    }

    /// Inserts one user, retrying with a fresh human id on a collision.
    pub(crate) async fn insert_one_user(&self, rec: &NewUserRecord) -> Result<User, StoreError> {
        let mut human_id = rec.human_id.clone();
        for _ in 0..sql::HUMAN_ID_ATTEMPTS {
            match self.try_insert_user(rec, human_id.as_str()).await {
                Ok(row) => {
                    self.note_inserted(1);
                    return row.try_into();
                }
                Err(e) if classify(&e) == Some(Violation::HumanId) => {
                    human_id = HumanId::generate();
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(StoreError::Backend("no free human id after several attempts".into()))
    }

    async fn try_insert_user(&self, rec: &NewUserRecord, human_id: &str) -> Result<UserRow, sqlx::Error> {
        if rec.profile.external_refs.is_empty() {
            // One statement is atomic by itself: no BEGIN and COMMIT round trips.
            let write = UserWrite::for_insert(rec);
            return insert_user_query(rec, human_id, &write).fetch_one(&self.writer).await;
        }
        let mut tx = self.begin_write().await?;
        let row = insert_user_in(&mut tx, rec, human_id).await?;
        tx.commit().await?;
        Ok(row)
    }
}

/// The `INSERT ... RETURNING` of one user row, bound to its values.
fn insert_user_query<'q>(
    rec: &'q NewUserRecord,
    human_id: &'q str,
    write: &'q UserWrite<'q>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, UserRow, sqlx::postgres::PgArguments> {
    let query = sqlx::query_as::<_, UserRow>(&sql::INSERT_USER)
        .bind(rec.project_id.as_str())
        .bind(rec.public_id.as_str())
        .bind(rec.object_id.as_str())
        .bind(human_id)
        .bind(DbTime(rec.created_at));
    write.args().into_iter().fold(query, |query, arg| query.bind(arg))
}

/// Inserts a user row and its external refs inside the caller's transaction.
pub(crate) async fn insert_user_in(
    tx: &mut sqlx::PgConnection,
    rec: &NewUserRecord,
    human_id: &str,
) -> Result<UserRow, sqlx::Error> {
    let write = UserWrite::for_insert(rec);
    let row = insert_user_query(rec, human_id, &write).fetch_one(&mut *tx).await?;
    for r in &rec.profile.external_refs {
        sqlx::query(sql::INSERT_REF)
            .bind(row.id)
            .bind(rec.project_id.as_str())
            .bind(r.source())
            .bind(r.source_id())
            .bind(rec.claims.live)
            .execute(&mut *tx)
            .await?;
    }
    Ok(row)
}

#[async_trait::async_trait]
impl InsertWriter for PgStore {
    async fn insert_one(&self, record: &NewUserRecord) -> Result<User, StoreError> {
        self.insert_one_user(record).await
    }

    async fn insert_together(&self, records: &[NewUserRecord]) -> Result<Vec<Result<User, StoreError>>, sqlx::Error> {
        self.insert_users_together(records).await
    }
}

#[async_trait::async_trait]
impl UserStore for PgStore {
    async fn insert_user(&self, rec: &NewUserRecord) -> Result<User, StoreError> {
        match self.insert_queue() {
            Some(queue) => coalesce::insert_user(queue, rec).await,
            None => self.insert_one_user(rec).await,
        }
    }

    async fn insert_users(&self, records: &[NewUserRecord]) -> Result<Vec<InsertOutcome>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        // Two bulk inserts running at once (an import writes two batches at a time) that hold some of the same
        // new keys in crossed order deadlock; PostgreSQL then aborts one of them, whole, and it can simply run again.
        let mut attempts = 0;
        let done = loop {
            match self.bulk_insert_users(records).await {
                Err(e) if is_deadlock(&e) && attempts < DEADLOCK_RETRIES => attempts += 1,
                done => break done.map_err(store_error)?,
            }
        };
        // A large batch left its trigram entries in the pending list (`bulk::defer_trigram_merges`): merged now,
        // in one pass, rather than by the next single create that finds the list over its limit. A bulk load
        // merges once, at its end. The users are committed: a merge that fails (the query time bound) is left
        // to the next writer or autovacuum, and the insert still succeeded.
        if records.len() >= crate::pg::bulk::LARGE_BATCH && !self.bulk_load {
            if let Err(e) = sqlx::query(crate::pg::MERGE_TRIGRAM_PENDING).execute(&self.writer).await {
                tracing::warn!(error = %e, "could not merge the trigram index's pending list after a bulk insert");
            }
        }
        Ok(done)
    }

    async fn find_users_by(
        &self,
        project: &ProjectId,
        key: &UpsertKey,
        values: &[String],
    ) -> Result<Vec<User>, StoreError> {
        self.users_by_key(project, key, values).await
    }

    async fn find_user(&self, project: &ProjectId, key: &UserKey) -> Result<Option<User>, StoreError> {
        let row = match key {
            UserKey::Public(id) => {
                sqlx::query_as::<_, UserRow>(&sql::USER_BY_PUBLIC_ID)
                    .bind(project.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::Object(id) => {
                sqlx::query_as::<_, UserRow>(&sql::USER_BY_OBJECT_ID)
                    .bind(project.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::Numeric(id) => {
                sqlx::query_as::<_, UserRow>(&sql::USER_BY_NUMERIC_ID)
                    .bind(project.as_str())
                    .bind(*id)
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::AuthSubject(sub) => {
                sqlx::query_as::<_, UserRow>(&sql::USER_BY_AUTH_SUBJECT)
                    .bind(project.as_str())
                    .bind(sub.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
        }
        .map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_user(&self, user: &User, claims: UniqueClaims, refs: RefsChange) -> Result<User, StoreError> {
        if refs == RefsChange::Unchanged {
            // One statement is atomic by itself: no BEGIN and COMMIT round trips.
            let mut conn = self.writer.acquire().await.map_err(store_error)?;
            let row = update_in(&mut conn, user, claims, refs).await.map_err(store_error)?;
            return row.ok_or(StoreError::VersionMismatch)?.try_into();
        }
        let mut tx = self.begin_write().await.map_err(store_error)?;
        let row = update_in(&mut tx, user, claims, refs).await.map_err(store_error)?;
        let row = row.ok_or(StoreError::VersionMismatch)?;
        tx.commit().await.map_err(store_error)?;
        row.try_into()
    }

    /// All in one transaction (a commit per user was most of an update's time: 1,200 users/s in bulk). A stale
    /// version only misses its row; a statement that fails (a uniqueness rule, a deadlock with another batch)
    /// undoes the transaction, and the users are then written one by one so that it fails its own item only.
    async fn update_users(&self, updates: &[UserUpdate]) -> Result<Vec<Result<User, StoreError>>, StoreError> {
        if updates.len() > 1 {
            match self.update_together(updates).await {
                Ok(rows) => {
                    return Ok(rows
                        .into_iter()
                        .map(|row| row.ok_or(StoreError::VersionMismatch).and_then(TryInto::try_into))
                        .collect())
                }
                Err(e) if e.as_database_error().is_none() => return Err(store_error(e)),
                Err(e) => tracing::debug!(error = %e, "a batch of user updates is written again one by one"),
            }
        }
        let mut done = Vec::with_capacity(updates.len());
        for u in updates {
            done.push(self.update_user(&u.user, u.claims, u.refs).await);
        }
        Ok(done)
    }

    async fn count_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<u64, StoreError> {
        // The maintained count is a few rows: no turn needed.
        let _turn = match user_list::counted_by_project(filter) {
            true => None,
            false => Some(self.gate.enter(project.as_str()).await?),
        };
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        user_list::push_count(&mut qb, project.as_str(), filter, Flavor::Postgres, &substring::NONE);
        let prepared = user_list::keeps_prepared(filter);
        let count: i64 =
            qb.build_query_scalar().persistent(prepared).fetch_one(&self.reader).await.map_err(store_error)?;
        Ok(count.max(0) as u64)
    }

    async fn total_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<Total, StoreError> {
        let budget = match self.count_budget {
            Some(budget) if !user_list::counted_by_project(filter) => budget,
            _ => return Ok(Total::exact(self.count_users(project, filter).await?)),
        };
        let _turn = self.gate.enter(project.as_str()).await?;
        let started = std::time::Instant::now();
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        user_list::push_count(&mut qb, project.as_str(), filter, Flavor::Postgres, &substring::NONE);
        match self.count_within(budget, &mut qb, filter).await {
            Err(StoreError::Timeout) => {}
            counted => return counted.map(Total::exact),
        }
        // The estimate gets what is left of the query time bound.
        let rest = match self.query_bound {
            Some(bound) => bound.saturating_sub(started.elapsed()).max(Duration::from_millis(1)),
            None => Duration::ZERO,
        };
        let mut sample = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        user_list::push_sample_count(&mut sample, project.as_str(), filter, Flavor::Postgres, &substring::NONE);
        let matches = self.count_within(rest, &mut sample, filter).await?;
        let everyone = UserFilter::live().including_deleted(filter.include_deleted());
        let mut all = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        user_list::push_count(&mut all, project.as_str(), &everyone, Flavor::Postgres, &substring::NONE);
        let all: i64 = all.build_query_scalar().fetch_one(&self.reader).await.map_err(store_error)?;
        Ok(user_list::estimate(matches, all.max(0) as u64))
    }

    async fn list_users(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        use sqlx::{FromRow, Row};
        if page.limit == 0 {
            return Ok(Assembled::empty());
        }
        let _turn = match user_list::may_scan(filter, &page.position) {
            true => Some(self.gate.enter(project.as_str()).await?),
            false => None,
        };
        let limit = page.limit as usize;
        let rows = match substring::window_first(filter.expr(), Flavor::Postgres) {
            true => self.pattern_page_rows(project, filter, &page).await?,
            false => self.page_rows(project, filter, &page, Source::Table).await?,
        };
        let mut users = Vec::with_capacity(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            let user: User = UserRow::from_row(row).map_err(store_error)?.try_into()?;
            let key = if page.sort.is_empty() {
                None
            } else {
                let mut values = Vec::with_capacity(page.sort.len());
                for (i, k) in page.sort.iter().enumerate() {
                    let column = format!("k{i}");
                    values.push(match k.field {
                        SortField::CreatedAt | SortField::UpdatedAt => {
                            SortValue::Time(row.try_get::<DbTime, _>(column.as_str()).map_err(store_error)?.0)
                        }
                        _ => SortValue::Text(row.try_get::<String, _>(column.as_str()).map_err(store_error)?),
                    });
                }
                Some(Keyset { values, id: user.numeric_id })
            };
            users.push((user, key));
        }
        let assembled = Assembled::new(&page, users, rows.len() > limit);
        let more_opposite = match &assembled.opposite {
            Some(position) => self.any_user(project, filter, &page.sort, position).await?,
            None => false,
        };
        Ok(assembled.finish(more_opposite))
    }
}

impl PgStore {
    /// Runs a count with its own statement timeout (zero: none), in a transaction of its own so that the
    /// timeout ends with it.
    async fn count_within(
        &self,
        timeout: Duration,
        qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
        filter: &UserFilter,
    ) -> Result<u64, StoreError> {
        let mut tx = self.reader.begin().await.map_err(store_error)?;
        sqlx::query(&format!("SET LOCAL statement_timeout = {}", timeout.as_millis()))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        match qb.build_query_scalar::<i64>().persistent(user_list::keeps_prepared(filter)).fetch_one(&mut *tx).await {
            Ok(count) => {
                tx.commit().await.map_err(store_error)?;
                Ok(count.max(0) as u64)
            }
            Err(e) => {
                // Ended here rather than on drop, so that the connection goes back to the pool clean.
                let _ = tx.rollback().await;
                Err(store_error(e))
            }
        }
    }

    /// Whether any user matches the filter at the position; like a page, through a window first when the
    /// filter has a text pattern.
    async fn any_user(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        sort: &[SortKey],
        position: &Position,
    ) -> Result<bool, StoreError> {
        let prepared = user_list::keeps_prepared(filter);
        if !substring::window_first(filter.expr(), Flavor::Postgres) {
            let mut qb = any_query(project, filter, sort, position, Source::Table);
            let row = qb.build().persistent(prepared).fetch_optional(&self.reader).await.map_err(store_error)?;
            return Ok(row.is_some());
        }
        let mut window = any_query(project, filter, sort, position, Source::Window);
        if window.build().fetch_optional(&self.reader).await.map_err(store_error)?.is_some() {
            return Ok(true);
        }
        if self.window_saw_all(project, filter).await? {
            return Ok(false);
        }
        let mut tx = self.indexed_read().await?;
        let mut qb = any_query(project, filter, sort, position, Source::Table);
        let row = qb.build().fetch_optional(&mut *tx).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(row.is_some())
    }

    /// A page whose filter has a text pattern: from a window of the project, or when the window held too few
    /// matches (and not the whole project), through the trigram index.
    async fn pattern_page_rows(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
        let windowed = self.page_rows(project, filter, page, Source::Window).await?;
        if windowed.len() > page.limit as usize {
            return Ok(windowed);
        }
        let saw_all = self.window_saw_all(project, filter).await?;
        if saw_all {
            return Ok(windowed);
        }
        self.indexed_page_rows(project, filter, page).await
    }

    /// The page read through the trigram index (`user_list::INDEXED_PATTERN_READ`).
    async fn indexed_page_rows(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
        let mut tx = self.indexed_read().await?;
        let mut qb = page_query(project, filter, page, Source::Table);
        let rows = qb.build().fetch_all(&mut *tx).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(rows)
    }

    async fn page_rows(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: &PageRequest,
        source: Source,
    ) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
        let prepared = user_list::keeps_prepared(filter);
        let mut qb = page_query(project, filter, page, source);
        qb.build().persistent(prepared).fetch_all(&self.reader).await.map_err(store_error)
    }

    /// Whether a window (`Source::Window`) holds every user a page may read: the project has no more users
    /// than the window (its maintained count).
    async fn window_saw_all(&self, project: &ProjectId, filter: &UserFilter) -> Result<bool, StoreError> {
        let everyone = UserFilter::live().including_deleted(filter.include_deleted());
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        user_list::push_count(&mut qb, project.as_str(), &everyone, Flavor::Postgres, &substring::NONE);
        let count: i64 = qb.build_query_scalar().persistent(true).fetch_one(&self.reader).await.map_err(store_error)?;
        Ok(count <= user_list::PATTERN_WINDOW as i64)
    }

    /// A read-only transaction in which the planner reads the users through the trigram index
    /// (`user_list::INDEXED_PATTERN_READ`).
    async fn indexed_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self.reader.begin().await.map_err(store_error)?;
        for setting in user_list::INDEXED_PATTERN_READ {
            sqlx::query(setting).execute(&mut *tx).await.map_err(store_error)?;
        }
        Ok(tx)
    }
}

/// Whether a user matches at the position (`LIMIT 1`), read from `source`.
fn any_query<'a>(
    project: &'a ProjectId,
    filter: &'a UserFilter,
    sort: &'a [SortKey],
    position: &'a Position,
    source: Source,
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
    user_list::push_any(&mut qb, project.as_str(), filter, sort, position, user_list::Reading::postgres(source));
    qb
}

/// The page query for `page`, read from `source`.
fn page_query<'a>(
    project: &'a ProjectId,
    filter: &'a UserFilter,
    page: &'a PageRequest,
    source: Source,
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
    user_list::push_page(&mut qb, project.as_str(), filter, page, user_list::Reading::postgres(source));
    qb
}

/// How often a bulk insert aborted by a deadlock is run again.
const DEADLOCK_RETRIES: usize = 3;

/// 40P01 deadlock_detected.
fn is_deadlock(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|db| db.code()).is_some_and(|code| code == "40P01")
}

impl PgStore {
    /// `update_users` in one transaction: per user its row, `None` where the version was stale. Users that keep
    /// their external refs are written by multi-row statements; a user with refs to rewrite, or listed again,
    /// is written alone after them (listed again, its version is then stale, and the caller applies the item
    /// to what is stored, in order).
    async fn update_together(&self, updates: &[UserUpdate]) -> Result<Vec<Option<UserRow>>, sqlx::Error> {
        let mut rows: Vec<Option<UserRow>> = (0..updates.len()).map(|_| None).collect();
        let mut seen = std::collections::HashSet::with_capacity(updates.len());
        let (mut together, mut alone) = (Vec::with_capacity(updates.len()), Vec::new());
        for (i, u) in updates.iter().enumerate() {
            // Every user is noted, so that a user listed again after one written alone is written after it.
            let first = seen.insert(u.user.numeric_id);
            if u.refs == RefsChange::Unchanged && first {
                together.push(i);
            } else {
                alone.push(i);
            }
        }
        let mut tx = self.begin_write().await?;
        for chunk in together.chunks(crate::pg::bulk::ROWS_PER_STATEMENT) {
            let writes: Vec<UserWrite<'_>> =
                chunk.iter().map(|&i| UserWrite::for_update(&updates[i].user, updates[i].claims)).collect();
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::UPDATE_USERS_HEAD.as_str());
            qb.push_values(chunk.iter().zip(&writes), |mut b, (&i, write)| {
                let user = &updates[i].user;
                b.push_bind(user.project_id.as_str()).push_bind(user.numeric_id).push_bind(user.version);
                for arg in write.args() {
                    b.push_bind(arg);
                }
            });
            qb.push(sql::UPDATE_USERS_TAIL.as_str());
            let full = chunk.len() == crate::pg::bulk::ROWS_PER_STATEMENT;
            let returned: Vec<UserRow> = qb.build_query_as().persistent(full).fetch_all(&mut *tx).await?;
            let mut by_id: std::collections::HashMap<i64, UserRow> =
                returned.into_iter().map(|row| (row.id, row)).collect();
            for &i in chunk {
                rows[i] = by_id.remove(&updates[i].user.numeric_id);
            }
        }
        for i in alone {
            let u = &updates[i];
            rows[i] = update_in(&mut tx, &u.user, u.claims, u.refs).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }
}

/// Writes `user` over the stored row if its version is still `user.version` (`None` if not), and rewrites its
/// external refs when they changed. In the caller's transaction when there is more than one statement.
async fn update_in(
    conn: &mut sqlx::PgConnection,
    user: &User,
    claims: UniqueClaims,
    refs: RefsChange,
) -> Result<Option<UserRow>, sqlx::Error> {
    let write = UserWrite::for_update(user, claims);
    let query = sqlx::query_as::<_, UserRow>(&sql::UPDATE_USER)
        .bind(user.project_id.as_str())
        .bind(user.numeric_id)
        .bind(user.version);
    let query = write.args().into_iter().fold(query, |query, arg| query.bind(arg));
    let Some(row) = query.fetch_optional(&mut *conn).await? else { return Ok(None) };
    if refs == RefsChange::Rewrite {
        sqlx::query(sql::DELETE_REFS).bind(user.numeric_id).execute(&mut *conn).await?;
        for r in &user.profile.external_refs {
            sqlx::query(sql::INSERT_REF)
                .bind(user.numeric_id)
                .bind(user.project_id.as_str())
                .bind(r.source())
                .bind(r.source_id())
                .bind(claims.live)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(Some(row))
}
