//! Key changes on PostgreSQL: the triggers of migration 0005 `NOTIFY userbase_keys` with `key:<id>` or
//! `project:<id>` when a key is revoked or a project changes, in the transaction that makes the change; a task
//! per following process `LISTEN`s on a connection of its own and passes each notice on. Notices sent while
//! the connection is down are lost, so every (re)connection starts with `KeyChange::All`.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use userbase_core::api_key::KeyId;
use userbase_core::ids::ProjectId;
use userbase_core::store::{KeyChange, KeyChanges};

/// The channel the triggers notify.
const CHANNEL: &str = "userbase_keys";

/// Waits between reconnection attempts: doubling from the first to the last.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Starts the listening task on a connection of its own (opened like the store's pool), so that the pool
/// keeps every connection for queries.
pub fn follow(store_pool: &PgPool) -> KeyChanges {
    let (changes, received) = mpsc::channel(256);
    let options = (*store_pool.connect_options()).clone();
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
    tokio::spawn(listen(pool, changes));
    received
}

/// Listens until the receiver is dropped, reconnecting with backoff when the connection is lost.
async fn listen(pool: PgPool, changes: mpsc::Sender<KeyChange>) {
    let mut retry = FIRST_RETRY;
    loop {
        match connect(&pool).await {
            Ok(mut listener) => {
                retry = FIRST_RETRY;
                // Whatever was cached before now may have missed a notice.
                if changes.send(KeyChange::All).await.is_err() {
                    return;
                }
                loop {
                    let received = tokio::select! {
                        _ = changes.closed() => return,
                        received = listener.try_recv() => received,
                    };
                    match received {
                        Ok(Some(notice)) => {
                            let Some(change) = parse(notice.payload()) else { continue };
                            if changes.send(change).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("the key change listener lost its connection; reconnecting");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "the key change listener failed; reconnecting");
                            break;
                        }
                    }
                }
                // Until the next connection, notices are missed: drop what is cached now as well.
                if changes.send(KeyChange::All).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "the key change listener cannot connect; retrying"),
        }
        tokio::select! {
            _ = changes.closed() => return,
            _ = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// A notice's payload as a change; `None` for one this version does not know.
fn parse(payload: &str) -> Option<KeyChange> {
    match payload.split_once(':')? {
        ("key", id) => Some(KeyChange::Key(KeyId::from_stored(id.to_owned()))),
        ("project", id) => Some(KeyChange::Project(ProjectId::from_stored(id.to_owned()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_key_or_a_project() {
        assert_eq!(parse("key:key_abc"), Some(KeyChange::Key(KeyId::from_stored("key_abc".into()))));
        assert_eq!(parse("project:acme"), Some(KeyChange::Project(ProjectId::from_stored("acme".into()))));
        assert_eq!(parse("user:usr_1"), None);
        assert_eq!(parse("nonsense"), None);
    }
}
