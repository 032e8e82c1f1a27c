//! BuiltOn's own published SDKs against a real `userbase serve`, on both backends: the Python SDK (PyPI
//! `builton-sdk` 0.3.1) and the JavaScript SDK (npm `@builton/core-sdk` 4.2.4), each driven by a small script
//! under `tests/sdk/` whose printed results are checked here. `.ci/run` installs both and sets
//! USERBASE_TEST_REQUIRE_BUILTON_SDKS, so that in CI these tests fail rather than skip without them.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend, TestDatabase};

use crate::auth_support::{claims, hs256, HS_SECRET};
use crate::cli::{stdout, userbase, Server};

const REQUIRE: &str = "USERBASE_TEST_REQUIRE_BUILTON_SDKS";

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Whether an SDK is installed; without it the test is skipped, unless CI requires it.
fn available(what: &str, found: bool, install: &str) -> bool {
    if !found {
        assert!(std::env::var_os(REQUIRE).is_none(), "{REQUIRE} is set but the {what} is not installed ({install})");
        eprintln!("note: the {what} is not installed; its test was skipped ({install})");
    }
    found
}

fn python_sdk_available() -> bool {
    let found = Command::new("python3").args(["-c", "import builton_sdk"]).output().is_ok_and(|o| o.status.success());
    available("BuiltOn Python SDK", found, "pip install builton-sdk==0.3.1")
}

fn js_sdk_available() -> bool {
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let found = node && sdk_dir().join("node/node_modules/@builton/core-sdk/package.json").exists();
    available("BuiltOn JavaScript SDK", found, "npm ci --prefix crates/userbase/tests/sdk/node")
}

/// A served project with HS256 JWTs, its keys, and a returning user (subject `sdk-returning`) who has an
/// order and an active subscription.
struct Served {
    server: Server,
    secret: String,
    publishable: String,
    returning_order: String,
    returning_subscription: String,
    _db: TestDatabase,
}

fn run_ok(db: &TestDatabase, args: &[&str]) -> String {
    let out = userbase(db, args);
    assert!(out.status.success(), "userbase {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    stdout(&out).trim().to_owned()
}

async fn serve(backend: Backend) -> Option<Served> {
    let db = TestDatabase::create(backend).await?;
    run_ok(&db, &["projects", "create", "acme"]);
    run_ok(&db, &["projects", "update", "acme", "--jwt-hs256-secret", HS_SECRET]);
    let secret = run_ok(&db, &["keys", "create", "--project", "acme", "--kind", "secret"]);
    let publishable = run_ok(&db, &["keys", "create", "--project", "acme", "--kind", "publishable"]);
    let server = Server::start(&db, &[]);
    let http = reqwest::Client::new();
    let post = |path: String, body: Value| {
        let req = http.post(format!("{}{path}", server.base)).bearer_auth(&secret).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 201, "POST {path}");
            resp.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    let user = post("/v1/users".into(), json!({"auth_subject": "sdk-returning", "first_name": "Returning"})).await;
    let returning_order = post(format!("/v1/users/{user}/orders"), json!({"status": "SUCCESS"})).await;
    let returning_subscription = post(format!("/v1/users/{user}/subscriptions"), json!({"status": "ACTIVE"})).await;
    Some(Served { server, secret, publishable, returning_order, returning_subscription, _db: db })
}

/// Runs an SDK script with the endpoint and credentials; its printed JSON.
async fn run_script(program: &str, script: PathBuf, served: &Served, endpoint: String) -> Value {
    let mut cmd = Command::new(program);
    cmd.arg(&script)
        .current_dir(script.parent().unwrap())
        .env("BUILTON_ENDPOINT", endpoint)
        .env("BUILTON_API_KEY", &served.publishable)
        .env("BUILTON_SECRET_KEY", &served.secret)
        .env("BUILTON_NEW_USER_JWT", hs256(&claims("sdk-new")))
        .env("BUILTON_RETURNING_USER_JWT", hs256(&claims("sdk-returning")));
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("run the SDK script")).await.unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{program} failed:\n{printed}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(printed.trim()).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

/// What both SDKs must have seen.
fn check_common(out: &Value, served: &Served, first_name: &str) {
    let id = out["created"]["id"].as_str().unwrap();
    assert_eq!(id.len(), 24, "{out}");
    assert_eq!(out["created"]["first_name"], first_name);
    assert_eq!(out["created"]["auth_id"], "sdk-new");
    assert_eq!(out["authenticated_again"], id, "authenticate logs the same user in");
    assert_eq!(out["me"]["id"], id);
    assert_eq!(out["by_id"], id);
    assert_eq!(
        (out["updated"]["first_name"].as_str(), out["updated"]["last_name"].as_str()),
        (Some(first_name), Some("Updated"))
    );
    assert_eq!(out["addresses"][0]["street_name"], "Hausmanns gate 29");
    assert_eq!(out["addresses"][0]["country"], "Norway");
    assert_eq!(out["login"]["first_name"], "Returning", "a login ignores the body");
    assert_eq!(out["orders"], json!([{"id": served.returning_order, "order_status": "SUCCESS"}]));
    assert_eq!(out["subscriptions"], json!([{"id": served.returning_subscription, "status": "ACTIVE"}]));
    assert_eq!(out["admin_created"]["auth_id"], "");
    assert_eq!(out["admin_get"], "Admin");
    assert_eq!(out["deleted"], json!({"id": out["admin_created"]["id"], "deleted": true}));
}

async fn the_python_sdk_works_unchanged(backend: Backend) {
    if !python_sdk_available() {
        return;
    }
    let Some(served) = serve(backend).await else { return };
    // The Python SDK joins paths onto its endpoint with urljoin, so the endpoint ends with `/`.
    let endpoint = format!("{}/builton/", served.server.base);
    let out = run_script("python3", sdk_dir().join("builton_python.py"), &served, endpoint).await;
    check_common(&out, &served, "Py");
    let listed: Vec<&str> = out["admin_list"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(listed.len(), 3, "{out}");
    assert!(listed.contains(&out["admin_created"]["id"].as_str().unwrap()));
    assert_eq!(out["admin_search"], json!([out["created"]["id"]]));
}

async fn the_javascript_sdk_works_unchanged(backend: Backend) {
    if !js_sdk_available() {
        return;
    }
    let Some(served) = serve(backend).await else { return };
    // The JavaScript SDK appends `/path` to its endpoint, which has no trailing slash.
    let endpoint = format!("{}/builton", served.server.base);
    let out = run_script("node", sdk_dir().join("node/builton.js"), &served, endpoint).await;
    check_common(&out, &served, "Js");
    assert_eq!(out["orders_total"], 1);
    assert_eq!(out["admin_list_total"], 3);
    let pages = out["admin_list_pages"].as_array().unwrap();
    assert_eq!((pages[0].as_array().unwrap().len(), pages[1].as_array().unwrap().len()), (2, 1), "{out}");
}

backend_tests!(the_python_sdk_works_unchanged, the_javascript_sdk_works_unchanged);
