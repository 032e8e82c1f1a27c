//! Services: the business rules, run against a `Store`.

mod address_patch;
mod address_plan;
mod addresses;
mod bulk;
mod bulk_nested;
mod bulk_plan;
mod keys;
mod organizations;
mod personal_data;
mod pricing;
mod projects;
mod race;
mod records;
mod user_patch;
mod users;

pub use address_patch::AddressPatch;
pub use address_plan::{AddressBatch, AddressPlan};
pub use addresses::{AddressAction, AddressService, MAX_ADDRESSES_PER_USER};
pub use bulk::{BulkAction, BulkCounts, BulkDone, BulkItem, BulkMode, BulkOutcome, BulkService, BULK_BATCH};
pub use bulk_nested::{NestedBulkService, NestedDone, NestedItem};
pub use bulk_plan::{BulkPlan, PlannedUser};
pub use keys::{KeyService, DEFAULT_KEY_CACHE_TTL};
pub use organizations::{check_role, OrganizationPatch, OrganizationService, MEMBER_ROLE};
pub use personal_data::{Erasure, PersonalDataService, RemovedTotals, SubjectData, PURGE_BATCH};
pub use pricing::PricingService;
pub use projects::{NewProject, ProjectService, ProjectUpdate};
pub use records::{RecordPatch, RecordService};
pub use user_patch::{SourceRefChange, UserPatch};
pub use users::{SignedIn, UserService};

use crate::error::DomainError;
use crate::store::StoreError;

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => DomainError::Conflict(c),
            StoreError::VersionMismatch => DomainError::PreconditionFailed,
            StoreError::Gone(resource) => DomainError::NotFound { resource },
            StoreError::Timeout => DomainError::QueryTooExpensive,
            StoreError::Backend(msg) => DomainError::Internal(msg),
        }
    }
}
