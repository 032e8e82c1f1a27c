//! The user store on SQLite (see `mod.rs`): the shared SQL and write values of `sql/users.rs`, run through
//! rusqlite.

use std::sync::LazyLock;

use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, OptionalExtension};
use userbase_core::error::Conflict;
use userbase_core::ids::{HumanId, ProjectId};
use userbase_core::page::{Keyset, Page, PageRequest, Position, SortField, SortKey, SortValue, Total};
use userbase_core::store::{
    InsertOutcome, NewUserRecord, RefsChange, StoreError, UniqueClaims, UpsertKey, UserFilter, UserStore, UserUpdate,
};
use userbase_core::user::{User, UserKey};

use super::rows::{self, USER_COLUMN_COUNT};
use super::{in_savepoint, numbered, store_error, violation};
use crate::sql::filter::Flavor;
use crate::sql::paging::Assembled;
use crate::sql::rows::UserRow;
use crate::sql::sink::LiteQuery;
use crate::sql::substring::{self, Substrings};
use crate::sql::time::DbTime;
use crate::sql::user_list::{self, RangePlan, Reading, Source};
use crate::sql::users::{self as sql, UserWrite, HUMAN_ID_ATTEMPTS};
use crate::sql::violation::Violation;
use crate::SqliteStore;

static INSERT_USER: LazyLock<String> = LazyLock::new(|| numbered(&sql::INSERT_USER));
static INSERT_USER_QUIETLY: LazyLock<String> = LazyLock::new(|| numbered(&sql::INSERT_USER_VALUES));
/// Users updated per writer job by `update_users`. FTS5 writes its pending terms as a new segment at every
/// savepoint, and refuses a transaction that makes more than 2,000 segments ("database or disk is full"): a job
/// of 5,000 updates, each in its savepoint, did.
const UPDATES_PER_JOB: usize = 200;

static UPDATE_USER: LazyLock<String> = LazyLock::new(|| numbered(&sql::UPDATE_USER));
static USER_BY_PUBLIC_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::USER_BY_PUBLIC_ID));
static USER_BY_OBJECT_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::USER_BY_OBJECT_ID));
static USER_BY_NUMERIC_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::USER_BY_NUMERIC_ID));
static USER_BY_AUTH_SUBJECT: LazyLock<String> = LazyLock::new(|| numbered(&sql::USER_BY_AUTH_SUBJECT));
static INSERT_REF: LazyLock<String> = LazyLock::new(|| numbered(sql::INSERT_REF));
static DELETE_REFS: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_REFS));
const DELETE_USER: &str = "DELETE FROM users WHERE id = ?1";
/// The project's user count (migration 0011) after inserts; see `Inserter::count`.
const COUNT_INSERTED: &str =
    "UPDATE user_counts SET live = live + ?2, total = total + ?3 WHERE project_id = ?1 AND slot = 0";

/// Binds the write columns of `w` (in `sql::WRITE_COLUMNS` order) from parameter `first` on.
fn bind_write(stmt: &mut CachedStatement<'_>, first: usize, w: &UserWrite<'_>) -> rusqlite::Result<()> {
    for (i, arg) in w.args().iter().enumerate() {
        stmt.raw_bind_parameter(first + i, arg)?;
    }
    Ok(())
}

/// Inserts records one statement each, on prepared statements kept for the whole call. Each record is
/// all-or-nothing: a user whose external ref is held elsewhere is removed again. The caller provides the
/// transaction, and calls `finish` before committing it.
///
/// The project's user count and the trigram tables (migrations 0011, 0013) are kept here for inserts rather than
/// by insert triggers (migration 0014), once per call: a trigger makes every single-row insert a write of several
/// rows, which SQLite guards with a statement journal (a copy of each page the insert touches, a fifth of a bulk
/// import's time), and FTS5 writes its pending terms out at every statement of a transaction, so a row per
/// statement made a segment per user (half the import rate). Inserted users are listed as pending and written to
/// the trigram tables by the transaction's end (`trigrams.rs`). Updates and deletes keep their triggers, which
/// leave pending users alone.
struct Inserter<'c> {
    conn: &'c Connection,
    users: CachedStatement<'c>,
    refs: Option<CachedStatement<'c>>,
    returning: bool,
    /// Users inserted per project (live ones, all), not yet added to `user_counts`.
    inserted: Vec<(&'c str, i64, i64)>,
    /// The integer id of the first user inserted and not yet listed for the trigram tables: every row from it on
    /// is this call's (one writer, ids ascending).
    first_id: Option<i64>,
}

