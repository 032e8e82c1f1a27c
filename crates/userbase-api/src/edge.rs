//! The HTTP edge: accepts TCP connections up to a cap, serves each one (see `connection`), and on shutdown
//! stops accepting, lets in-flight requests finish for a bounded time, then gives up on the rest.
//! `axum::serve` has none of these limits, and a server without them can be held open, or kept from
//! exiting, by clients that connect and then send nothing.

mod bodies;
mod clock;
mod connection;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// The edge's limits (the `serve` options of the same names).
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections_open: u32,
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains for at most `limits.shutdown_grace`.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let cap = limits.max_connections_open;
    let slots = Arc::new(Semaphore::new(cap as usize));
    let (stop, stopping) = watch::channel(false);
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        // A slot is taken before accepting: past the cap, new connections wait in the kernel's listen backlog
        // until one closes, rather than being accepted and dropped.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to be given back.
                    tracing::error!(error = %e, "cannot accept connections");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        tokio::spawn(connection::serve(stream, app.clone(), limits.clone(), stopping.clone(), slot));
    }
    drop(listener);
    let _ = stop.send(true);
    let open = cap as usize - slots.available_permits();
    if open > 0 {
        tracing::info!(connections.open = open, "waiting for in-flight requests");
    }
    // Every slot comes back once every connection has closed.
    if tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(cap)).await.is_err() {
        let open = cap as usize - slots.available_permits();
        tracing::warn!(connections.open = open, "shutdown grace period over; closing the remaining connections");
    }
}

/// Errors that concern one connection, not the listener: the next accept may well succeed.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}
