//! Turns for expensive reads: filtered lists, counts and deep offsets, which may scan every user of a project.
//! At most `total` run at once, and at most `per_project` for one project, so that one project's burst of such
//! reads can neither take every database connection (PostgreSQL) or core (SQLite) from cheap requests (a get by
//! id, an email lookup, a write never queue here) nor every turn from other projects' expensive reads.
//!
//! A read waits for its project's turn first and then for a global one, so a project's excess waits in its own
//! queue without holding a global turn. Both queues are first come, first served. Waiting is bounded by the
//! query time bound: a read that gets no turn in time fails with `StoreError::Timeout`, like one that ran too
//! long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use userbase_core::store::StoreError;

/// Past this many remembered projects, the ones nobody holds or waits for are forgotten.
const REMEMBERED_PROJECTS: usize = 256;

pub struct ReadGate {
    total: Arc<Semaphore>,
    per_project: usize,
    projects: Mutex<HashMap<String, Arc<Semaphore>>>,
    wait: Option<Duration>,
}

/// A turn; dropping it gives it back.
pub struct Turn {
    _project: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

impl ReadGate {
    /// `total` turns at once, `per_project` of them for one project (both at least 1); `wait`: how long a read
    /// waits for a turn (`None`: without bound).
    pub fn new(total: usize, per_project: usize, wait: Option<Duration>) -> Self {
        let total = total.max(1);
        Self {
            total: Arc::new(Semaphore::new(total)),
            per_project: per_project.clamp(1, total),
            projects: Mutex::new(HashMap::new()),
            wait,
        }
    }

    /// Waits for a turn for an expensive read of `project`.
    pub async fn enter(&self, project: &str) -> Result<Turn, StoreError> {
        let queue = {
            let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
            if projects.len() >= REMEMBERED_PROJECTS {
                // A semaphore held or waited on has clones in permits and waiters.
                projects.retain(|_, s| Arc::strong_count(s) > 1);
            }
            Arc::clone(projects.entry(project.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_project))))
        };
        let deadline = self.wait.map(|w| tokio::time::Instant::now() + w);
        let project = bounded(deadline, queue.acquire_owned()).await?;
        let total = bounded(deadline, Arc::clone(&self.total).acquire_owned()).await?;
        Ok(Turn { _project: project, _total: total })
    }
}

async fn bounded(
    deadline: Option<tokio::time::Instant>,
    acquire: impl std::future::Future<Output = Result<OwnedSemaphorePermit, tokio::sync::AcquireError>>,
) -> Result<OwnedSemaphorePermit, StoreError> {
    let permit = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, acquire).await.map_err(|_| StoreError::Timeout)?,
        None => acquire.await,
    };
    // The semaphores are never closed.
    permit.map_err(|_| StoreError::Backend("read gate closed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_project_at_its_cap_waits_and_times_out_while_another_project_gets_a_turn() {
        let gate = ReadGate::new(3, 2, Some(Duration::from_millis(50)));
        let _a1 = gate.enter("a").await.unwrap();
        let _a2 = gate.enter("a").await.unwrap();
        assert!(matches!(gate.enter("a").await, Err(StoreError::Timeout)));
        let _b = gate.enter("b").await.unwrap();
        // All three global turns are taken.
        assert!(matches!(gate.enter("c").await, Err(StoreError::Timeout)));
    }
}