impl<'c> Inserter<'c> {
    /// `returning`: answer each insert with its stored row (single creates), or only insert (bulk).
    fn new(conn: &'c Connection, returning: bool) -> Result<Self, StoreError> {
        let sql = if returning { &INSERT_USER } else { &INSERT_USER_QUIETLY };
        Ok(Self {
            conn,
            users: conn.prepare_cached(sql).map_err(store_error)?,
            refs: None,
            returning,
            inserted: Vec::new(),
            first_id: None,
        })
    }

    /// Adds the users inserted to their projects' counts and lists them for the trigram tables, in the caller's
    /// transaction, which writes them there before it commits (`trigrams::flush`).
    fn finish(mut self) -> Result<(), StoreError> {
        let mut count = self.conn.prepare_cached(COUNT_INSERTED).map_err(store_error)?;
        for (project, live, total) in std::mem::take(&mut self.inserted) {
            count.execute(rusqlite::params![project, live, total]).map_err(store_error)?;
        }
        self.list_pending()
    }

    /// Lists the users inserted so far as pending for the trigram tables.
    fn list_pending(&mut self) -> Result<(), StoreError> {
        match self.first_id.take() {
            Some(first) => super::trigrams::list_from(self.conn, first).map_err(store_error),
            None => Ok(()),
        }
    }

    fn count(&mut self, project: &'c str, live: bool) {
        let live = i64::from(live);
        match self.inserted.iter_mut().find(|(p, _, _)| *p == project) {
            Some((_, l, t)) => {
                *l += live;
                *t += 1;
            }
            None => self.inserted.push((project, live, 1)),
        }
    }

    /// The integer id and the stored row (`None` unless `returning`), or the uniqueness rule the record
    /// would break.
    fn insert(&mut self, rec: &'c NewUserRecord) -> Result<Result<(i64, Option<UserRow>), Conflict>, StoreError> {
        let write = UserWrite::for_insert(rec);
        let mut human_id = rec.human_id.clone();
        for _ in 0..HUMAN_ID_ATTEMPTS {
            match self.insert_user(rec, &write, &human_id) {
                Ok(row) => {
                    self.count(rec.project_id.as_str(), write.deleted_at.is_none());
                    // Read before the refs are inserted, which move `last_insert_rowid` on.
                    let id = self.conn.last_insert_rowid();
                    self.first_id.get_or_insert(id);
                    return match self.insert_refs(rec, id)? {
                        Ok(()) => Ok(Ok((id, row))),
                        Err(conflict) => Ok(Err(conflict)),
                    };
                }
                Err(e) => match violation(&e) {
                    Some(Violation::HumanId) => human_id = HumanId::generate(),
                    Some(Violation::Conflict(c)) => return Ok(Err(c)),
                    None => return Err(store_error(e)),
                },
            }
        }
        Err(StoreError::Backend("no free human id after several attempts".into()))
    }

