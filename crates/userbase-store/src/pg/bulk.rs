//! Bulk user inserts: multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING` in one transaction per
//! call. Rows the database left out are classified (email or auth subject taken, or a human-id collision
//! that is retried with a fresh id); external refs go in the same way, and a user whose ref collides is
//! removed again, so every record is all-or-nothing and never blocks the others.

use userbase_core::error::Conflict;
use userbase_core::ids::{HumanId, ProjectId};
use userbase_core::store::{InsertOutcome, NewUserRecord, StoreError, UpsertKey};
use userbase_core::user::User;
use userbase_core::values::ExternalRef;

use crate::pg::{store_error, PgStore};
use crate::sql::rows::UserRow;
use crate::sql::time::DbTime;
use crate::sql::user_list;
use crate::sql::users as sql;
use crate::sql::users::UserWrite;

/// Rows per `INSERT` statement: 45 bound columns each stays well under PostgreSQL's 65,535-parameter limit.
pub const ROWS_PER_STATEMENT: usize = 500;

/// Records from which a bulk insert first tries plain inserts of all of them (`insert_all_or_none`); below it,
/// a conflict costs as much as the saving.
const PLAIN_FIRST_MIN: usize = 100;

/// `INSERT INTO users ... VALUES` of the records at `rows`, each with its write (`writes`, in the same order) and
/// the human id drawn for it (`human_ids`, by record); the caller appends its conflict and returning clauses.
fn user_rows<'a>(
    records: &'a [NewUserRecord],
    rows: &[usize],
    human_ids: &'a [String],
    writes: &'a [UserWrite<'a>],
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::INSERT_USER_COLUMNS.as_str());
    qb.push_values(rows.iter().zip(writes), |mut b, (&i, w)| {
        let r = &records[i];
        b.push_bind(r.project_id.as_str())
            .push_bind(r.public_id.as_str())
            .push_bind(r.object_id.as_str())
            .push_bind(human_ids[i].as_str())
            .push_bind(DbTime(r.created_at));
        for arg in w.args() {
            b.push_bind(arg);
        }
    });
    qb
}

/// `INSERT INTO user_external_refs ... VALUES` of these refs, each with its user's integer id and record.
fn ref_rows<'a>(refs: &'a [(i64, &'a NewUserRecord, &'a ExternalRef)]) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "INSERT INTO user_external_refs (user_id, project_id, source, source_id, live) ",
    );
    qb.push_values(refs, |mut b, (id, rec, r)| {
        b.push_bind(*id)
            .push_bind(rec.project_id.as_str())
            .push_bind(r.source())
            .push_bind(r.source_id())
            .push_bind(rec.claims.live);
    });
    qb
}

/// From this many users a batch defers its trigram index merges (`defer_trigram_merges`).
pub(crate) const LARGE_BATCH: usize = 1_000;

/// In a large batch's transaction, lets the trigram index's pending list grow to 64 MB before it is merged, and
/// sorts it in as much memory (the defaults, 4 MB, merged every ~5,000 users; larger merges share index pages
/// among more users: see `bulk_load_settings`, which does the same for a whole import). Local to the
/// transaction: the server's other writes keep the defaults.
async fn defer_trigram_merges(tx: &mut sqlx::PgConnection, records: usize) -> Result<(), sqlx::Error> {
    if records >= LARGE_BATCH {
        sqlx::query("SELECT set_config('gin_pending_list_limit', '64MB', true), set_config('work_mem', '64MB', true)")
            .execute(tx)
            .await?;
    }
    Ok(())
}

/// 23505 unique_violation.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|db| db.code()).is_some_and(|code| code == "23505")
}

/// The PostgreSQL bulk insert (SQLite: `lite/users.rs`).
impl PgStore {
    pub(crate) async fn bulk_insert_users(&self, records: &[NewUserRecord]) -> Result<Vec<InsertOutcome>, sqlx::Error> {
        if records.len() >= PLAIN_FIRST_MIN {
            if let Some(outcomes) = self.insert_all_or_none(records).await? {
                return Ok(outcomes);
            }
        }
        self.insert_each_or_conflict(records).await
    }

