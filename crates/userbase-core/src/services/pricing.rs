//! Pricing of live users: add or replace items, list, remove all.

use std::sync::Arc;

use crate::error::DomainError;
use crate::pricing::PricingItem;
use crate::project::Project;
use crate::store::Store;
use crate::user::UserKey;

use super::UserService;

/// Most items one user's pricing holds.
pub const MAX_PRICING_ITEMS: usize = 1_000;

#[derive(Clone)]
pub struct PricingService {
    store: Arc<dyn Store>,
    users: UserService,
}

impl PricingService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { users: UserService::new(store.clone()), store }
    }

    /// Adds the items (replacing any for the same targets) and returns the user's whole pricing.
    pub async fn put(
        &self,
        project: &Project,
        user: &UserKey,
        items: Vec<PricingItem>,
    ) -> Result<Vec<PricingItem>, DomainError> {
        if items.is_empty() {
            return Err(DomainError::invalid("categories", "required", "Give categories, products or both."));
        }
        let user_id = self.users.live_id(project, user).await?;
        self.store.put_pricing(&project.id, user_id, &items).await?;
        let all = self.store.list_pricing(&project.id, user_id).await?;
        if all.len() > MAX_PRICING_ITEMS {
            return Err(DomainError::invalid(
                "pricing",
                "too_many_items",
                format!("At most {MAX_PRICING_ITEMS} items."),
            ));
        }
        Ok(all)
    }

    pub async fn list(&self, project: &Project, user: &UserKey) -> Result<Vec<PricingItem>, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        Ok(self.store.list_pricing(&project.id, user_id).await?)
    }

    pub async fn clear(&self, project: &Project, user: &UserKey) -> Result<u64, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        Ok(self.store.delete_pricing(&project.id, user_id).await?)
    }
}
