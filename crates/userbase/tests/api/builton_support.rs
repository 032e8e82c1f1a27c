//! Helpers for the BuiltOn dialect tests: a project with an HS256 JWT secret and a publishable key, and
//! requests with BuiltOn's headers.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::KeyKind;

use crate::auth_support::{claims, configure_jwt, hs256, HS_SECRET};
use crate::support::{Reply, TestApp};

/// The app, with project `acme` verifying HS256 JWTs, and a publishable key of it.
pub struct Builton {
    pub app: TestApp,
    /// The publishable key (`X-Builton-Api-Key`).
    pub pk: String,
}

/// A service account's or an end user's credentials.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Admin,
    User(&'a str),
    Nobody,
}

impl Builton {
    pub async fn spawn(backend: userbase_testing::Backend) -> Option<Self> {
        Self::with_app(TestApp::spawn(backend).await?).await
    }

    /// `spawn` with a server that may call 127.0.0.1 (where the tests' fake geocoders listen).
    pub async fn spawn_allowing_loopback(backend: userbase_testing::Backend) -> Option<Self> {
        Self::with_app(TestApp::spawn_allowing_loopback(backend).await?).await
    }

    async fn with_app(app: TestApp) -> Option<Self> {
        configure_jwt(&app, &app.key, json!({ "hs256_secret": HS_SECRET })).await;
        let pk = app.new_key("acme", KeyKind::Publishable).await;
        Some(Self { app, pk })
    }

    /// `/builton` + `path` as `who`, with the publishable key.
    pub async fn call(&self, method: Method, path: &str, who: As<'_>, body: Option<&Value>) -> Reply {
        let mut req = self.app.http.request(method, format!("{}/builton{path}", self.app.base));
        req = req.header("X-Builton-Api-Key", &self.pk);
        match who {
            As::Admin => req = req.bearer_auth(&self.app.key),
            As::User(sub) => req = req.bearer_auth(jwt(sub)),
            As::Nobody => {}
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        TestApp::read(req).await
    }

    pub async fn get(&self, path: &str, who: As<'_>) -> Reply {
        self.call(Method::GET, path, who, None).await
    }

    /// Creates a user as admin; its JSON.
    pub async fn admin_create(&self, body: Value) -> Value {
        let reply = self.call(Method::POST, "/users", As::Admin, Some(&body)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply.body
    }
}

/// A JWT for `sub`, valid for an hour, signed with the project's secret.
pub fn jwt(sub: &str) -> String {
    hs256(&claims(sub))
}

/// The ObjectId of a BuiltOn user object.
pub fn oid(user: &Value) -> String {
    user["_id"]["$oid"].as_str().unwrap().to_owned()
}

/// The ObjectIds of a list, in order.
pub fn oids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(oid).collect()
}

/// The BuiltOn error `type` of a reply.
pub fn error_type(reply: &Reply) -> &str {
    reply.body["error"]["type"].as_str().unwrap_or("")
}

/// Fails unless `actual` has at least the keys of a seed example (which elides the rest with `[...]`), each
/// holding the same JSON type, recursively (arrays compared by their first element).
pub fn assert_has_seed_shape(actual: &Value, seed: &Value, at: &str) {
    match (actual, seed) {
        (Value::Object(a), Value::Object(s)) => {
            for (k, v) in s {
                let got = a.get(k).unwrap_or_else(|| panic!("{at}.{k} is missing: {actual}"));
                assert_has_seed_shape(got, v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            assert_eq!(a.is_empty(), s.is_empty(), "emptiness at {at}: {actual}");
            if let (Some(a0), Some(s0)) = (a.first(), s.first()) {
                assert_has_seed_shape(a0, s0, &format!("{at}[0]"));
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null) => {}
        (a, s) => panic!("type at {at}: got {a}, the seed shows {s}"),
    }
}
