//! `TestApp`: the real router on a real database, served on 127.0.0.1 on a free port, with a project
//! `acme` and a secret key for it.

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use userbase_api::outbound::OutboundPolicy;
use userbase_api::{edge, AppState, ServerSettings};
use userbase_core::api_key::{KeyKind, NewKey};
use userbase_core::ids::ProjectId;
use userbase_core::services::NewProject;
use userbase_store::OpenOptions;
use userbase_testing::{Backend, TestDatabase};

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// Secret key of project `acme`.
    pub key: String,
    pub state: AppState,
    _db: TestDatabase,
    server: JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A second server on a `TestApp`'s database.
pub struct Sibling {
    pub base: String,
    pub state: AppState,
    server: JoinHandle<()>,
}

impl Drop for Sibling {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `app` through the same HTTP edge as `userbase serve` (its connection handling, timeouts and
/// unread-body draining), with the command's default limits.
fn serve(listener: TcpListener, app: axum::Router) -> JoinHandle<()> {
    let seconds = std::time::Duration::from_secs;
    let limits = edge::Limits {
        header_timeout: seconds(10),
        body_timeout: seconds(30),
        idle_timeout: seconds(60),
        max_connections_open: 512,
        shutdown_grace: seconds(10),
    };
    tokio::spawn(edge::serve(listener, app, limits, std::future::pending()))
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `code` of a v1 problem.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// The ids of the users in a v1 list body, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

impl TestApp {
    /// `None` when the backend is not available (PostgreSQL without configuration).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, Self::options()).await
    }

    /// `spawn` with these store options (a short query time bound, a small pool).
    pub async fn spawn_with(backend: Backend, options: OpenOptions) -> Option<Self> {
        Self::spawn_with_settings(backend, options, ServerSettings::default()).await
    }

    /// `spawn` for tests whose fake providers (JWKS issuers, geocoders) listen on 127.0.0.1: the server is
    /// told to allow that address, as an operator would with `--outbound-allow 127.0.0.1`.
    pub async fn spawn_allowing_loopback(backend: Backend) -> Option<Self> {
        Self::spawn_with_settings(backend, Self::options(), Self::allowing_loopback()).await
    }

    /// Server settings whose outbound policy allows 127.0.0.1.
    pub fn allowing_loopback() -> ServerSettings {
        let outbound = OutboundPolicy::allowing(["127.0.0.1"]).unwrap();
        ServerSettings { outbound: std::sync::Arc::new(outbound), ..ServerSettings::default() }
    }

    /// The store options of `spawn`.
    pub fn options() -> OpenOptions {
        OpenOptions { max_connections: Some(8), ..OpenOptions::default() }
    }

    /// `spawn` with these store options and server settings (outbound policy, server secret).
    pub async fn spawn_with_settings(backend: Backend, options: OpenOptions, settings: ServerSettings) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        let store = userbase_store::open(&db.url, &options).await.unwrap();
        let state = AppState::with_settings(store, settings);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = userbase_api::router(state.clone());
        let server = serve(listener, app);
        let mut test_app = Self { base, http: reqwest::Client::new(), key: String::new(), state, _db: db, server };
        test_app.key = test_app.new_project("acme").await;
        Some(test_app)
    }

    /// Another server on the same database, with other settings (as a second replica, or a restart with
    /// another configuration, would be).
    pub async fn sibling(&self, settings: ServerSettings) -> Sibling {
        let state = AppState::with_settings(self.state.store.clone(), settings);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = userbase_api::router(state.clone());
        let server = serve(listener, app);
        Sibling { base, state, server }
    }

    /// Creates a project and returns a secret key for it.
    pub async fn new_project(&self, id: &str) -> String {
        let id = ProjectId::parse(id).unwrap();
        self.state
            .projects
            .create(NewProject { id: id.clone(), name: None, settings: Default::default() })
            .await
            .unwrap();
        self.new_key(id.as_str(), KeyKind::Secret).await
    }

    pub async fn new_key(&self, project: &str, kind: KeyKind) -> String {
        let new = NewKey {
            project_id: ProjectId::parse(project).unwrap(),
            kind,
            name: None,
            user_id: None,
            scopes: vec![],
            expires_at: None,
        };
        self.state.keys.create(new).await.unwrap().plaintext
    }

    /// The integer id of a user, by public id.
    pub async fn get_numeric_id(&self, project: &str, public_id: &str) -> i64 {
        let key = userbase_core::user::UserKey::Public(userbase_core::ids::PublicUserId::parse(public_id).unwrap());
        let project = ProjectId::parse(project).unwrap();
        self.state.store.find_user(&project, &key).await.unwrap().unwrap().numeric_id
    }

    /// Sends a request with `key` as bearer token (if any) and `body` as JSON (if any).
    pub async fn send(&self, method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        Self::read(req).await
    }

    pub async fn read(req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(&self.key), None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(&self.key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(&self.key), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, Some(&self.key), None).await
    }

    /// Creates a user through the API and returns its JSON.
    pub async fn create_user(&self, body: Value) -> Value {
        let reply = self.post("/v1/users", &body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body
    }
}
