//! The HTTP edge of a real `userbase serve`: slow or silent clients are cut off, open connections are capped,
//! and shutdown is bounded. These exercise the connection handling, not the store, so they run on SQLite only.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use userbase_testing::{Backend, TestDatabase};

use crate::cli::Server;

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

async fn serve(extra: &[&str]) -> (TestDatabase, Server) {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let server = Server::start(&db, extra);
    (db, server)
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection (end of stream or reset); `None` if it is still open after
/// `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

/// Reads one response (head and `Content-Length` body) from a connection that stays open.
async fn read_response(stream: &mut (impl AsyncRead + Unpin), within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .map_or(0, |v| v.parse::<usize>().unwrap());
                if received.len() >= end + 4 + length {
                    return text;
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the connection closed before a whole response: {text:?}");
            received.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(within, read).await.ok()
}

async fn healthz_on(stream: &mut TcpStream) -> String {
    stream.write_all(HEALTHZ).await.unwrap();
    read_response(stream, Duration::from_secs(5)).await.expect("a response to /healthz")
}

async fn healthy(server: &Server) -> bool {
    let response = reqwest::get(format!("{}/healthz", server.base)).await;
    response.is_ok_and(|r| r.status() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_cut_off_after_the_header_timeout() {
    let (_db, server) = serve(&["--header-timeout-seconds", "1"]).await;
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();

    let mut other = connect(&server).await;
    assert!(healthz_on(&mut other).await.starts_with("HTTP/1.1 200"), "others are served meanwhile");

    let answer = read_until_closed(&mut slow, Duration::from_secs(5)).await.expect("the slow connection is closed");
    let waited = started.elapsed();
    assert!(answer.is_empty(), "a connection without a request head gets no answer: {answer:?}");
    assert!(waited >= Duration::from_millis(900), "closed before the header timeout: {waited:?}");
    assert!(waited < Duration::from_secs(3), "closed too late: {waited:?}");

    let mut silent = connect(&server).await;
    let started = Instant::now();
    read_until_closed(&mut silent, Duration::from_secs(5)).await.expect("a connection that says nothing is closed");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(healthy(&server).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let (_db, server) = serve(&["--idle-timeout-seconds", "1", "--header-timeout-seconds", "10"]).await;
    let mut stream = connect(&server).await;
    assert!(healthz_on(&mut stream).await.starts_with("HTTP/1.1 200"));
    // A request within the idle time is served on the same connection and starts the idle time again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(healthz_on(&mut stream).await.starts_with("HTTP/1.1 200"));
    let idle_since = Instant::now();

    let rest = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("the idle connection is closed");
    let waited = idle_since.elapsed();
    assert!(rest.is_empty(), "{rest:?}");
    assert!(waited >= Duration::from_millis(900), "closed before the idle timeout: {waited:?}");
    assert!(waited < Duration::from_secs(3), "closed too late: {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_stops_half_way_is_answered_408() {
    let (_db, server) = serve(&["--body-timeout-seconds", "1"]).await;
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    let mut stream = connect(&server).await;
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(br#"{"email":""#).await.unwrap();
    let started = Instant::now();

    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("an answer, then the close");
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains(r#""code":"request_timeout""#), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id:"), "{answer}");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "{waited:?}");
    assert!(healthy(&server).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_cut_short_by_the_body_timeout_still_reports_what_it_applied() {
    let (_db, server) = serve(&["--body-timeout-seconds", "1"]).await;
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    let mut stream = connect(&server).await;
    let head = format!(
        "POST /v1/users/bulk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"email\":\"a@example.com\"}\n{\"email\":\"b@example.com\"}\n").await.unwrap();

    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("an answer, then the close");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""created":2"#) && answer.contains("unreadable_body"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_new_connection_waits_until_one_closes() {
    let (_db, server) = serve(&["--max-connections-open", "2"]).await;
    let mut first = connect(&server).await;
    let mut second = connect(&server).await;
    assert!(healthz_on(&mut first).await.starts_with("HTTP/1.1 200"));
    assert!(healthz_on(&mut second).await.starts_with("HTTP/1.1 200"));

    // The kernel may complete the handshake, but the server does not take the connection up.
    let mut third = connect(&server).await;
    third.write_all(HEALTHZ).await.unwrap();
    let early = read_response(&mut third, Duration::from_millis(700)).await;
    assert!(early.is_none(), "served past the cap: {early:?}");
    assert!(healthz_on(&mut second).await.starts_with("HTTP/1.1 200"), "open connections still work");

    drop(first);
    let answer = read_response(&mut third, Duration::from_secs(5)).await.expect("served once a connection closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A request answered before its body was read (refused credentials, a body over the size limit) is answered
/// only once the rest of its body has been read: the client, still sending, reads the answer rather than a
/// reset connection, and the connection stays open for the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_answered_before_its_body_is_read_still_gets_its_answer_and_keeps_the_connection() {
    let (_db, server) = serve(&[]).await;
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    let (mut reader, mut writer) = connect(&server).await.into_split();
    let body = format!(r#"{{"note":"{}"}}"#, "a".repeat(3 * 1024 * 1024));
    for (credentials, status) in [(format!("Authorization: Bearer {key}\r\n"), "413"), (String::new(), "401")] {
        let head = format!(
            "POST /v1/users HTTP/1.1\r\nHost: x\r\n{credentials}Content-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let request = [head.as_bytes(), body.as_bytes()].concat();
        // Sent from its own task: a server that stopped reading would leave this write stuck, not the test.
        let sending = tokio::spawn(async move {
            let sent = writer.write_all(&request).await;
            (writer, sent)
        });
        let answer = read_response(&mut reader, Duration::from_secs(10)).await.expect("an answer");
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{answer}");
        assert!(!answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
        let (w, sent) = sending.await.unwrap();
        sent.expect("the whole body was taken");
        writer = w;
    }
    writer.write_all(HEALTHZ).await.unwrap();
    let answer = read_response(&mut reader, Duration::from_secs(5)).await.expect("the connection is still open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Sends a user-creating request's head with `Expect: 100-continue` and waits for the `100 Continue`, which
/// hyper sends when the handler starts reading the body: from then on, the request is in flight.
async fn start_create_user(server: &Server, key: &str, body: &str) -> TcpStream {
    let mut stream = connect(server).await;
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_not_held_up_by_half_sent_or_stuck_requests() {
    let (_db, mut server) = serve(&["--shutdown-grace-seconds", "1"]).await;
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    let mut half_sent = connect(&server).await;
    half_sent.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // A request whose body never comes stays in flight until the grace period ends.
    let _stuck = start_create_user(&server, &key, r#"{"email":"stuck@example.com"}"#).await;

    let signalled = Instant::now();
    assert!(server.terminate(), "the server exits with success");
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert!(took >= Duration::from_millis(900), "the in-flight request was not given its grace period: {took:?}");
    let rest = read_until_closed(&mut half_sent, Duration::from_secs(1)).await;
    assert_eq!(rest.as_deref(), Some(""), "the half-sent request is closed without an answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_is_answered() {
    let (_db, mut server) = serve(&["--shutdown-grace-seconds", "5"]).await;
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    let body = r#"{"email":"late@example.com"}"#;
    let mut in_flight = start_create_user(&server, &key, body).await;
    let mut idle = connect(&server).await;
    assert!(healthz_on(&mut idle).await.starts_with("HTTP/1.1 200"));

    server.signal_terminate();
    // An idle connection is closed at once rather than kept for the grace period.
    let rest = read_until_closed(&mut idle, Duration::from_secs(2)).await;
    assert_eq!(rest.as_deref(), Some(""), "the idle connection is closed at shutdown");
    in_flight.write_all(body.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut in_flight, Duration::from_secs(5)).await.expect("answered, then closed");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let exited = Instant::now();
    assert!(server.wait_for_exit(Duration::from_secs(3)), "the server exits with success once it is answered");
    assert!(exited.elapsed() < Duration::from_secs(2));
}