    fn insert_user(
        &mut self,
        rec: &NewUserRecord,
        write: &UserWrite<'_>,
        human_id: &HumanId,
    ) -> rusqlite::Result<Option<UserRow>> {
        let stmt = &mut self.users;
        stmt.raw_bind_parameter(1, rec.project_id.as_str())?;
        stmt.raw_bind_parameter(2, rec.public_id.as_str())?;
        stmt.raw_bind_parameter(3, rec.object_id.as_str())?;
        stmt.raw_bind_parameter(4, human_id.as_str())?;
        stmt.raw_bind_parameter(5, DbTime(rec.created_at))?;
        bind_write(stmt, 6, write)?;
        if !self.returning {
            stmt.raw_execute()?;
            return Ok(None);
        }
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(row) => rows::user(row).map(Some),
            None => Err(rusqlite::Error::QueryReturnedNoRows),
        }
    }

    /// The external refs of the user just inserted; on a held ref the user is removed again.
    fn insert_refs(&mut self, rec: &NewUserRecord, id: i64) -> Result<Result<(), Conflict>, StoreError> {
        if rec.profile.external_refs.is_empty() {
            return Ok(Ok(()));
        }
        let refs = match &mut self.refs {
            Some(stmt) => stmt,
            None => self.refs.insert(self.conn.prepare_cached(&INSERT_REF).map_err(store_error)?),
        };
        for r in &rec.profile.external_refs {
            let inserted = refs.execute(rusqlite::params![
                id,
                rec.project_id.as_str(),
                r.source(),
                r.source_id(),
                rec.claims.live
            ]);
            if let Err(e) = inserted {
                let Some(Violation::Conflict(conflict)) = violation(&e) else { return Err(store_error(e)) };
                // Its refs go with it (ON DELETE CASCADE). Listed as pending, it is in no trigram table yet.
                self.list_pending()?;
                self.conn.prepare_cached(DELETE_USER).and_then(|mut s| s.execute([id])).map_err(store_error)?;
                return Ok(Err(conflict));
            }
        }
        Ok(Ok(()))
    }
}

/// Inserts one user and its external refs inside the caller's write, answering its stored row; a broken
/// uniqueness rule is a `Conflict`.
pub(crate) fn insert_one(conn: &Connection, rec: &NewUserRecord) -> Result<UserRow, StoreError> {
    let mut inserter = Inserter::new(conn, true)?;
    let inserted = inserter.insert(rec)?;
    inserter.finish()?;
    match inserted {
        Ok((_, Some(row))) => Ok(row),
        Ok((_, None)) => Err(StoreError::Backend("an inserted user was not returned".into())),
        Err(conflict) => Err(StoreError::Conflict(conflict)),
    }
}

fn update(conn: &Connection, user: &User, claims: UniqueClaims, refs: RefsChange) -> Result<UserRow, StoreError> {
    let write = UserWrite::for_update(user, claims);
    let row = {
        let mut stmt = conn.prepare_cached(&UPDATE_USER).map_err(store_error)?;
        let bound: rusqlite::Result<()> = (|| {
            stmt.raw_bind_parameter(1, user.project_id.as_str())?;
            stmt.raw_bind_parameter(2, user.numeric_id)?;
            stmt.raw_bind_parameter(3, user.version)?;
            bind_write(&mut stmt, 4, &write)
        })();
        bound.map_err(store_error)?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(store_error)? {
            Some(row) => rows::user(row).map_err(store_error)?,
            None => return Err(StoreError::VersionMismatch),
        }
    };
    if refs == RefsChange::Rewrite {
        conn.prepare_cached(&DELETE_REFS).and_then(|mut s| s.execute([user.numeric_id])).map_err(store_error)?;
        let mut insert = conn.prepare_cached(&INSERT_REF).map_err(store_error)?;
        for r in &user.profile.external_refs {
            insert
                .execute(rusqlite::params![
                    user.numeric_id,
                    user.project_id.as_str(),
                    r.source(),
                    r.source_id(),
                    claims.live
                ])
                .map_err(store_error)?;
        }
    }
    Ok(row)
}

