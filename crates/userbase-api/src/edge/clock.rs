//! Where one connection stands between requests, and so when it must be closed: a request head is owed within
//! the header timeout, a kept-alive connection may wait for its next request for the idle timeout, and a
//! connection with a request in flight has no deadline here (its body has its own, see `bodies`).
//!
//! hyper's `header_read_timeout` is not used: it also runs while a kept-alive connection waits for its next
//! request, so it would cap the idle timeout at the header timeout, and it cannot tell a silent client from a
//! slow one.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Why a connection was closed by its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expiry {
    /// A request head was not received in time.
    Header,
    /// No request came on a kept-alive connection.
    Idle,
}

impl Expiry {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Expiry::Header => "header timeout",
            Expiry::Idle => "idle timeout",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request head: since the connection opened or the last response was flushed; `first_byte`
    /// is when its first byte came.
    AwaitingHead { since: Instant, first_byte: Option<Instant> },
    /// A request head has arrived and its response is not yet complete.
    Serving,
    /// The response is complete but may still sit in hyper's write buffer.
    Flushing,
}

/// What the clock knows: the phase, how many requests were served, and the deadline the connection task is
/// sleeping until (`armed`).
struct State {
    phase: Phase,
    served: u64,
    armed: Option<Instant>,
}

/// One connection's phase, shared by its I/O, its service and its task.
pub(super) struct Clock {
    state: Mutex<State>,
    header_timeout: Duration,
    idle_timeout: Duration,
    /// Woken when a phase change brings the deadline forward, so the connection task sleeps less. A later
    /// deadline needs no wake-up: the task wakes at the one it armed and looks again (`deadline`), which keeps
    /// the common request (head, response, flush) to at most one wake-up.
    pub(super) changed: Notify,
}

impl Clock {
    pub(super) fn new(header_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        let phase = Phase::AwaitingHead { since: Instant::now(), first_byte: None };
        let state = State { phase, served: 0, armed: None };
        Arc::new(Self { state: Mutex::new(state), header_timeout, idle_timeout, changed: Notify::new() })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection must be closed if nothing changes, and why; `None` while a request is served. The
    /// connection task sleeps until it (see `changed`).
    pub(super) fn deadline(&self) -> Option<(Instant, Expiry)> {
        let mut state = self.lock();
        let deadline = self.deadline_of(&state);
        state.armed = deadline.map(|(at, _)| at);
        deadline
    }

    /// Wakes the connection task if the deadline now comes before the one it sleeps until.
    fn wake_if_sooner(&self, state: &State) {
        if let Some((at, _)) = self.deadline_of(state) {
            if state.armed.is_none_or(|armed| at < armed) {
                self.changed.notify_one();
            }
        }
    }

    fn deadline_of(&self, state: &State) -> Option<(Instant, Expiry)> {
        let (phase, served) = (state.phase, state.served);
        match phase {
            // The first request's head is owed from the moment the connection opened: a client that connects
            // and says nothing is treated as a slow one, not as an idle one.
            Phase::AwaitingHead { since, .. } if served == 0 => Some((since + self.header_timeout, Expiry::Header)),
            Phase::AwaitingHead { first_byte: Some(at), .. } => Some((at + self.header_timeout, Expiry::Header)),
            Phase::AwaitingHead { since, first_byte: None } => Some((since + self.idle_timeout, Expiry::Idle)),
            Phase::Serving | Phase::Flushing => None,
        }
    }

    /// Whether no request is being served, so closing the connection loses nothing.
    pub(super) fn between_requests(&self) -> bool {
        matches!(self.lock().phase, Phase::AwaitingHead { .. })
    }

    /// A request head has been read; the returned guard marks the response as complete when dropped.
    pub(super) fn request_started(self: &Arc<Self>) -> InFlight {
        let mut state = self.lock();
        state.phase = Phase::Serving;
        state.served += 1;
        // No deadline while serving: nothing to wake for.
        InFlight(self.clone())
    }

    fn bytes_read(&self) {
        let mut state = self.lock();
        if let Phase::AwaitingHead { first_byte: first @ None, .. } = &mut state.phase {
            *first = Some(Instant::now());
            self.wake_if_sooner(&state);
        }
    }

    fn flushed(&self) {
        let mut state = self.lock();
        if let Phase::Flushing = state.phase {
            state.phase = Phase::AwaitingHead { since: Instant::now(), first_byte: None };
            self.wake_if_sooner(&state);
        }
    }
}

/// Held by a request's service future and then by its response body: dropped once hyper has taken the whole
/// response (or abandoned it).
pub(super) struct InFlight(Arc<Clock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        if let Phase::Serving = state.phase {
            state.phase = Phase::Flushing;
        }
    }
}

/// A TCP stream that tells the clock when bytes arrive and when hyper has flushed what it wrote.
pub(super) struct Watched {
    stream: TcpStream,
    clock: Arc<Clock>,
}

impl Watched {
    pub(super) fn new(stream: TcpStream, clock: Arc<Clock>) -> Self {
        Self { stream, clock }
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    /// hyper flushes once its write buffer is empty; a response completed before that is now on the wire.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        if let Poll::Ready(Ok(())) = polled {
            self.clock.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
