//! Unknown query parameters are refused on every v1 operation, not only on those whose handler reads a
//! query: a misspelt `?limt=5` or `?dry_run=true` on a create must not be silently ignored. The parameters
//! each operation takes come from the OpenAPI document, which is built from the same handlers, so this list
//! cannot drift from what the handlers read.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::RefOr;

use super::Problem;

/// The query parameters of each operation: by path template, then by method (looked up without allocating).
type Allowed = HashMap<String, Vec<(Method, HashSet<String>)>>;

fn allowed() -> &'static Allowed {
    static ALLOWED: OnceLock<Allowed> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let mut allowed = Allowed::new();
        for (path, item) in &super::openapi::document().paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|p| match p {
                        RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => Some(p.name.clone()),
                        _ => None,
                    })
                    .collect();
                allowed.entry(path.clone()).or_default().push((method, names));
            }
        }
        allowed
    })
}

/// Refuses a request whose query string names a parameter its operation does not take.
pub async fn refuse_unknown_parameters(request: Request, next: Next) -> Response {
    if let (Some(query), Some(path)) = (request.uri().query(), request.extensions().get::<MatchedPath>()) {
        let operation = allowed().get(path.as_str()).and_then(|ops| ops.iter().find(|(m, _)| m == request.method()));
        if let Some((_, names)) = operation {
            if let Some(name) = query.split('&').filter(|pair| !pair.is_empty()).find_map(|pair| unknown(pair, names)) {
                return Problem::invalid_param(&name, "unknown_parameter", "This endpoint takes no such parameter.")
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// The name of a `name=value` pair when it is none of `names` (decoded only when it is escaped: the hot path,
/// a plain name, allocates nothing).
fn unknown(pair: &str, names: &HashSet<String>) -> Option<String> {
    let raw = pair.split('=').next().unwrap_or("");
    if !raw.contains(['%', '+']) {
        return (!names.contains(raw)).then(|| raw.to_owned());
    }
    let decoded = serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("{raw}="))
        .ok()
        .and_then(|mut pairs| pairs.pop())
        .map_or_else(|| raw.to_owned(), |(name, _)| name);
    (!names.contains(&decoded)).then_some(decoded)
}
