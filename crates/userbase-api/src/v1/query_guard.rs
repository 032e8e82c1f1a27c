//! Unknown query parameters are refused on every v1 operation, not only on those whose handler reads a
//! query: a misspelt `?limt=5` or `?dry_run=true` on a create must not be silently ignored. The parameters
//! each operation takes come from the OpenAPI document, which is built from the same handlers, so this list
//! cannot drift from what the handlers read.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::RefOr;

use super::Problem;

/// The query parameters of each operation, by (method, path template).
type Allowed = HashMap<(String, String), HashSet<String>>;

fn allowed() -> &'static Allowed {
    static ALLOWED: OnceLock<Allowed> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let mut allowed = Allowed::new();
        for (path, item) in &super::openapi::document().paths.paths {
            let operations = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
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
                allowed.insert((method.to_owned(), path.clone()), names);
            }
        }
        allowed
    })
}

/// Refuses a request whose query string names a parameter its operation does not take.
pub async fn refuse_unknown_parameters(request: Request, next: Next) -> Response {
    if let (Some(query), Some(path)) = (request.uri().query(), request.extensions().get::<MatchedPath>()) {
        let key = (request.method().as_str().to_owned(), path.as_str().to_owned());
        if let Some(names) = allowed().get(&key) {
            let unknown = form_urlencoded_names(query).find(|name| !names.contains(name.as_str()));
            if let Some(name) = unknown {
                return Problem::invalid_param(&name, "unknown_parameter", "This endpoint takes no such parameter.")
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// The decoded names of a query string's parameters.
fn form_urlencoded_names(query: &str) -> impl Iterator<Item = String> + '_ {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("{name}="))
            .ok()
            .and_then(|mut pairs| pairs.pop())
            .map_or_else(|| name.to_owned(), |(decoded, _)| decoded)
    })
}
