//! One accepted connection: HTTP/1.1 through hyper, closed by its clock when a request head is late or it
//! sits idle, and on shutdown closed at once between requests or after the response in flight.

use std::convert::Infallible;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::http::{header, HeaderValue, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tower::ServiceExt;

use super::bodies::{body_timeout_answer, DeadlineBody, Guarded};
use super::clock::{Clock, Watched};
use super::Limits;

/// Serves one connection until the client leaves, a timeout closes it, or shutdown does. `_slot` is its place
/// under the connection cap, given back when this returns.
pub(super) async fn serve(
    stream: TcpStream,
    app: Router,
    limits: Arc<Limits>,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    // Responses are written whole; waiting to coalesce small writes only adds latency.
    let _ = stream.set_nodelay(true);
    let clock = Clock::new(limits.header_timeout, limits.idle_timeout);
    let io = TokioIo::new(Watched::new(stream, clock.clone()));
    let body_timeout = limits.body_timeout;
    let service_clock = clock.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let in_flight = service_clock.request_started();
        let timed_out = Arc::new(AtomicBool::new(false));
        let (parts, body) = req.into_parts();
        let (body, unread) = DeadlineBody::new(body, body_timeout, timed_out.clone());
        // A client waiting for `100 Continue` has not sent its body: draining would ask for it only to discard it.
        let unread = unread.filter(|_| !parts.headers.contains_key(header::EXPECT));
        let req = Request::from_parts(parts, body);
        let app = app.clone();
        async move {
            let Ok(mut response) = app.oneshot(req).await;
            if let Some(unread) = unread {
                if !unread.drain().await {
                    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
            }
            let late = timed_out.load(std::sync::atomic::Ordering::Relaxed);
            // A handler that got its whole body in time, or made something of part of it, keeps its answer.
            let response = if late && (response.status().is_client_error() || response.status().is_server_error()) {
                body_timeout_answer(response)
            } else {
                response
            };
            Ok::<_, Infallible>(response.map(|body| Guarded::new(body, in_flight)))
        }
    });
    // hyper's own header timeout stays off (see `clock`), so it needs no timer.
    let conn = http1::Builder::new().header_read_timeout(None).serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        if draining && clock.between_requests() {
            return;
        }
        let deadline = clock.deadline();
        tokio::select! {
            biased;
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = clock.changed.notified() => {}
            _ = stopping.changed(), if !draining => {
                draining = true;
                // Between requests the loop returns at once; otherwise hyper closes after this response.
                conn.as_mut().graceful_shutdown();
            }
            () = sleep_until(deadline.map(|(at, _)| at)) => {
                if let Some((at, expiry)) = clock.deadline() {
                    if at <= tokio::time::Instant::now() {
                        tracing::debug!(reason = expiry.as_str(), "closing connection");
                        return;
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
