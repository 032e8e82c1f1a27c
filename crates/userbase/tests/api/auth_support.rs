//! Helpers for the authentication tests: signing test tokens with the fixture keys, end-user requests.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::{KeyKind, NewKey};
use userbase_core::ids::ProjectId;

use crate::support::{Reply, TestApp};

pub const HS_SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!";

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/api/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Claims for `sub`, valid for an hour.
pub fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iat": now(), "exp": now() + 3600})
}

pub fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

pub fn hs256(claims: &Value) -> String {
    sign(Algorithm::HS256, None, &EncodingKey::from_secret(HS_SECRET.as_bytes()), claims)
}

pub fn rs256(private: &str, kid: Option<&str>, claims: &Value) -> String {
    sign(Algorithm::RS256, kid, &EncodingKey::from_rsa_pem(fixture(private).as_bytes()).unwrap(), claims)
}

/// Sets the project's JWT settings through v1 (with the project's secret key).
pub async fn configure_jwt(app: &TestApp, key: &str, jwt: Value) {
    let reply = app.send(Method::PATCH, "/v1/project", Some(key), Some(&json!({ "jwt": jwt }))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

/// `GET|PATCH|DELETE /v1/me` with a bearer token and, if given, a publishable key.
pub async fn me(app: &TestApp, method: Method, bearer: &str, publishable: Option<&str>, body: Option<&Value>) -> Reply {
    let mut req = app.http.request(method, format!("{}/v1/me", app.base)).bearer_auth(bearer);
    if let Some(pk) = publishable {
        req = req.header("x-userbase-publishable-key", pk);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    TestApp::read(req).await
}

/// A user key for the user with this public id.
pub async fn user_key(app: &TestApp, project: &str, user_id: &str, scopes: &[&str]) -> String {
    let user = app.get_numeric_id(project, user_id).await;
    let new = NewKey {
        project_id: ProjectId::parse(project).unwrap(),
        kind: KeyKind::User,
        name: None,
        user_id: Some(user),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
    };
    app.state.keys.create(new).await.unwrap().plaintext
}
