//! The hardening settings of the binary: `projects update` checks URLs against `--outbound-allow`, `serve`
//! follows it when fetching, and `keys create` / `serve` take `--secret-file`.

use std::process::Command;

use serde_json::json;
use userbase_core::ids::ProjectId;
use userbase_core::server_secret::HashScheme;
use userbase_testing::{backend_tests, Backend, TestDatabase};

use crate::auth_support::{claims, fixture, rs256};
use crate::cli::{status_with_key, stderr, stdout, userbase, Server};
use crate::hardening_outbound::{Answer, Fake};

async fn projects_update_refuses_internal_urls_unless_the_operator_allows_them(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let stored = || async {
        let store = userbase_store::open(&db.url, &userbase_store::OpenOptions::default()).await.unwrap();
        let project = store.get_project(&ProjectId::parse("acme").unwrap()).await.unwrap().unwrap();
        (project.settings.geocoder_url, project.settings.jwt.jwks_url)
    };
    for url in ["http://127.0.0.1:9/nominatim", "http://[::1]:9", "http://localhost:9", "http://0.0.0.0:9"] {
        let refused = userbase(&db, &["projects", "update", "acme", "--geocoder-url", url]);
        assert!(!refused.status.success(), "{url}");
        assert!(
            stderr(&refused).contains("geocoder_url") && stderr(&refused).contains("--outbound-allow"),
            "{}",
            stderr(&refused)
        );
        let refused = userbase(&db, &["projects", "update", "acme", "--jwt-jwks-url", url]);
        assert!(!refused.status.success(), "{url}");
        assert!(stderr(&refused).contains("jwt.jwks_url"), "{}", stderr(&refused));
    }
    assert_eq!(stored().await, (None, None), "refused changes change nothing");

    let allowed = userbase(
        &db,
        &[
            "projects",
            "update",
            "acme",
            "--geocoder-url",
            "http://127.0.0.1:9/nominatim",
            "--outbound-allow",
            "127.0.0.1",
        ],
    );
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    let by_env = Command::new(env!("CARGO_BIN_EXE_userbase"))
        .args(["projects", "update", "acme", "--jwt-jwks-url", "http://localhost:9/jwks.json"])
        .env("USERBASE_DATABASE_URL", &db.url)
        .env("USERBASE_OUTBOUND_ALLOW", "10.0.0.0/8,localhost")
        .output()
        .unwrap();
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    assert_eq!(
        stored().await,
        (Some("http://127.0.0.1:9/nominatim".to_owned()), Some("http://localhost:9/jwks.json".to_owned()))
    );
    let bad = userbase(&db, &["projects", "update", "acme", "--name", "x", "--outbound-allow", "http://x/"]);
    assert!(!bad.status.success() && stderr(&bad).contains("neither a host name"), "{}", stderr(&bad));
}

