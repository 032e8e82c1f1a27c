//! The PostgreSQL store through sqlx: this file holds the users; each other resource (`projects`, `keys`,
//! `addresses`, `organizations`, `records`, `pricing`, `idempotency`, `bulk`) has its own module with its rows,
//! its SQL (shared with the SQLite store in `lite/`) and its part of the PostgreSQL store.

use std::collections::BTreeMap;

use sqlx::types::Json;
use userbase_core::store::{NewUserRecord, StoreError, UniqueClaims};
use userbase_core::user::{BuiltonExtras, Profile, User, UserStatus};
use userbase_core::values::GroupRef;

use crate::db_time::DbTime;
use crate::rows::RefJson;
use crate::violation::{classify, Violation};

/// Whether a connection coming back to its pool is outside any transaction. One that is not (a request
/// cancelled between `BEGIN` and its end, e.g. by a client hanging up) is closed rather than reused: closing
/// rolls the transaction back, and reusing it would leave the next user of that connection inside it.
pub fn outside_transaction<DB: sqlx::Database>(conn: &DB::Connection) -> bool {
    use sqlx::TransactionManager;
    let depth = <DB::TransactionManager as TransactionManager>::get_transaction_depth(conn);
    if depth != 0 {
        tracing::warn!(depth, "closing a connection released inside a transaction");
    }
    depth == 0
}

/// How often a user insert is retried when its random human id collides.
pub const HUMAN_ID_ATTEMPTS: usize = 5;

/// The values of the write columns (`sql::WRITE_COLUMNS`) for one user, borrowed where possible.
pub struct UserWrite<'a> {
    pub profile: &'a Profile,
    pub email_normalized: Option<String>,
    pub email_unique: bool,
    pub gender: Option<&'static str>,
    pub country: Option<&'static str>,
    pub parent_group: Option<Json<&'a GroupRef>>,
    pub external_refs: Json<Vec<RefJson>>,
    pub metadata: Json<&'a BTreeMap<String, String>>,
    pub tags: Json<&'a Vec<String>>,
    pub roles: Json<&'a Vec<String>>,
    pub builton: Json<&'a BuiltonExtras>,
    pub status: &'static str,
    pub updated_at: DbTime,
    pub last_login_at: Option<DbTime>,
    pub deleted_at: Option<DbTime>,
}

impl<'a> UserWrite<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        profile: &'a Profile,
        builton: &'a BuiltonExtras,
        status: UserStatus,
        claims: UniqueClaims,
        updated_at: time::OffsetDateTime,
        last_login_at: Option<time::OffsetDateTime>,
        deleted_at: Option<time::OffsetDateTime>,
    ) -> Self {
        Self {
            profile,
            email_normalized: profile.email.as_ref().map(|e| e.normalized()),
            email_unique: claims.email,
            gender: profile.gender.map(|g| g.code()),
            country: profile.country.map(|c| c.as_str()),
            parent_group: profile.parent_group.as_ref().map(Json),
            external_refs: Json(profile.external_refs.iter().map(RefJson::from).collect()),
            metadata: Json(profile.metadata.as_map()),
            tags: Json(&profile.tags),
            roles: Json(&profile.roles),
            builton: Json(builton),
            status: status.as_str(),
            updated_at: updated_at.into(),
            last_login_at: last_login_at.map(DbTime),
            deleted_at: deleted_at.map(DbTime),
        }
    }

    pub fn for_insert(r: &'a NewUserRecord) -> Self {
        Self::new(&r.profile, &r.builton, r.status, r.claims, r.created_at, r.last_login_at, None)
    }

    pub fn for_update(u: &'a User, claims: UniqueClaims) -> Self {
        Self::new(&u.profile, &u.builton, u.status, claims, u.updated_at, u.last_login_at, u.deleted_at)
    }
}