/// Runs a query of users (columns `sql::users::USER_COLUMNS`, then `extra` more) and decodes up to `limit` rows,
/// saying whether more followed.
fn query_users<T>(
    conn: &Connection,
    query: &LiteQuery<'_>,
    limit: usize,
    mut decode: impl FnMut(&rusqlite::Row<'_>, User) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    let mut stmt = conn.prepare_cached(&query.sql).map_err(store_error)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(query.args.iter())).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(store_error)? {
        if out.len() == limit {
            return Ok((out, true));
        }
        let user: User = rows::user(row).map_err(store_error)?.try_into()?;
        out.push(decode(row, user)?);
    }
    Ok((out, false))
}

/// The sort key values selected after the user columns (`user_list::push_sort_columns`).
fn sort_key(row: &rusqlite::Row<'_>, sort: &[SortKey], id: i64) -> Result<Keyset, StoreError> {
    let mut values = Vec::with_capacity(sort.len());
    for (i, k) in sort.iter().enumerate() {
        let column = USER_COLUMN_COUNT + i;
        values.push(match k.field {
            SortField::CreatedAt | SortField::UpdatedAt => {
                SortValue::Time(row.get::<_, DbTime>(column).map_err(store_error)?.0)
            }
            _ => SortValue::Text(row.get(column).map_err(store_error)?),
        });
    }
    Ok(Keyset { values, id })
}

/// The substring comparisons of `filter` that the trigram tables serve, probed on this database
/// (`sql/substring.rs`).
pub(crate) fn substrings(conn: &Connection, filter: &UserFilter) -> Result<Substrings, StoreError> {
    Substrings::probe(filter.expr(), |sql, query| {
        let n: i64 = conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([query], |row| row.get(0)))
            .map_err(store_error)?;
        Ok(n.max(0) as u64)
    })
}

/// The page query the SQLite store runs: the size of a filter's time range is probed first
/// (`user_list::RangePlan`), and its substring comparisons (`substrings`); read from the table or a window.
pub(crate) fn page_query<'a>(
    conn: &Connection,
    project: &'a str,
    filter: &'a UserFilter,
    page: &'a PageRequest,
    substrings: &'a Substrings,
    source: Source,
) -> Result<LiteQuery<'a>, StoreError> {
    let mut probe = LiteQuery::new("");
    let range = if page.sort.is_empty() && user_list::push_range_probe(&mut probe, project, filter, Flavor::Sqlite) {
        match count(conn, &probe)? < user_list::NARROW_RANGE {
            true => RangePlan::Narrow,
            false => RangePlan::Wide,
        }
    } else {
        RangePlan::Plain
    };
    let mut query = LiteQuery::new("SELECT ");
    user_list::push_page(&mut query, project, filter, page, Reading::sqlite(range, substrings).with_source(source));
    Ok(query)
}

/// The exact count the SQLite store runs (`user_list::push_count`).
pub(crate) fn count_query<'a>(project: &'a str, filter: &'a UserFilter, substrings: &'a Substrings) -> LiteQuery<'a> {
    let mut query = LiteQuery::new("");
    user_list::push_count(&mut query, project, filter, Flavor::Sqlite, substrings);
    query
}

/// Runs a query of one count.
fn count(conn: &Connection, query: &LiteQuery<'_>) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(&query.sql)
        .and_then(|mut stmt| stmt.query_row(rusqlite::params_from_iter(query.args.iter()), |row| row.get(0)))
        .map_err(store_error)?;
    Ok(n.max(0) as u64)
}

