//! Bodies at the edge: a request body that must arrive whole before a deadline, the 408 that replaces the
//! answer to a request whose body did not, and a response body that tells the connection's clock when it is
//! done.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;

use super::clock::InFlight;

/// The error a late request body ends with; handlers see it as an unreadable body.
#[derive(Debug)]
pub(super) struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body was not received in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that fails once its deadline passes before its last byte came. The deadline covers the
/// whole body, not the gap between two reads, so a client trickling one byte at a time is cut off too.
pub(super) struct DeadlineBody {
    inner: Incoming,
    deadline: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl DeadlineBody {
    /// `timed_out` is set if the deadline passes; the caller then knows the answer is a 408.
    pub(super) fn new(inner: Incoming, timeout: Duration, timed_out: Arc<AtomicBool>) -> Self {
        // A request without a body (most of them) needs no timer.
        let deadline = (!http_body::Body::is_end_stream(&inner)).then(|| Box::pin(tokio::time::sleep(timeout)));
        Self { inner, deadline, timed_out }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(BodyTimedOut.into())));
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            if frame.is_none() {
                self.deadline = None;
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let expired = self.deadline.as_mut().is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
        if expired {
            self.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimedOut.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What a request whose body came too late is answered, in place of the error its handler made of the unreadable
/// body: a v1 problem (every surface gets it, as the edge cannot tell them apart before routing), and the
/// connection is closed, since the rest of that body may still be on its way.
pub(super) fn body_timeout_answer(handled: Response<Body>) -> Response<Body> {
    let mut answer = userbase_api::v1::Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "Request timeout",
        "The request body was not received in time.",
    )
    .into_response();
    let headers = answer.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if let Some(id) = handled.headers().get(userbase_api::REQUEST_ID) {
        headers.insert(userbase_api::REQUEST_ID, id.clone());
    }
    answer
}

/// A response body holding its request's `InFlight` guard until hyper has taken all of it or dropped it.
pub(super) struct Guarded {
    inner: Body,
    _in_flight: InFlight,
}

impl Guarded {
    pub(super) fn new(inner: Body, in_flight: InFlight) -> Self {
        Self { inner, _in_flight: in_flight }
    }
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
