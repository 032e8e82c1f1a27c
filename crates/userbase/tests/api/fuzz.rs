//! Property-based fuzzing of the whole v1 API from its own OpenAPI document, with schemathesis: generated
//! requests (valid and invalid bodies, parameters and headers) must never get a 5xx, and every answer must
//! have a documented status, content type and shape. Needs `schemathesis` on the PATH (`.ci/run` installs it
//! and sets USERBASE_TEST_REQUIRE_SCHEMATHESIS, so that in CI the test fails rather than skips without it).

use std::process::Command;

use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

fn schemathesis_available() -> bool {
    let found = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("USERBASE_TEST_REQUIRE_SCHEMATHESIS").is_none(),
            "USERBASE_TEST_REQUIRE_SCHEMATHESIS is set but schemathesis is not installed"
        );
        eprintln!("note: schemathesis is not installed; the API fuzz test was skipped (pip install schemathesis)");
    }
    found
}

async fn generated_requests_get_documented_answers_and_no_server_errors(backend: Backend) {
    if !schemathesis_available() {
        return;
    }
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (base, key) = (app.base.clone(), app.key.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["run", &format!("{base}/v1/openapi.json"), "--url", &base])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--phases", "examples,coverage,fuzzing", "--max-examples", "20", "--seed", "20261123"])
            // Revoking keys would revoke the one the fuzzer uses (which it may: that is allowed, not a fault).
            .args(["--exclude-path", "/v1/keys/{id}"])
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "schemathesis tested nothing:\n{report}");
}

backend_tests!(generated_requests_get_documented_answers_and_no_server_errors);
