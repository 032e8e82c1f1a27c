//! The v1 OpenAPI 3.1 document. Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so the router and the document come from one place and cannot drift. The error
//! answers every operation shares (401, 404, 412, 422, ...) are added here once, from what each operation
//! declares (path parameters, a body, `If-Match`), instead of being repeated on every handler.

use std::sync::OnceLock;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

use super::problem::ProblemWire;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "userbase v1",
        description = "userbase's own Users API: users with addresses, organizations, related records and pricing; \
                       search with a SCIM-style filter language; streamed bulk import; API keys and end-user JWTs.\n\n\
                       Authenticate with `Authorization: Bearer <secret key or access token>`. `/v1/me` takes an \
                       end-user JWT (with the project's publishable key in `X-Userbase-Publishable-Key`) or a \
                       user-bound key. Errors are RFC 9457 problem documents with a stable `code`.\n\n\
                       Optimistic concurrency: user, address, organization and record answers carry an `ETag`; \
                       send it back in `If-Match` on PATCH or DELETE (412 when it no longer matches). POSTs accept \
                       an `Idempotency-Key`: the same key with the same body replays the first answer for 24 hours.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    security(("secret_key" = [])),
    tags(
        (name = "users", description = "Users: create, read, update, delete, restore, list and search."),
        (name = "bulk", description = "Streamed bulk create and upsert."),
        (name = "addresses", description = "A user's delivery, invoice and home addresses."),
        (name = "organizations", description = "Organizations, their members and users' default organization."),
        (name = "records", description = "Orders, payment methods and subscriptions a user owns."),
        (name = "pricing", description = "A user's pricing per category or product."),
        (name = "me", description = "The signed-in end user's own account."),
        (name = "project", description = "The calling key's project and its settings."),
        (name = "keys", description = "The project's API keys."),
    )
)]
struct ApiDoc;

/// The finished document (v1's routes under `/v1`, with the shared answers), built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut api) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
            .nest("/v1", super::routes())
            .split_for_parts();
        SharedAnswers.modify(&mut api);
        api
    })
}

/// The document as pretty JSON, built once (served at `/v1/openapi.json`, printed by `userbase openapi`).
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    })
}

/// Security schemes, the problem schema and the error answers operations share.
struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A secret key (`ub_sk_...`) or an access token from `POST /propeller/oauth2/token`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "end_user",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An end-user JWT signed with the project's key, or a user-bound key (`ub_uk_...`).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "publishable_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Userbase-Publishable-Key",
                "The project's publishable key (`ub_pk_...`); names the project of an end-user JWT.",
            ))),
        );
        let problem_name = <ProblemWire as utoipa::ToSchema>::name().into_owned();
        components.schemas.insert(problem_name.clone(), <ProblemWire as utoipa::PartialSchema>::schema());
        let problem_ref = Ref::from_schema_name(problem_name);

        for (path, item) in api.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for (method, operation) in [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("patch", &mut item.patch),
                ("delete", &mut item.delete),
            ] {
                let Some(operation) = operation.as_mut() else { continue };
                add_shared(operation, method, has_path_params, &problem_ref);
            }
        }
    }
}

/// Adds the error answers that follow from the operation's shape, where the operation does not document its own.
fn add_shared(op: &mut Operation, method: &str, has_path_params: bool, problem: &Ref) {
    let has_body = op.request_body.is_some();
    let params = op.parameters.get_or_insert_with(Vec::new);
    let inline = |p: &RefOr<Parameter>| match p {
        RefOr::T(p) => Some((p.parameter_in.clone(), p.name.clone())),
        RefOr::Ref(_) => None,
    };
    let has_query = params.iter().filter_map(inline).any(|(at, _)| at == ParameterIn::Query);
    let has_if_match = params.iter().filter_map(inline).any(|(_, name)| name == "If-Match");
    if method == "post" {
        params.push(RefOr::T(idempotency_key()));
    }
    let answers: [(bool, &str, &str); 9] = [
        (
            has_body || has_query || method == "post",
            "400",
            "Malformed request: invalid JSON, an unknown field, a wrong type, a bad parameter or `Idempotency-Key`.",
        ),
        (true, "401", "Missing, malformed, expired or revoked credentials."),
        (true, "403", "The credential may not do this (wrong key kind or missing scope)."),
        (has_path_params, "404", "No such resource in this project."),
        (method == "post", "409", "Another request with the same `Idempotency-Key` is still running."),
        (has_if_match, "412", "`If-Match` names a version that is no longer current."),
        (has_body, "413", "The body is larger than the limit (1 MiB; bulk: 100,000 items)."),
        (has_body, "415", "The body is not `application/json`."),
        (
            has_body || method == "post",
            "422",
            "Validation failed (per-field `errors`), or an `Idempotency-Key` reused with another body.",
        ),
    ];
    for (applies, status, description) in answers {
        if applies && !op.responses.responses.contains_key(status) {
            let response = ResponseBuilder::new()
                .description(description)
                .content(PROBLEM_CONTENT_TYPE, ContentBuilder::new().schema(Some(problem.clone())).build());
            let response = if status == "401" {
                response.header("WWW-Authenticate", HeaderBuilder::new().description(Some("Bearer")).build())
            } else {
                response
            };
            op.responses.responses.insert(status.to_owned(), response.build().into());
        }
    }
}

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "Makes the POST safe to retry: the same key with the same body replays the first answer for 24 hours.",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).max_length(Some(255)),
        ))
        .build()
}

/// A parent group, by organization id or by external ref (documentation of `userbase_core::values::GroupRef`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = GroupRef)]
#[allow(dead_code)] // documentation only
pub enum GroupRefSchema {
    Id { id: i64 },
    External { source: String, source_id: String },
}