    /// Inserts every record, or none of them (`None`) if one breaks a uniqueness rule other than the human id's.
    /// An `ON CONFLICT DO NOTHING` without a target first probes every unique index for each row (ids, human id,
    /// email, subject: six extra index searches per user); a batch that conflicts nowhere, as most of an import
    /// does, is spared all but the human id's.
    async fn insert_all_or_none(&self, records: &[NewUserRecord]) -> Result<Option<Vec<InsertOutcome>>, sqlx::Error> {
        use std::collections::HashMap;

        let mut tx = self.begin_write().await?;
        defer_trigram_merges(&mut tx, records.len()).await?;
        let mut found: Vec<Option<i64>> = vec![None; records.len()];
        let mut human_ids: Vec<String> = records.iter().map(|r| r.human_id.as_str().to_owned()).collect();
        let mut pending: Vec<usize> = (0..records.len()).collect();
        for _ in 0..sql::HUMAN_ID_ATTEMPTS {
            for chunk in pending.chunks(ROWS_PER_STATEMENT) {
                let writes: Vec<UserWrite<'_>> = chunk.iter().map(|&i| UserWrite::for_insert(&records[i])).collect();
                let mut qb = user_rows(records, chunk, &human_ids, &writes);
                // Human ids are short and random: in a project of a million users about one insert in 2,000
                // draws a taken one. Only that index is probed first, and such rows are left out and drawn again.
                qb.push(" ON CONFLICT (project_id, human_id) DO NOTHING RETURNING id, public_id");
                let full = chunk.len() == ROWS_PER_STATEMENT || self.prepare_every_size;
                let rows: Vec<(i64, String)> = match qb.build_query_as().persistent(full).fetch_all(&mut *tx).await {
                    Ok(rows) => rows,
                    Err(e) if is_unique_violation(&e) => {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                };
                let by_public: HashMap<&str, usize> =
                    chunk.iter().map(|&i| (records[i].public_id.as_str(), i)).collect();
                for (id, public_id) in rows {
                    if let Some(&i) = by_public.get(public_id.as_str()) {
                        found[i] = Some(id);
                    }
                }
            }
            pending.retain(|&i| found[i].is_none());
            if pending.is_empty() {
                break;
            }
            for &i in &pending {
                human_ids[i] = HumanId::generate().as_str().to_owned();
            }
        }
        let Some(ids) = found.into_iter().collect::<Option<Vec<i64>>>() else {
            tx.rollback().await?;
            return Ok(None);
        };
        let refs: Vec<(i64, &NewUserRecord, &ExternalRef)> = ids
            .iter()
            .zip(records)
            .flat_map(|(&id, rec)| rec.profile.external_refs.iter().map(move |r| (id, rec, r)))
            .collect();
        for chunk in refs.chunks(ROWS_PER_STATEMENT * 4) {
            let mut qb = ref_rows(chunk);
            let full = chunk.len() == ROWS_PER_STATEMENT * 4 || self.prepare_every_size;
            match qb.build().persistent(full).execute(&mut *tx).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    tx.rollback().await?;
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        self.note_inserted(ids.len());
        Ok(Some(ids.into_iter().map(InsertOutcome::Inserted).collect()))
    }

    /// Inserts what it can: each record is inserted or answered with the uniqueness rule it breaks.
    async fn insert_each_or_conflict(&self, records: &[NewUserRecord]) -> Result<Vec<InsertOutcome>, sqlx::Error> {
        use std::collections::{HashMap, HashSet};

        let mut outcomes = vec![InsertOutcome::Inserted(0); records.len()];
        let mut human_ids: Vec<String> = records.iter().map(|r| r.human_id.as_str().to_owned()).collect();
        let mut ids: HashMap<usize, i64> = HashMap::with_capacity(records.len());
        let mut pending: Vec<usize> = (0..records.len()).collect();
        let mut tx = self.begin_write().await?;
        defer_trigram_merges(&mut tx, records.len()).await?;
        for _ in 0..sql::HUMAN_ID_ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            for chunk in pending.chunks(ROWS_PER_STATEMENT) {
                let writes: Vec<UserWrite<'_>> = chunk.iter().map(|&i| UserWrite::for_insert(&records[i])).collect();
                let mut qb = user_rows(records, chunk, &human_ids, &writes);
                qb.push(" ON CONFLICT DO NOTHING RETURNING id, public_id");
                // Only the full-size statement is worth keeping prepared on every pooled connection; the sizes of
                // the others vary from call to call (see `PgStore::prepare_every_size`).
                let full = chunk.len() == ROWS_PER_STATEMENT || self.prepare_every_size;
                let rows: Vec<(i64, String)> = qb.build_query_as().persistent(full).fetch_all(&mut *tx).await?;
                let by_public: HashMap<&str, usize> =
                    chunk.iter().map(|&i| (records[i].public_id.as_str(), i)).collect();
                for (id, public_id) in rows {
                    if let Some(&i) = by_public.get(public_id.as_str()) {
                        ids.insert(i, id);
                    }
                }
            }
            let missing: Vec<usize> = pending.iter().copied().filter(|i| !ids.contains_key(i)).collect();
            if missing.is_empty() {
                pending.clear();
                break;
            }
            // Why were they left out? An email or subject now held (by an older user or an earlier
            // record of this call) is a conflict; anything else was a human-id collision.
            let project = records[missing[0]].project_id.as_str();
            let emails: Vec<String> = missing
                .iter()
                .filter(|&&i| records[i].claims.email)
                .filter_map(|&i| records[i].profile.email.as_ref().map(|e| e.normalized()))
                .collect();
            let subjects: Vec<&str> = missing
                .iter()
                .filter(|&&i| records[i].claims.live)
                .filter_map(|&i| records[i].profile.auth_subject.as_deref())
                .collect();
            let taken_emails: HashSet<String> = if emails.is_empty() {
                HashSet::new()
            } else {
                let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                    "SELECT email_normalized FROM users WHERE email_unique AND project_id = ",
                );
                q.push_bind(project).push(" AND email_normalized IN (");
                let mut list = q.separated(", ");
                for e in &emails {
                    list.push_bind(e.as_str());
                }
                q.push(")");
                q.build_query_scalar::<String>().persistent(false).fetch_all(&mut *tx).await?.into_iter().collect()
            };
            let taken_subjects: HashSet<String> = if subjects.is_empty() {
                HashSet::new()
            } else {
                let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                    "SELECT auth_subject FROM users WHERE deleted_at IS NULL AND project_id = ",
                );
                q.push_bind(project).push(" AND auth_subject IN (");
                let mut list = q.separated(", ");
                for s in &subjects {
                    list.push_bind(*s);
                }
                q.push(")");
                q.build_query_scalar::<String>().persistent(false).fetch_all(&mut *tx).await?.into_iter().collect()
            };
            pending.clear();
            for i in missing {
                let r = &records[i];
                let email_taken =
                    r.claims.email && r.profile.email.as_ref().is_some_and(|e| taken_emails.contains(&e.normalized()));
                let subject_taken =
                    r.claims.live && r.profile.auth_subject.as_ref().is_some_and(|s| taken_subjects.contains(s));
                if email_taken {
                    outcomes[i] = InsertOutcome::Conflict(Conflict::Email);
                } else if subject_taken {
                    outcomes[i] = InsertOutcome::Conflict(Conflict::AuthSubject);
                } else {
                    human_ids[i] = HumanId::generate().as_str().to_owned();
                    pending.push(i);
                }
            }
        }
        if !pending.is_empty() {
            return Err(sqlx::Error::Protocol("no free human id after several attempts".into()));
        }