/// Binds the write columns of a `UserWrite`, in `sql::WRITE_COLUMNS` order, with `$bind` (`bind` on a
/// query, `push_bind` on a multi-row `VALUES` list), so single and bulk inserts share one column list.
macro_rules! bind_user_write {
    ($query:expr, $w:expr) => {
        crate::sql_store::bind_user_write!($query, $w, bind)
    };
    ($query:expr, $w:expr, $bind:ident) => {{
        let w = $w;
        let p = w.profile;
        $query
            .$bind(p.auth_subject.as_deref())
            .$bind(p.email.as_ref().map(|e| e.as_str()))
            .$bind(w.email_normalized.as_deref())
            .$bind(w.email_unique)
            .$bind(p.email_verified)
            .$bind(p.salutation.as_deref())
            .$bind(p.first_name.as_deref())
            .$bind(p.middle_name.as_deref())
            .$bind(p.last_name.as_deref())
            .$bind(p.full_name.as_deref())
            .$bind(p.abbreviation.as_deref())
            .$bind(p.birth_date)
            .$bind(w.gender)
            .$bind(p.phone.as_deref())
            .$bind(p.mobile.as_deref())
            .$bind(p.locale.as_ref().map(|l| l.as_str()))
            .$bind(w.country)
            .$bind(p.company_name.as_deref())
            .$bind(p.login.as_deref())
            .$bind(p.debtor_id.as_deref())
            .$bind(p.tax_number.as_deref())
            .$bind(p.coc_number.as_deref())
            .$bind(p.pricelist_amount.as_deref())
            .$bind(p.pricelist_percentage.as_deref())
            .$bind(&w.parent_group)
            .$bind(&w.external_refs)
            .$bind(&w.metadata)
            .$bind(&w.tags)
            .$bind(p.bio.as_deref())
            .$bind(p.note.as_deref())
            .$bind(p.image_ref.as_deref())
            .$bind(p.avatar.as_deref())
            .$bind(p.default_payment_method_ref.as_deref())
            .$bind(&w.roles)
            .$bind(p.default_organization_id)
            .$bind(&w.builton)
            .$bind(w.status)
            .$bind(w.updated_at)
            .$bind(w.last_login_at)
            .$bind(w.deleted_at)
    }};
}
pub(crate) use bind_user_write;

/// Maps a database error to the store's error: known uniqueness violations become conflicts.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match classify(&e) {
        Some(Violation::Conflict(c)) => StoreError::Conflict(c),
        _ => StoreError::Backend(e.to_string()),
    }
}

#[async_trait::async_trait]
impl userbase_core::store::Store for crate::postgres::PgStore {
    async fn ping(&self) -> Result<(), userbase_core::store::StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(crate::sql_store::store_error)?;
        Ok(())
    }
}

impl crate::postgres::PgStore {
    /// Inserts concurrent users in one transaction (see `coalesce.rs`): each gets its stored user, or the
    /// uniqueness rule it would break.
    pub(crate) async fn insert_users_together(
        &self,
        records: &[userbase_core::store::NewUserRecord],
    ) -> Result<Vec<Result<userbase_core::user::User, userbase_core::store::StoreError>>, sqlx::Error> {
        use std::collections::HashMap;
        use userbase_core::store::{InsertOutcome, StoreError};
        let outcomes = self.bulk_insert_users(records).await?;
        let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        query.push(crate::sql::USER_COLUMNS).push(" FROM users WHERE public_id IN (");
        let mut ids = query.separated(", ");
        for r in records {
            ids.push_bind(r.public_id.as_str());
        }
        query.push(")");
        let rows: Vec<crate::rows::UserRow> =
            query.build_query_as().persistent(self.prepare_every_size).fetch_all(&self.writer).await?;
        let mut stored: HashMap<(String, String), crate::rows::UserRow> =
            rows.into_iter().map(|row| ((row.project_id.clone(), row.public_id.clone()), row)).collect();
        Ok(records
            .iter()
            .zip(outcomes)
            .map(|(r, outcome)| match outcome {
                InsertOutcome::Conflict(c) => Err(StoreError::Conflict(c)),
                InsertOutcome::Inserted => stored
                    .remove(&(r.project_id.as_str().to_owned(), r.public_id.as_str().to_owned()))
                    .ok_or_else(|| StoreError::Backend("an inserted user was not found".into()))
                    .and_then(TryInto::try_into),
            })
            .collect())
    }

    /// Inserts one user, retrying with a fresh human id on a collision.
    pub(crate) async fn insert_one_user(
        &self,
        rec: &userbase_core::store::NewUserRecord,
    ) -> Result<userbase_core::user::User, userbase_core::store::StoreError> {
        let mut human_id = rec.human_id.clone();
        for _ in 0..crate::sql_store::HUMAN_ID_ATTEMPTS {
            match self.try_insert_user(rec, human_id.as_str()).await {
                Ok(row) => return row.try_into(),
                Err(e) if crate::violation::classify(&e) == Some(crate::violation::Violation::HumanId) => {
                    human_id = userbase_core::ids::HumanId::generate();
                }
                Err(e) => return Err(crate::sql_store::store_error(e)),
            }
        }
        Err(userbase_core::store::StoreError::Backend("no free human id after several attempts".into()))
    }

