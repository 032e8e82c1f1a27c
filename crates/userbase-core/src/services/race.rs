//! Optimistic writes under contention. A service reads a row, changes it in the domain and writes it back
//! only if the row's version is still the one it read (`StoreError::VersionMismatch` otherwise). When another
//! writer got there first: a client that sent `If-Match` asked for that exact version, and gets 412; a client
//! that did not gets its change applied on top of the other one, re-read and re-applied as often as it takes,
//! with a jittered backoff so that contenders spread out instead of colliding again.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::DomainError;

/// How long a write keeps trying before it gives up (the database is then overloaded, not merely contended:
/// 45 writers of one row settle in well under a second).
const RACE_BUDGET: Duration = Duration::from_secs(30);

/// The longest pause between two tries.
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// Runs `attempt` (read, change, conditional write) until it is not overtaken, or once when `expected` (the
/// client's `If-Match` version) is given. An attempt reports being overtaken as `PreconditionFailed`.
pub(crate) async fn until_not_overtaken<T, F, Fut>(expected: Option<i64>, mut attempt: F) -> Result<T, DomainError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DomainError>>,
{
    let started = Instant::now();
    let mut backoff = Duration::from_millis(1);
    loop {
        match attempt().await {
            Err(DomainError::PreconditionFailed) if expected.is_none() => {
                if started.elapsed() > RACE_BUDGET {
                    return Err(DomainError::Internal("a write kept losing races for 30 s".into()));
                }
                let pause = rand::thread_rng().gen_range(Duration::ZERO..=backoff);
                tokio::time::sleep(pause).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            other => return other,
        }
    }
}