/// Whether any user matches the filter at the position; like a page, through a window first when a substring
/// comparison has only common trigrams (`sql/substring.rs`).
fn any_user(
    conn: &Connection,
    project: &ProjectId,
    filter: &UserFilter,
    sort: &[SortKey],
    position: &Position,
    substrings: &Substrings,
) -> Result<bool, StoreError> {
    let exists = |source, substrings: &Substrings| {
        let mut query = LiteQuery::new("");
        let reading = Reading::sqlite(RangePlan::Plain, substrings).with_source(source);
        user_list::push_any(&mut query, project.as_str(), filter, sort, position, reading);
        let mut stmt = conn.prepare_cached(&query.sql).map_err(store_error)?;
        stmt.exists(rusqlite::params_from_iter(query.args.iter())).map_err(store_error)
    };
    if !(substrings.walks_common() && substring::window_first(filter.expr(), Flavor::Sqlite)) {
        return exists(Source::Table, substrings);
    }
    if exists(Source::Window, substrings)? {
        return Ok(true);
    }
    if window_saw_all(conn, project.as_str(), filter)? {
        return Ok(false);
    }
    exists(Source::Table, &substrings.with_common())
}

/// Whether a window (`user_list::Source::Window`) holds every user a page may read: the project has no more
/// users than the window (its maintained count).
fn window_saw_all(conn: &Connection, project: &str, filter: &UserFilter) -> Result<bool, StoreError> {
    let everyone = UserFilter::live().including_deleted(filter.include_deleted());
    Ok(count(conn, &count_query(project, &everyone, &substring::NONE))? <= user_list::PATTERN_WINDOW)
}

