//! The `userbase` binary: admin commands and `serve` against the same database, on both backends.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use userbase_testing::{backend_tests, Backend, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_userbase");

pub(crate) fn userbase(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("USERBASE_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .env_remove("USERBASE_OUTBOUND_ALLOW")
        .env_remove("USERBASE_SECRET_FILE")
        .env_remove("USERBASE_OLD_SECRET_FILE")
        .output()
        .expect("run userbase")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running `userbase serve`, stopped with SIGTERM on drop if still running.
pub(crate) struct Server {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(db: &TestDatabase, extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("USERBASE_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .env_remove("USERBASE_OUTBOUND_ALLOW")
            .env_remove("USERBASE_SECRET_FILE")
            .env_remove("USERBASE_OLD_SECRET_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start userbase serve");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().expect("stdout");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Self { child, lines, base: String::new() };
        let line = server.wait_for_line(|l| l.contains("listening on http://"));
        let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
        server.base = format!("http://{addr}");
        server
    }

    pub(crate) fn wait_for_line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| pred(l)) {
                return l.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not print the expected line; it printed {:?}", self.lines.lock().unwrap());
    }

    fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and returns whether the process exited successfully.
    pub(crate) fn terminate(&mut self) -> bool {
        self.signal_terminate();
        self.wait_for_exit(Duration::from_secs(20))
    }

    pub(crate) fn signal_terminate(&self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
    }

    /// Whether the process exits, successfully, within `within`.
    pub(crate) fn wait_for_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) async fn status_with_key(base: &str, key: &str) -> u16 {
    reqwest::Client::new().get(format!("{base}/v1/users")).bearer_auth(key).send().await.unwrap().status().as_u16()
}

async fn admin_commands_manage_the_database_the_server_uses(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    let created = userbase(&db, &["projects", "create", "acme", "--name", "Acme Inc"]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(stdout(&created).trim(), "acme");
    let again = userbase(&db, &["projects", "create", "acme"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    let listed = userbase(&db, &["projects", "list"]);
    assert!(stdout(&listed).contains("acme") && stdout(&listed).contains("Acme Inc"));

    let key_out = userbase(&db, &["keys", "create", "--project", "acme", "--kind", "secret"]);
    assert!(key_out.status.success(), "{}", stderr(&key_out));
    let text = stdout(&key_out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "the key is the only line on stdout: {text:?}");
    let key = lines[0].to_owned();
    assert!(key.starts_with("ub_sk_"), "{key}");
    let key_id = format!("key_{}", key.split('_').nth(2).unwrap());
    assert!(stderr(&key_out).contains(&key_id));

    let keys = userbase(&db, &["keys", "list", "--project", "acme"]);
    assert!(stdout(&keys).contains(&key_id));
    assert!(!stdout(&keys).contains(&key), "lists never show the secret");
    assert!(stdout(&keys).contains("active"));

    // With the key cache off, a revocation by another process applies to the very next request.
    let mut server = Server::start(&db, &["--no-bootstrap", "--key-cache-seconds", "0"]);
    assert!(!server.output().contains("ub_sk_"), "no bootstrap key when projects exist");
    assert_eq!(status_with_key(&server.base, &key).await, 200);

    let revoked = userbase(&db, &["keys", "revoke", &key_id]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert_eq!(status_with_key(&server.base, &key).await, 401, "revocation is immediate");
    assert!(stdout(&userbase(&db, &["keys", "list", "--project", "acme"])).contains("revoked"));
    assert!(server.terminate(), "SIGTERM shuts the server down cleanly");
}

/// A server caches verified keys for `--key-cache-seconds`: a key revoked by another process (here the CLI)
/// stops working there within that time, and from then on for good.
async fn a_key_revoked_by_another_process_stops_working_within_the_cache_time(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let key = stdout(&userbase(&db, &["keys", "create", "--project", "acme", "--kind", "secret"])).trim().to_owned();
    let key_id = format!("key_{}", key.split('_').nth(2).unwrap());
    let mut server = Server::start(&db, &["--no-bootstrap", "--key-cache-seconds", "1"]);
    assert_eq!(status_with_key(&server.base, &key).await, 200);
    let revoked_at = Instant::now();
    assert!(userbase(&db, &["keys", "revoke", &key_id]).status.success());
    loop {
        let status = status_with_key(&server.base, &key).await;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(revoked_at.elapsed() < Duration::from_secs(5), "the revoked key still works after the cache time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        assert_eq!(status_with_key(&server.base, &key).await, 401);
    }
    assert!(server.terminate());
}

async fn serve_bootstraps_an_empty_database_once_and_prints_a_working_key(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    let mut server = Server::start(&db, &[]);
    let key = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    server.wait_for_line(|l| l.contains("curl"));
    assert_eq!(status_with_key(&server.base, &key).await, 200);
    assert!(server.terminate());

    let mut second = Server::start(&db, &[]);
    assert!(!second.output().contains("ub_sk_"), "the key is printed only once");
    assert_eq!(status_with_key(&second.base, &key).await, 200, "the bootstrap key survives restarts");
    assert!(second.terminate());
    assert!(stdout(&userbase(&db, &["projects", "list"])).contains("default"));
}

async fn admin_commands_reject_bad_input_clearly(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    let migrated = userbase(&db, &["migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    for (args, message) in [
        (&["projects", "create", "Not Valid"][..], "project id"),
        (&["keys", "create", "--project", "ghost", "--kind", "secret"][..], "no such project"),
        (&["keys", "list", "--project", "ghost"][..], "no such project"),
        (&["keys", "revoke", "nonsense"][..], "not a key id"),
        (&["keys", "revoke", "key_0000000000000000"][..], "no such key"),
    ] {
        let out = userbase(&db, args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    let bad_kind = userbase(&db, &["keys", "create", "--project", "acme", "--kind", "root"]);
    assert!(!bad_kind.status.success());
}

async fn import_and_export_round_trip_and_reruns_change_nothing(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ndjson = dir.join("users.ndjson");
    let mut lines: Vec<String> = (0..1_100)
        .map(|i| {
            format!(
                r#"{{"email":"u{i}@example.com","first_name":"N{i}","tags":["t{}"],"metadata":{{"i":"{i}"}}}}"#,
                i % 3
            )
        })
        .collect();
    lines.insert(5, r#"{"email":"broken""#.into());
    std::fs::write(&ndjson, lines.join("\n")).unwrap();
    let path = ndjson.to_str().unwrap();

    let first = userbase(&db, &["import", path, "--project", "acme"]);
    assert!(!first.status.success(), "a failed item makes the exit status non-zero");
    assert!(stdout(&first).contains("1100 created, 0 updated, 0 unchanged, 1 failed"), "{}", stdout(&first));
    assert!(stderr(&first).contains("line 6: malformed_json"), "{}", stderr(&first));
    let again = userbase(&db, &["import", path, "--project", "acme"]);
    assert!(stdout(&again).contains("0 created, 0 updated, 1100 unchanged, 1 failed"), "{}", stdout(&again));

    let exported = userbase(&db, &["export", "--project", "acme", "--filter", r#"tags eq "t0""#]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let users: Vec<serde_json::Value> = stdout(&exported).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(users.len(), 367);
    assert!(users.iter().all(|u| u["tags"] == serde_json::json!(["t0"]) && u["object"] == "user"));

    let csv = dir.join("users.csv");
    let out = userbase(&db, &["export", "--project", "acme", "--format", "csv", "--output", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 1 + 1_100);
    assert!(text.starts_with("id,email,"));
    let reimport = userbase(&db, &["import", csv.to_str().unwrap(), "--project", "acme", "--key", "id"]);
    assert!(reimport.status.success(), "{}", stderr(&reimport));
    assert!(stdout(&reimport).contains("0 created, 0 updated, 1100 unchanged, 0 failed"), "{}", stdout(&reimport));

    let edited = text.replacen(",N0,", ",Zero,", 1);
    std::fs::write(&csv, edited).unwrap();
    let changed = userbase(&db, &["import", csv.to_str().unwrap(), "--project", "acme", "--key", "id"]);
    assert!(stdout(&changed).contains("0 created, 1 updated, 1099 unchanged"), "{}", stdout(&changed));

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "email,shoe_size\na@example.com,44\n").unwrap();
    let refused = userbase(&db, &["import", bad.to_str().unwrap(), "--project", "acme"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("unknown CSV column 'shoe_size'"), "{}", stderr(&refused));
    let ghost = userbase(&db, &["import", path, "--project", "ghost"]);
    assert!(stderr(&ghost).contains("no such project"));
}

/// An import larger than one batch (20,000 items) writes two batches at a time; every line is still counted
/// once and reported by its own number, and every user written is there afterwards.
async fn a_create_import_of_several_batches_counts_every_line_once(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let tmp = tempfile::tempdir().unwrap();
    let ndjson = tmp.path().join("users.ndjson");
    let mut lines: Vec<String> = (0..45_000).map(|i| format!(r#"{{"email":"u{i}@example.com"}}"#)).collect();
    lines[6] = r#"{"email":"#.into();
    // In the second batch, the email of line 2 (first batch): one of the two is refused, whichever is written last.
    lines[30_000] = r#"{"email":"u1@example.com"}"#.into();
    std::fs::write(&ndjson, lines.join("\n")).unwrap();

    let out = userbase(&db, &["import", ndjson.to_str().unwrap(), "--project", "acme", "--mode", "create"]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("44998 created, 0 updated, 0 unchanged, 2 failed"), "{}", stdout(&out));
    let errors = stderr(&out);
    assert!(errors.contains("line 7: malformed_json"), "{errors}");
    assert!(errors.contains("line 2: email_taken") ^ errors.contains("line 30001: email_taken"), "{errors}");
    if backend == Backend::Postgres {
        a_bulk_load_leaves_no_deferred_work(&db).await;
    }

    let exported = userbase(&db, &["export", "--project", "acme"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let emails: std::collections::HashSet<String> = stdout(&exported)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails.len(), 44_998);
    assert!(
        emails.contains("u1@example.com")
            && emails.contains("u44999@example.com")
            && !emails.contains("u6@example.com")
    );
}

/// PostgreSQL imports defer the trigram index's merges and the planner statistics (`bulk_load_settings`);
/// the import's end does both, so a substring filter right after reads no pending list and plans are made
/// with statistics (a failed line does not skip this).
async fn a_bulk_load_leaves_no_deferred_work(db: &TestDatabase) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let pending_pages: i64 = sqlx::query_scalar("SELECT gin_clean_pending_list('users_text_trgm_idx'::regclass)")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(pending_pages, 0, "the import left entries in the trigram index's pending list");
    for table in ["users", "user_external_refs"] {
        let analyzed: bool =
            sqlx::query_scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1")
                .bind(table)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert!(analyzed, "the import left {table} without planner statistics");
    }
}

async fn jwt_settings_and_user_keys_from_the_cli(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let tmp = tempfile::tempdir().unwrap();
    let users = tmp.path().join("u.ndjson");
    std::fs::write(&users, r#"{"email":"a@example.com","auth_subject":"sub-1"}"#).unwrap();
    assert!(userbase(&db, &["import", users.to_str().unwrap(), "--project", "acme"]).status.success());
    let exported = stdout(&userbase(&db, &["export", "--project", "acme"]));
    let user: serde_json::Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    let id = user["id"].as_str().unwrap();

    let key = userbase(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "acme",
            "--kind",
            "user",
            "--user",
            id,
            "--scopes",
            "read,update",
            "--expires-in",
            "30d",
        ],
    );
    assert!(key.status.success(), "{}", stderr(&key));
    assert!(stdout(&key).trim().starts_with("ub_uk_"));
    assert!(stdout(&userbase(&db, &["keys", "list", "--project", "acme"])).contains("user"));
    for (args, message) in [
        (&["keys", "create", "--project", "acme", "--kind", "user"][..], "names its user"),
        (
            &["keys", "create", "--project", "acme", "--kind", "user", "--user", id, "--scopes", "root"][..],
            "not a scope",
        ),
        (&["keys", "create", "--project", "acme", "--kind", "user", "--user", id][..], "at least one scope"),
        (&["keys", "create", "--project", "acme", "--kind", "secret", "--expires-in", "soon"][..], "not a duration"),
        (
            &[
                "keys",
                "create",
                "--project",
                "acme",
                "--kind",
                "user",
                "--user",
                "usr_0000000000000000000000000000",
                "--scopes",
                "read",
            ][..],
            "no such user",
        ),
        (&["projects", "update", "acme", "--jwt-hs256-secret", "short"][..], "at least 32 bytes"),
    ] {
        let out = userbase(&db, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    let pem = format!("{}/tests/api/fixtures/rsa1.pub.pem", env!("CARGO_MANIFEST_DIR"));
    let bad = tmp.path().join("bad.pem");
    std::fs::write(&bad, "not a key").unwrap();
    let refused = userbase(&db, &["projects", "update", "acme", "--jwt-public-key-file", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let updated = userbase(
        &db,
        &[
            "projects",
            "update",
            "acme",
            "--jwt-public-key-file",
            &pem,
            "--jwt-issuer",
            "https://issuer.test",
            "--name",
            "Acme",
        ],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    assert!(stdout(&userbase(&db, &["projects", "list"])).contains("Acme"));
}

async fn the_geocoder_url_is_set_and_removed_from_the_cli(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let stored = || async {
        let store = userbase_store::open(&db.url, &userbase_store::OpenOptions::default()).await.unwrap();
        let id = userbase_core::ids::ProjectId::parse("acme").unwrap();
        store.get_project(&id).await.unwrap().unwrap().settings.geocoder_url
    };
    assert_eq!(stored().await, None, "none by default");
    let set = userbase(&db, &["projects", "update", "acme", "--geocoder-url", "https://93.184.216.34/nominatim/"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(stored().await.as_deref(), Some("https://93.184.216.34/nominatim"));
    let refused = userbase(&db, &["projects", "update", "acme", "--geocoder-url", "ftp://geo.example"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("geocoder URL"), "{}", stderr(&refused));
    assert_eq!(stored().await.as_deref(), Some("https://93.184.216.34/nominatim"), "a refused change changes nothing");
    // Another change leaves it; --no-geocoder removes it.
    assert!(userbase(&db, &["projects", "update", "acme", "--name", "Acme"]).status.success());
    assert_eq!(stored().await.as_deref(), Some("https://93.184.216.34/nominatim"));
    assert!(userbase(&db, &["projects", "update", "acme", "--no-geocoder"]).status.success());
    assert_eq!(stored().await, None);
}

backend_tests!(
    jwt_settings_and_user_keys_from_the_cli,
    the_geocoder_url_is_set_and_removed_from_the_cli,
    import_and_export_round_trip_and_reruns_change_nothing,
    a_create_import_of_several_batches_counts_every_line_once,
    admin_commands_manage_the_database_the_server_uses,
    a_key_revoked_by_another_process_stops_working_within_the_cache_time,
    serve_bootstraps_an_empty_database_once_and_prints_a_working_key,
    admin_commands_reject_bad_input_clearly,
);
