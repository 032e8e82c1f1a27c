//! A bulk batch between its look-up and its write (`BulkService::plan`, `BulkService::write`).

use crate::error::DomainError;
use crate::store::NewUserRecord;
use crate::user::User;

use super::{BulkDone, UserPatch};

/// A batch looked up and checked but not yet written (`BulkService::plan`, then `BulkService::write`): a
/// caller that writes more per item (addresses) can check that too, and refuse items, before any is written.
pub struct BulkPlan {
    pub(super) outcomes: Vec<Option<Result<BulkDone, DomainError>>>,
    /// Items that change a live user: position, the user as read, as changed, and the item's fields (applied
    /// again to the current version if someone wrote the user meanwhile).
    pub(super) updates: Vec<(usize, User, User, UserPatch)>,
    /// Items that create a user: position, the record, and for an upsert the key value and fields (in case the
    /// insert loses a race and becomes an update).
    pub(super) creates: Vec<(usize, NewUserRecord, Option<KeptForRace>)>,
}

/// An upsert's key value and fields, kept while its user is inserted: if another request created that user
/// first, the item updates it instead.
pub(super) type KeptForRace = (String, UserPatch);

/// Where a planned item will be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlannedUser {
    /// Into this live user (changed or not).
    Existing(i64),
    /// Into a new user.
    New,
    /// Nowhere: the item already failed.
    Failed,
}

impl BulkPlan {
    /// How many items the plan holds.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether the plan holds no item.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Where each item will be written, in order.
    pub fn targets(&self) -> Vec<PlannedUser> {
        let mut targets: Vec<PlannedUser> = self
            .outcomes
            .iter()
            .map(|o| match o {
                Some(Ok(done)) => PlannedUser::Existing(done.numeric_id),
                Some(Err(_)) => PlannedUser::Failed,
                None => PlannedUser::New,
            })
            .collect();
        for (n, user, ..) in &self.updates {
            targets[*n] = PlannedUser::Existing(user.numeric_id);
        }
        targets
    }

    /// Fails item `n` with `error`; nothing of it will be written.
    pub fn refuse(&mut self, n: usize, error: DomainError) {
        self.updates.retain(|(i, ..)| *i != n);
        self.creates.retain(|(i, ..)| *i != n);
        self.outcomes[n] = Some(Err(error));
    }
}
