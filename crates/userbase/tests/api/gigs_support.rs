//! Helpers for the Gigs dialect tests.

use reqwest::Method;
use serde_json::Value;

use crate::support::{Reply, TestApp};

/// `/gigs/projects/acme` + `path`, with the acme secret key.
pub async fn gigs(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Reply {
    app.send(method, &format!("/gigs/projects/acme{path}"), Some(&app.key), body).await
}

/// Fails unless `actual` has the same shape as `expected`: the same keys, each holding the same JSON type
/// (recursively; arrays compared by their first element).
pub fn assert_same_shape(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let mut ak: Vec<&String> = a.keys().collect();
            let mut ek: Vec<&String> = e.keys().collect();
            ak.sort();
            ek.sort();
            assert_eq!(ak, ek, "keys at {at}");
            for (k, v) in e {
                assert_same_shape(&a[k], v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.is_empty(), e.is_empty(), "emptiness at {at}");
            if let (Some(a0), Some(e0)) = (a.first(), e.first()) {
                assert_same_shape(a0, e0, &format!("{at}[0]"));
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null) => {}
        (a, e) => panic!("type at {at}: got {a}, the seed shows {e}"),
    }
}