async fn serve_fetches_an_internal_jwks_url_only_with_outbound_allow(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    let issuer = Fake::start("127.0.0.1", Answer::Body(fixture("jwks1.json"))).await.unwrap();
    let url = format!("http://127.0.0.1:{}/jwks.json", issuer.port);
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let set = userbase(&db, &["projects", "update", "acme", "--jwt-jwks-url", &url, "--outbound-allow", "127.0.0.1"]);
    assert!(set.status.success(), "{}", stderr(&set));
    let key = stdout(&userbase(&db, &["keys", "create", "--project", "acme", "--kind", "secret"])).trim().to_owned();
    let pk =
        stdout(&userbase(&db, &["keys", "create", "--project", "acme", "--kind", "publishable"])).trim().to_owned();
    let token = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    let me = |base: String| {
        let (token, pk) = (token.clone(), pk.clone());
        async move {
            let req = reqwest::Client::new().get(format!("{base}/v1/me")).bearer_auth(token);
            req.header("x-userbase-publishable-key", pk).send().await.unwrap().status().as_u16()
        }
    };

    let refusing = Server::start(&db, &["--no-bootstrap"]);
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/v1/users", refusing.base))
        .bearer_auth(&key)
        .json(&json!({"auth_subject": "sub-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(me(refusing.base.clone()).await, 401);
    assert_eq!(issuer.hits(), 0, "the default policy sends nothing to 127.0.0.1");
    drop(refusing);

    let allowing = Server::start(&db, &["--no-bootstrap", "--outbound-allow", "127.0.0.1"]);
    assert_eq!(me(allowing.base.clone()).await, 200);
    assert_eq!(issuer.hits(), 1);
}

async fn serve_and_keys_create_share_the_server_secret(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "correct horse battery staple, a long random server secret\n").unwrap();
    let secret_path = secret_file.to_str().unwrap();

    // An empty database: the bootstrap key is hashed under the secret.
    let mut server = Server::start(&db, &["--secret-file", secret_path]);
    let bootstrap = server.wait_for_line(|l| l.trim_start().starts_with("ub_sk_")).trim().to_owned();
    assert_eq!(status_with_key(&server.base, &bootstrap).await, 200);
    assert!(server.terminate());
    let created =
        userbase(&db, &["keys", "create", "--project", "default", "--kind", "secret", "--secret-file", secret_path]);
    assert!(created.status.success(), "{}", stderr(&created));
    let peppered = stdout(&created).trim().to_owned();
    let plain =
        stdout(&userbase(&db, &["keys", "create", "--project", "default", "--kind", "secret"])).trim().to_owned();

    let store = userbase_store::open(&db.url, &userbase_store::OpenOptions::default()).await.unwrap();
    let scheme = |key: &str| {
        let id = userbase_core::api_key::KeyId::parse(&format!("key_{}", key.split('_').nth(2).unwrap())).unwrap();
        let store = store.clone();
        async move { store.find_key(&id).await.unwrap().unwrap().key.hash_scheme }
    };
    assert!(matches!(scheme(&bootstrap).await, HashScheme::Peppered(_)));
    assert!(matches!(scheme(&peppered).await, HashScheme::Peppered(_)));
    assert_eq!(scheme(&plain).await, HashScheme::Sha256);
    let listed = stdout(&userbase(&db, &["keys", "list", "--project", "default"]));
    let hash_of = |key: &str| {
        let prefix = &key[..14];
        listed.lines().find(|l| l.contains(prefix)).unwrap().split_whitespace().last().unwrap().to_owned()
    };
    assert!(hash_of(&peppered).starts_with("pepper:") && hash_of(&plain) == "sha256", "{listed}");

    let with_secret = Server::start(&db, &["--no-bootstrap", "--secret-file", secret_path]);
    for key in [&bootstrap, &peppered, &plain] {
        assert_eq!(status_with_key(&with_secret.base, key).await, 200);
    }
    drop(with_secret);
    let without = Server::start(&db, &["--no-bootstrap"]);
    assert_eq!(status_with_key(&without.base, &peppered).await, 401, "a peppered key needs the secret");
    assert_eq!(status_with_key(&without.base, &plain).await, 200);
    drop(without);

    // A secret that is too short stops the server with a message that names the file, not its content.
    let short = dir.path().join("short");
    std::fs::write(&short, "tooshort-secret").unwrap();
    let refused = userbase(&db, &["serve", "--listen", "127.0.0.1:0", "--secret-file", short.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains("at least 32 bytes") && message.contains("short"), "{message}");
    assert!(!message.contains("tooshort-secret"), "{message}");
    let missing = userbase(
        &db,
        &["keys", "create", "--project", "default", "--kind", "secret", "--secret-file", "/nonexistent/secret"],
    );
    assert!(!missing.status.success() && stderr(&missing).contains("cannot read the server secret file"));
}

/// `serve` says once at start whether a server secret is set (and what its absence means); the secret itself
/// never reaches the log.
async fn serve_logs_once_whether_a_server_secret_is_set(backend: Backend) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let Some(db) = TestDatabase::create(backend).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    let secret = "a-long-server-secret-that-must-never-be-logged-0123456789";
    std::fs::write(&secret_file, secret).unwrap();
    let with_secret = ["--secret-file", secret_file.to_str().unwrap()];
    for (extra, warned) in [(&[][..], 1), (&with_secret[..], 0)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_userbase"))
            .args(["serve", "--listen", "127.0.0.1:0", "--no-bootstrap"])
            .args(extra)
            .env("USERBASE_DATABASE_URL", &db.url)
            .env("RUST_LOG", "info")
            .env_remove("USERBASE_SECRET_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        assert!(out.lines().map_while(Result::ok).any(|l| l.contains("listening on")), "the server started");
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let mut log = String::new();
        child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        child.wait().unwrap();
        assert_eq!(log.matches("no server secret is set").count(), warned, "{log}");
        assert!(!log.contains(secret), "{log}");
    }
}

backend_tests!(
    serve_logs_once_whether_a_server_secret_is_set,
    projects_update_refuses_internal_urls_unless_the_operator_allows_them,
    serve_fetches_an_internal_jwks_url_only_with_outbound_allow,
    serve_and_keys_create_share_the_server_secret,
);
