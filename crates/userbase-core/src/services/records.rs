//! Orders, payment methods and subscriptions of live users: create, read, update, soft delete, list.

use std::sync::Arc;

use crate::error::{DomainError, FieldError, FieldErrors};
use crate::page::{Page, PageParams, PageRequest, PageStart, Position, SortField, SortKey};
use crate::patch::Patch;
use crate::project::Project;
use crate::record::{RecordFilter, RecordKind, UserRecord};
use crate::store::Store;
use crate::time_util::now_utc;
use crate::user::UserKey;

use super::race::until_not_overtaken;
use super::UserService;

/// Fields of a record to create or change. `details` merges key by key; `null` deletes a key.
#[derive(Debug, Clone, Default)]
pub struct RecordPatch {
    pub status: Option<String>,
    pub delivery_status: Patch<String>,
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Most detail keys a record holds.
const MAX_DETAIL_KEYS: usize = 50;

#[derive(Clone)]
pub struct RecordService {
    store: Arc<dyn Store>,
    users: UserService,
}

fn not_found() -> DomainError {
    DomainError::NotFound { resource: "record" }
}

impl RecordPatch {
    fn apply(self, kind: RecordKind, r: &mut UserRecord) -> Result<(), DomainError> {
        let mut e = FieldErrors::new();
        if let Some(status) = self.status {
            if e.take(kind.check_status("status", &status)).is_some() {
                r.status = status;
            }
        }
        match self.delivery_status {
            Patch::Keep => {}
            Patch::Clear => r.delivery_status = None,
            Patch::Set(s) => {
                if e.take(kind.check_delivery_status(&s)).is_some() {
                    r.delivery_status = Some(s);
                }
            }
        }
        for (k, v) in self.details {
            if v.is_null() {
                r.details.remove(&k);
            } else {
                r.details.insert(k, v);
            }
        }
        if r.details.len() > MAX_DETAIL_KEYS {
            e.push(crate::error::FieldError::new(
                "details",
                "too_many_keys",
                format!("At most {MAX_DETAIL_KEYS} keys."),
            ));
        }
        e.finish().map_err(DomainError::Invalid)
    }
}

impl RecordService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { users: UserService::new(store.clone()), store }
    }

    pub async fn create(
        &self,
        project: &Project,
        user: &UserKey,
        kind: RecordKind,
        patch: RecordPatch,
    ) -> Result<UserRecord, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        let now = now_utc();
        let mut record = UserRecord {
            numeric_id: 0,
            public_id: kind.new_public_id(),
            project_id: project.id.clone(),
            user_id,
            kind,
            status: kind.default_status().to_owned(),
            delivery_status: None,
            details: Default::default(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            version: 1,
        };
        patch.apply(kind, &mut record)?;
        Ok(self.store.insert_record(&record).await?)
    }

    /// A live record.
    pub async fn get(
        &self,
        project: &Project,
        user: &UserKey,
        kind: RecordKind,
        id: &str,
    ) -> Result<UserRecord, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        // An id of another shape names no record; it never reaches the database (NUL bytes, huge strings).
        if !kind.owns_id(id) {
            return Err(not_found());
        }
        match self.store.find_record(&project.id, user_id, kind, id).await? {
            Some(r) if r.deleted_at.is_none() => Ok(r),
            _ => Err(not_found()),
        }
    }

    pub async fn update(
        &self,
        project: &Project,
        user: &UserKey,
        kind: RecordKind,
        id: &str,
        patch: RecordPatch,
        expected_version: Option<i64>,
    ) -> Result<UserRecord, DomainError> {
        until_not_overtaken(expected_version, || async {
            let mut record = self.get(project, user, kind, id).await?;
            if expected_version.is_some_and(|v| v != record.version) {
                return Err(DomainError::PreconditionFailed);
            }
            patch.clone().apply(kind, &mut record)?;
            record.updated_at = now_utc();
            Ok(self.store.update_record(&record).await?)
        })
        .await
    }

    /// Soft delete: the record stays, listed only with `include_deleted`.
    pub async fn delete(
        &self,
        project: &Project,
        user: &UserKey,
        kind: RecordKind,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<UserRecord, DomainError> {
        until_not_overtaken(expected_version, || async {
            let mut record = self.get(project, user, kind, id).await?;
            if expected_version.is_some_and(|v| v != record.version) {
                return Err(DomainError::PreconditionFailed);
            }
            let now = now_utc();
            record.deleted_at = Some(now);
            record.updated_at = now;
            Ok(self.store.update_record(&record).await?)
        })
        .await
    }

    /// A page of a user's records of a kind matching `filter`. Records are paged by offset (page numbers),
    /// sorted by one timestamp (`created_at` or `updated_at`, newest first by default), with the total when
    /// the client asked for one.
    pub async fn list(
        &self,
        project: &Project,
        user: &UserKey,
        kind: RecordKind,
        filter: &RecordFilter,
        params: PageParams,
    ) -> Result<Page<UserRecord>, DomainError> {
        let position = match params.start {
            PageStart::First => Position::First,
            PageStart::Offset(n) => Position::Offset(n),
            PageStart::AfterId { param, .. } | PageStart::BeforeId { param, .. } | PageStart::Cursor { param, .. } => {
                return Err(DomainError::InvalidParameter(FieldError::new(
                    param,
                    "offset_only",
                    "Records are paged by offset.",
                )))
            }
        };
        let sort = match params.sort.as_slice() {
            [] => vec![SortKey { field: SortField::CreatedAt, descending: true }],
            [one] if matches!(one.field, SortField::CreatedAt | SortField::UpdatedAt) => params.sort,
            _ => {
                return Err(DomainError::InvalidParameter(FieldError::new(
                    "sort",
                    "invalid_sort",
                    "Records sort by created_at or updated_at.",
                )))
            }
        };
        let user_id = self.users.live_id(project, user).await?;
        let request = PageRequest { position, limit: params.limit, sort };
        let mut page = self.store.list_records(&project.id, user_id, kind, filter, &request).await?;
        if params.total {
            page.total = Some(self.store.count_records(&project.id, user_id, kind, filter).await?);
        }
        Ok(page)
    }
}