    async fn try_insert_user(
        &self,
        rec: &userbase_core::store::NewUserRecord,
        human_id: &str,
    ) -> Result<crate::rows::UserRow, sqlx::Error> {
        let write = crate::sql_store::UserWrite::for_insert(rec);
        let query = sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::INSERT_USER)
            .bind(rec.project_id.as_str())
            .bind(rec.public_id.as_str())
            .bind(rec.object_id.as_str())
            .bind(human_id)
            .bind(crate::db_time::DbTime(rec.created_at));
        let query = crate::sql_store::bind_user_write!(query, &write);
        if rec.profile.external_refs.is_empty() {
            // One statement is atomic by itself: no BEGIN and COMMIT round trips.
            return query.fetch_one(&self.writer).await;
        }
        let mut tx = self.begin_write().await?;
        let row = query.fetch_one(&mut *tx).await?;
        for r in &rec.profile.external_refs {
            sqlx::query(crate::sql::INSERT_REF)
                .bind(row.id)
                .bind(rec.project_id.as_str())
                .bind(r.source())
                .bind(r.source_id())
                .bind(rec.claims.live)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(row)
    }
}

#[async_trait::async_trait]
impl crate::coalesce::InsertWriter for crate::postgres::PgStore {
    async fn insert_one(
        &self,
        record: &userbase_core::store::NewUserRecord,
    ) -> Result<userbase_core::user::User, userbase_core::store::StoreError> {
        self.insert_one_user(record).await
    }

    async fn insert_together(
        &self,
        records: &[userbase_core::store::NewUserRecord],
    ) -> Result<Vec<Result<userbase_core::user::User, userbase_core::store::StoreError>>, sqlx::Error> {
        self.insert_users_together(records).await
    }
}

#[async_trait::async_trait]
impl userbase_core::store::UserStore for crate::postgres::PgStore {
    async fn insert_user(
        &self,
        rec: &userbase_core::store::NewUserRecord,
    ) -> Result<userbase_core::user::User, userbase_core::store::StoreError> {
        match self.insert_queue() {
            Some(queue) => crate::coalesce::insert_user(queue, rec).await,
            None => self.insert_one_user(rec).await,
        }
    }