#[async_trait::async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, rec: &NewUserRecord) -> Result<User, StoreError> {
        let rec = rec.clone();
        let row = self.lite.write(move |conn| insert_one(conn, &rec)).await?;
        row.try_into()
    }

    async fn insert_users(&self, records: &[NewUserRecord]) -> Result<Vec<InsertOutcome>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self
            .lite
            .write_long(|conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(store_error)?;
                let mut outcomes = Vec::with_capacity(records.len());
                {
                    let mut inserter = Inserter::new(&tx, false)?;
                    for rec in records {
                        outcomes.push(match inserter.insert(rec)? {
                            Ok((id, _)) => InsertOutcome::Inserted(id),
                            Err(conflict) => InsertOutcome::Conflict(conflict),
                        });
                    }
                    inserter.finish()?;
                    super::trigrams::flush(&tx).map_err(store_error)?;
                }
                tx.commit().map_err(store_error)?;
                if records.len() >= crate::sql::ANALYZE_MIN_ROWS && self.analysis_due() {
                    if let Err(e) = conn.execute_batch("ANALYZE users") {
                        tracing::warn!(error = %e, "could not refresh planner statistics");
                    }
                }
                Ok(outcomes)
            })
            .await?;
        Ok(outcomes)
    }

    async fn find_users_by(
        &self,
        project: &ProjectId,
        key: &UpsertKey,
        values: &[String],
    ) -> Result<Vec<User>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = LiteQuery::new("SELECT ");
        user_list::push_users_by_key(&mut query, project.as_str(), key, values);
        self.lite.read(|conn| Ok(query_users(conn, &query, usize::MAX, |_, user| Ok(user))?.0))
    }

    async fn find_user(&self, project: &ProjectId, key: &UserKey) -> Result<Option<User>, StoreError> {
        let row = self.lite.read(|conn| {
            let (sql, value): (&str, &dyn ToSql) = match key {
                UserKey::Public(id) => (&USER_BY_PUBLIC_ID, &id.as_str()),
                UserKey::Object(id) => (&USER_BY_OBJECT_ID, &id.as_str()),
                UserKey::Numeric(id) => (&USER_BY_NUMERIC_ID, id),
                UserKey::AuthSubject(sub) => (&USER_BY_AUTH_SUBJECT, &sub.as_str()),
            };
            conn.prepare_cached(sql)
                .and_then(|mut stmt| stmt.query_row(rusqlite::params![project.as_str(), value], rows::user).optional())
                .map_err(store_error)
        })?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_user(&self, user: &User, claims: UniqueClaims, refs: RefsChange) -> Result<User, StoreError> {
        let user = user.clone();
        let row = self.lite.write(move |conn| update(conn, &user, claims, refs)).await?;
        row.try_into()
    }

    /// Writer jobs of `UPDATES_PER_JOB` users, each user in a savepoint of its own.
    async fn update_users(&self, updates: &[UserUpdate]) -> Result<Vec<Result<User, StoreError>>, StoreError> {
        let mut done = Vec::with_capacity(updates.len());
        for chunk in updates.chunks(UPDATES_PER_JOB) {
            let chunk = chunk.to_vec();
            let rows = self
                .lite
                .write(move |conn| {
                    Ok(chunk
                        .iter()
                        .map(|u| in_savepoint(conn, |conn| update(conn, &u.user, u.claims, u.refs)))
                        .collect::<Vec<_>>())
                })
                .await?;
            done.extend(rows.into_iter().map(|row| row.and_then(TryInto::try_into)));
        }
        Ok(done)
    }

    async fn count_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<u64, StoreError> {
        // The maintained count is one row: no turn needed.
        let _turn = match user_list::counted_by_project(filter) {
            true => None,
            false => Some(self.gate.enter(project.as_str()).await?),
        };
        self.lite.read_long(|conn| count(conn, &count_query(project.as_str(), filter, &substrings(conn, filter)?)))
    }

    async fn total_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<Total, StoreError> {
        let budget = match self.count_budget {
            Some(budget) if !user_list::counted_by_project(filter) => budget,
            _ => return Ok(Total::exact(self.count_users(project, filter).await?)),
        };
        let _turn = self.gate.enter(project.as_str()).await?;
        let everyone = UserFilter::live().including_deleted(filter.include_deleted());
        let p = project.as_str();
        self.lite.read_budgeted(budget, |conn, extend| {
            // The probe counts against the budget too; past it, the estimate probes again with the time left.
            match substrings(conn, filter).and_then(|s| count(conn, &count_query(p, filter, &s))) {
                Ok(n) => Ok(Total::exact(n)),
                Err(StoreError::Timeout) => {
                    extend();
                    let substrings = substrings(conn, filter)?;
                    let (mut sample, mut all) = (LiteQuery::new(""), LiteQuery::new(""));
                    user_list::push_sample_count(&mut sample, p, filter, Flavor::Sqlite, &substrings);
                    user_list::push_count(&mut all, p, &everyone, Flavor::Sqlite, &substring::NONE);
                    Ok(user_list::estimate(count(conn, &sample)?, count(conn, &all)?))
                }
                Err(e) => Err(e),
            }
        })
    }

    async fn list_users(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        if page.limit == 0 {
            return Ok(Assembled::empty());
        }
        // A filter expression or a deep offset may have to look at every user of the project.
        let scans = user_list::may_scan(filter, &page.position);
        let _turn = match scans {
            true => Some(self.gate.enter(project.as_str()).await?),
            false => None,
        };
        let read = |conn: &Connection| {
            let substrings = substrings(conn, filter)?;
            let page_from = |source, substrings: &Substrings| {
                let query = page_query(conn, project.as_str(), filter, &page, substrings, source)?;
                query_users(conn, &query, page.limit as usize, |row, user| {
                    let key =
                        if page.sort.is_empty() { None } else { Some(sort_key(row, &page.sort, user.numeric_id)?) };
                    Ok((user, key))
                })
            };
            let (users, more) = if substrings.walks_common() && substring::window_first(filter.expr(), Flavor::Sqlite) {
                let (users, more) = page_from(Source::Window, &substrings)?;
                if more || window_saw_all(conn, project.as_str(), filter)? {
                    (users, more)
                } else {
                    page_from(Source::Table, &substrings.with_common())?
                }
            } else {
                page_from(Source::Table, &substrings)?
            };
            let assembled = Assembled::new(&page, users, more);
            let more_opposite = match &assembled.opposite {
                Some(position) => any_user(conn, project, filter, &page.sort, position, &substrings)?,
                None => false,
            };
            Ok(assembled.finish(more_opposite))
        };
        if scans {
            self.lite.read_long(read)
        } else {
            self.lite.read(read)
        }
    }
}
