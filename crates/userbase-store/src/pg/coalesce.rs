//! Group commit for PostgreSQL's single-user inserts (SQLite's is the writer queue in `lite/mod.rs`). Each
//! create paid its own round trips and a commit that waits for the WAL to reach the disk; here they queue in a
//! channel instead. One task takes every insert waiting, writes them as one multi-row insert in one
//! transaction (the bulk path, which already gives each record its own outcome), and answers each caller with
//! its stored user or the uniqueness rule it would break. A lone insert takes the plain single-statement path.

use tokio::sync::{mpsc, oneshot};
use userbase_core::store::{NewUserRecord, StoreError};
use userbase_core::user::User;

/// A store that can insert users one at a time and several together.
#[async_trait::async_trait]
pub trait InsertWriter: Send + Sync + 'static {
    async fn insert_one(&self, record: &NewUserRecord) -> Result<User, StoreError>;

    /// Each record's stored user or conflict; an error means the transaction rolled back.
    async fn insert_together(&self, records: &[NewUserRecord]) -> Result<Vec<Result<User, StoreError>>, sqlx::Error>;
}

/// Most inserts committed together (a `VALUES` list stays far below SQLite's parameter limit).
const MAX_TOGETHER: usize = 128;

type Reply = oneshot::Sender<Result<User, StoreError>>;

pub struct InsertQueue(mpsc::Sender<(NewUserRecord, Reply)>);

/// Starts the writer task on `store` (a handle on the pools of the store that will send to it). The task ends
/// when the sending store is dropped.
pub fn spawn(store: impl InsertWriter) -> InsertQueue {
    let (sender, mut receiver) = mpsc::channel::<(NewUserRecord, Reply)>(4 * MAX_TOGETHER);
    tokio::spawn(async move {
        let mut waiting = Vec::with_capacity(MAX_TOGETHER);
        while receiver.recv_many(&mut waiting, MAX_TOGETHER).await > 0 {
            write(&store, std::mem::take(&mut waiting)).await;
        }
    });
    InsertQueue(sender)
}

/// Inserts through the writer task and waits for the answer.
pub async fn insert_user(queue: &InsertQueue, record: &NewUserRecord) -> Result<User, StoreError> {
    let (reply, answer) = oneshot::channel();
    let gone = || StoreError::Backend("the insert writer task has stopped".into());
    queue.0.send((record.clone(), reply)).await.map_err(|_| gone())?;
    answer.await.map_err(|_| gone())?
}

async fn write(store: &impl InsertWriter, jobs: Vec<(NewUserRecord, Reply)>) {
    if jobs.len() == 1 {
        for (record, reply) in jobs {
            // A caller that went away no longer needs its answer.
            let _ = reply.send(store.insert_one(&record).await);
        }
        return;
    }
    let (records, replies): (Vec<NewUserRecord>, Vec<Reply>) = jobs.into_iter().unzip();
    match store.insert_together(&records).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            // The transaction rolled back: nothing of this batch was written.
            let message = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(StoreError::Backend(message.clone())));
            }
        }
    }
}
