//! Liveness and readiness.

use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn health_and_readiness_answer_without_credentials(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for path in ["/healthz", "/readyz"] {
        let reply = TestApp::read(app.http.get(format!("{}{path}", app.base))).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.body["status"], "ok");
        assert!(reply.header("x-request-id").is_some_and(|id| !id.is_empty()));
    }
}

backend_tests!(health_and_readiness_answer_without_credentials);