    async fn insert_users(
        &self,
        records: &[userbase_core::store::NewUserRecord],
    ) -> Result<Vec<userbase_core::store::InsertOutcome>, userbase_core::store::StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.bulk_insert_users(records).await.map_err(crate::sql_store::store_error)
    }

    async fn find_users_by(
        &self,
        project: &userbase_core::ids::ProjectId,
        key: &userbase_core::store::UpsertKey,
        values: &[String],
    ) -> Result<Vec<userbase_core::user::User>, userbase_core::store::StoreError> {
        self.users_by_key(project, key, values).await
    }

    async fn find_user(
        &self,
        project: &userbase_core::ids::ProjectId,
        key: &userbase_core::user::UserKey,
    ) -> Result<Option<userbase_core::user::User>, userbase_core::store::StoreError> {
        use userbase_core::user::UserKey;
        let row = match key {
            UserKey::Public(id) => {
                sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::USER_BY_PUBLIC_ID)
                    .bind(project.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::Object(id) => {
                sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::USER_BY_OBJECT_ID)
                    .bind(project.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::Numeric(id) => {
                sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::USER_BY_NUMERIC_ID)
                    .bind(project.as_str())
                    .bind(*id)
                    .fetch_optional(&self.reader)
                    .await
            }
            UserKey::AuthSubject(sub) => {
                sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::USER_BY_AUTH_SUBJECT)
                    .bind(project.as_str())
                    .bind(sub.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
        }
        .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_user(
        &self,
        user: &userbase_core::user::User,
        claims: userbase_core::store::UniqueClaims,
        refs: userbase_core::store::RefsChange,
    ) -> Result<userbase_core::user::User, userbase_core::store::StoreError> {
        let write = crate::sql_store::UserWrite::for_update(user, claims);
        let query = sqlx::query_as::<_, crate::rows::UserRow>(&crate::sql::UPDATE_USER)
            .bind(user.project_id.as_str())
            .bind(user.numeric_id)
            .bind(user.version);
        let query = crate::sql_store::bind_user_write!(query, &write);
        if refs == userbase_core::store::RefsChange::Unchanged {
            // One statement is atomic by itself: no BEGIN and COMMIT round trips.
            return query
                .fetch_optional(&self.writer)
                .await
                .map_err(crate::sql_store::store_error)?
                .ok_or(userbase_core::store::StoreError::VersionMismatch)?
                .try_into();
        }
        let mut tx = self.begin_write().await.map_err(crate::sql_store::store_error)?;
        let row = query
            .fetch_optional(&mut *tx)
            .await
            .map_err(crate::sql_store::store_error)?
            .ok_or(userbase_core::store::StoreError::VersionMismatch)?;
        sqlx::query(crate::sql::DELETE_REFS)
            .bind(user.numeric_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::sql_store::store_error)?;
        for r in &user.profile.external_refs {
            sqlx::query(crate::sql::INSERT_REF)
                .bind(user.numeric_id)
                .bind(user.project_id.as_str())
                .bind(r.source())
                .bind(r.source_id())
                .bind(claims.live)
                .execute(&mut *tx)
                .await
                .map_err(crate::sql_store::store_error)?;
        }
        tx.commit().await.map_err(crate::sql_store::store_error)?;
        row.try_into()
    }

    async fn count_users(
        &self,
        project: &userbase_core::ids::ProjectId,
        filter: &userbase_core::store::UserFilter,
    ) -> Result<u64, userbase_core::store::StoreError> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT COUNT(*) FROM users");
        crate::sql::push_user_conditions(
            &mut qb,
            project.as_str(),
            filter,
            &[],
            &userbase_core::page::Position::First,
            crate::filter_sql::Flavor::Postgres,
        );
        let (count,): (i64,) =
            qb.build_query_as().fetch_one(&self.reader).await.map_err(crate::sql_store::store_error)?;
        Ok(count.max(0) as u64)
    }

    async fn list_users(
        &self,
        project: &userbase_core::ids::ProjectId,
        filter: &userbase_core::store::UserFilter,
        page: userbase_core::page::PageRequest,
    ) -> Result<userbase_core::page::Page<userbase_core::user::User>, userbase_core::store::StoreError> {
        use sqlx::{FromRow, Row};
        use userbase_core::page::{Keyset, SortField, SortValue};
        if page.limit == 0 {
            return Ok(crate::paging::Assembled::empty());
        }
        let backwards = page.position.is_backwards();
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        qb.push(crate::sql::USER_COLUMNS);
        crate::sql::push_sort_columns(&mut qb, &page.sort);
        qb.push(" FROM users");
        crate::sql::push_user_conditions(
            &mut qb,
            project.as_str(),
            filter,
            &page.sort,
            &page.position,
            crate::filter_sql::Flavor::Postgres,
        );
        crate::sql::push_order(&mut qb, &page.sort, backwards);
        qb.push(" LIMIT ").push_bind(i64::from(page.limit) + 1);
        let rows = qb.build().fetch_all(&self.reader).await.map_err(crate::sql_store::store_error)?;
        let limit = page.limit as usize;
        let mut users = Vec::with_capacity(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            let user: userbase_core::user::User =
                crate::rows::UserRow::from_row(row).map_err(crate::sql_store::store_error)?.try_into()?;
            let key = if page.sort.is_empty() {
                None
            } else {
                let mut values = Vec::with_capacity(page.sort.len());
                for (i, k) in page.sort.iter().enumerate() {
                    let column = format!("k{i}");
                    values.push(match k.field {
                        SortField::CreatedAt | SortField::UpdatedAt => SortValue::Time(
                            row.try_get::<crate::db_time::DbTime, _>(column.as_str())
                                .map_err(crate::sql_store::store_error)?
                                .0,
                        ),
                        _ => SortValue::Text(
                            row.try_get::<String, _>(column.as_str()).map_err(crate::sql_store::store_error)?,
                        ),
                    });
                }
                Some(Keyset { values, id: user.numeric_id })
            };
            users.push((user, key));
        }
        let assembled = crate::paging::Assembled::new(&page, users, rows.len() > limit);
        let more_opposite = match &assembled.opposite {
            Some(position) => self.any_user(project, filter, &page.sort, position).await?,
            None => false,
        };
        Ok(assembled.finish(more_opposite))
    }
}

impl crate::postgres::PgStore {
    /// Whether any user matches the filter at the position.
    async fn any_user(
        &self,
        project: &userbase_core::ids::ProjectId,
        filter: &userbase_core::store::UserFilter,
        sort: &[userbase_core::page::SortKey],
        position: &userbase_core::page::Position,
    ) -> Result<bool, userbase_core::store::StoreError> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT id FROM users");
        crate::sql::push_user_conditions(
            &mut qb,
            project.as_str(),
            filter,
            sort,
            position,
            crate::filter_sql::Flavor::Postgres,
        );
        qb.push(" LIMIT 1");
        let row = qb.build().fetch_optional(&self.reader).await.map_err(crate::sql_store::store_error)?;
        Ok(row.is_some())
    }
}