        // External refs of the inserted users, in record order so that the earlier of two records
        // claiming one ref wins; a user whose ref is held elsewhere is removed again.
        let mut inserted: Vec<(usize, i64)> = ids.iter().map(|(&i, &id)| (i, id)).collect();
        inserted.sort_unstable();
        let refs: Vec<(i64, &NewUserRecord, &ExternalRef)> = inserted
            .iter()
            .flat_map(|&(i, id)| records[i].profile.external_refs.iter().map(move |r| (id, &records[i], r)))
            .collect();
        let mut rejected: HashSet<i64> = HashSet::new();
        for chunk in refs.chunks(ROWS_PER_STATEMENT * 4) {
            let mut qb = ref_rows(chunk);
            qb.push(" ON CONFLICT DO NOTHING RETURNING user_id, source, source_id");
            let full = chunk.len() == ROWS_PER_STATEMENT * 4 || self.prepare_every_size;
            let rows: Vec<(i64, String, String)> = qb.build_query_as().persistent(full).fetch_all(&mut *tx).await?;
            let stored: HashSet<(i64, &str, &str)> =
                rows.iter().map(|(id, s, sid)| (*id, s.as_str(), sid.as_str())).collect();
            for (id, _, r) in chunk {
                if !stored.contains(&(*id, r.source(), r.source_id())) {
                    rejected.insert(*id);
                }
            }
        }
        if !rejected.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("DELETE FROM users WHERE id IN (");
            let mut list = q.separated(", ");
            for id in &rejected {
                list.push_bind(*id);
            }
            q.push(")");
            q.build().persistent(false).execute(&mut *tx).await?;
            for (&i, id) in &ids {
                if rejected.contains(id) {
                    outcomes[i] = InsertOutcome::Conflict(Conflict::ExternalRef);
                }
            }
        }
        tx.commit().await?;
        for (&i, &id) in &ids {
            if let InsertOutcome::Inserted(at) = &mut outcomes[i] {
                *at = id;
            }
        }
        self.note_inserted(outcomes.iter().filter(|o| matches!(o, InsertOutcome::Inserted(_))).count());
        Ok(outcomes)
    }

    pub(crate) async fn users_by_key(
        &self,
        project: &ProjectId,
        key: &UpsertKey,
        values: &[String],
    ) -> Result<Vec<User>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        user_list::push_users_by_key(&mut qb, project.as_str(), key, values);
        let rows =
            qb.build_query_as::<UserRow>().persistent(false).fetch_all(&self.reader).await.map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
