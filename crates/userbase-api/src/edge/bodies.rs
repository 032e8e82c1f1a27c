//! Bodies at the edge: a request body that must arrive whole before a deadline, the rest of a body its handler
//! did not read (read and thrown away before answering), the 408 that replaces the answer to a request whose
//! body did not arrive in time, and a response body that tells the connection's clock when it is done.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

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

/// How much of a body its handler left unread (an answer made before reading: refused credentials, an unknown
/// route, a body over the size limit) is read and thrown away before the answer goes out, and for how long at
/// most. Closing a connection with a request still arriving makes the kernel reset it, and a client busy
/// sending then sees "connection reset" instead of the answer; reading the rest first lets it read the answer
/// (and keeps the connection). Past either bound the connection is closed after the answer, as before.
const UNREAD_BYTES_DRAINED: usize = 8 * 1024 * 1024;
const UNREAD_TIME_DRAINED: Duration = Duration::from_secs(5);

/// A request body that fails once its deadline passes before its last byte came. The deadline covers the
/// whole body, not the gap between two reads, so a client trickling one byte at a time is cut off too.
pub(super) struct DeadlineBody {
    /// `None` only once dropped: the unread rest is then handed to `unread`.
    inner: Option<Incoming>,
    deadline: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
    unread: Option<UnreadBody>,
}

impl DeadlineBody {
    /// `timed_out` is set if the deadline passes; the caller then knows the answer is a 408. The `UnreadBody`
    /// (for a request that has a body) receives whatever the handler leaves unread.
    pub(super) fn new(inner: Incoming, timeout: Duration, timed_out: Arc<AtomicBool>) -> (Self, Option<UnreadBody>) {
        // A request without a body (most of them) needs no timer and leaves nothing unread.
        if http_body::Body::is_end_stream(&inner) {
            return (Self { inner: Some(inner), deadline: None, timed_out, unread: None }, None);
        }
        let ends_at = Instant::now() + timeout;
        let unread = UnreadBody { rest: Arc::new(Mutex::new(None)), ends_at };
        let body = Self {
            inner: Some(inner),
            deadline: Some(Box::pin(tokio::time::sleep_until(ends_at))),
            timed_out,
            unread: Some(unread.clone()),
        };
        (body, Some(unread))
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(BodyTimedOut.into())));
        }
        let Some(inner) = self.inner.as_mut() else { return Poll::Ready(None) };
        if let Poll::Ready(frame) = Pin::new(inner).poll_frame(cx) {
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
        self.inner.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.as_ref().map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

impl Drop for DeadlineBody {
    fn drop(&mut self) {
        // A body that ended or timed out leaves nothing worth reading.
        let (Some(unread), Some(inner)) = (self.unread.take(), self.inner.take()) else { return };
        if !http_body::Body::is_end_stream(&inner) && !self.timed_out.load(Ordering::Relaxed) {
            if let Ok(mut rest) = unread.rest.lock() {
                *rest = Some(inner);
            }
        }
    }
}

/// The part of a request body its handler dropped unread, if it did.
#[derive(Clone)]
pub(super) struct UnreadBody {
    rest: Arc<Mutex<Option<Incoming>>>,
    ends_at: Instant,
}

impl UnreadBody {
    /// Reads and discards what the handler left, within the body's deadline and the drain bounds. True when
    /// the connection can go on (nothing was left, or all of it was read); false when it must close.
    pub(super) async fn drain(self) -> bool {
        let rest = self.rest.lock().ok().and_then(|mut rest| rest.take());
        let Some(mut body) = rest else { return true };
        let mut read = 0usize;
        let reading = async {
            loop {
                match std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await {
                    None => return true,
                    Some(Err(_)) => return false,
                    Some(Ok(frame)) => {
                        read += frame.data_ref().map_or(0, Bytes::len);
                        if read > UNREAD_BYTES_DRAINED {
                            return false;
                        }
                    }
                }
            }
        };
        let until = self.ends_at.min(Instant::now() + UNREAD_TIME_DRAINED);
        tokio::time::timeout_at(until, reading).await.unwrap_or(false)
    }
}

/// What a request whose body came too late is answered, in place of the error its handler made of the unreadable
/// body: a v1 problem (every surface gets it, as the edge cannot tell them apart before routing), and the
/// connection is closed, since the rest of that body may still be on its way.
pub(super) fn body_timeout_answer(handled: Response<Body>) -> Response<Body> {
    let mut answer = crate::v1::Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "Request timeout",
        "The request body was not received in time.",
    )
    .into_response();
    let headers = answer.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if let Some(id) = handled.headers().get(crate::REQUEST_ID) {
        headers.insert(crate::REQUEST_ID, id.clone());
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
