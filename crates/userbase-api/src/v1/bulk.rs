//! `POST /v1/users/bulk`: create or upsert many users from NDJSON or a JSON array, streamed in batches.
//! Every item succeeds or fails on its own; the answer lists one result per item, in input order.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use userbase_core::services::{BulkCounts, BulkItem, BulkMode, BulkOutcome, BULK_BATCH};
use userbase_core::store::UpsertKey;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::extract::{Admin, V1Query};
use super::user_input::UserInput;
use super::Problem;
use crate::auth::Principal;
use crate::bulk_stream::{Framing, ItemSplitter};
use crate::dialect::{declared_media_type, parse_json_slice};
use crate::AppState;

/// Most items one request may carry.
pub const MAX_BULK_ITEMS: usize = 100_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// `create` (default) or `upsert`.
    mode: Option<String>,
    /// For upsert: `id`, `email` (default) or `external_ref` (with `source`).
    key: Option<String>,
    /// With `key=external_ref`: the external ref source to match on.
    source: Option<String>,
}

/// What happened to one item.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = BulkItemResult)]
struct ItemResult<'a> {
    /// The item's position in the input, from 0.
    index: usize,
    /// `created`, `updated`, `unchanged` or `failed`.
    action: &'static str,
    /// The user's id, unless the item failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    id: Option<&'a str>,
    /// Why the item failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::problem::ProblemWire>)]
    error: Option<&'a Problem>,
}

/// The outcome of a bulk request: counts and one result per item, in input order.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // the wire shape, for the document: `Tally::into_response` writes it as `BulkHead` + results
struct BulkResult<'a> {
    object: &'static str,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    /// Why reading stopped early, if it did; the items before it were applied.
    #[schema(value_type = Option<super::problem::ProblemWire>)]
    error: Option<Problem>,
    results: Vec<ItemResult<'a>>,
}

/// A `BulkResult` but its results: those are kept encoded as items finish and appended to the body as they
/// are (100,000 results held as structs, then copied into a body, took ~25 MiB at peak).
#[derive(Serialize)]
struct BulkHead {
    object: &'static str,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Problem>,
}

/// The bulk mode named by `mode`, `key` and `source` (as in the query string).
pub fn bulk_mode(mode: Option<&str>, key: Option<&str>, source: Option<&str>) -> Result<BulkMode, Problem> {
    let q = BulkQuery { mode: mode.map(str::to_owned), key: key.map(str::to_owned), source: source.map(str::to_owned) };
    self::mode(&q)
}

fn mode(q: &BulkQuery) -> Result<BulkMode, Problem> {
    let invalid = |field: &str, msg: &str| Problem::invalid_param(field, "invalid_value", msg);
    match q.mode.as_deref().unwrap_or("create") {
        "create" if q.key.is_none() && q.source.is_none() => Ok(BulkMode::Create),
        "create" => Err(invalid("key", "key and source go with mode=upsert.")),
        "upsert" => Ok(BulkMode::Upsert(match (q.key.as_deref().unwrap_or("email"), &q.source) {
            ("id", None) => UpsertKey::Id,
            ("email", None) => UpsertKey::Email,
            ("external_ref", Some(source)) if !source.is_empty() => UpsertKey::ExternalRef(source.clone()),
            ("external_ref", _) => return Err(invalid("source", "key=external_ref needs a source.")),
            (_, Some(_)) => return Err(invalid("source", "source goes with key=external_ref.")),
            _ => return Err(invalid("key", "key is id, email or external_ref.")),
        })),
        _ => Err(invalid("mode", "mode is create or upsert.")),
    }
}

fn framing(headers: &HeaderMap) -> Result<Framing, Problem> {
    let unsupported = || {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "Send a JSON array as application/json, or NDJSON as application/x-ndjson, in UTF-8.",
        )
    };
    let mime = declared_media_type(headers).map_err(|_| unsupported())?;
    match mime.as_str() {
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/jsonlines" => {
            Ok(Framing::Ndjson)
        }
        "application/json" => Ok(Framing::JsonArray),
        _ => Err(unsupported()),
    }
}

/// Translates one raw item (a v1 user body); `with_id` keeps a top-level `id` for upserts by id. Shared
/// with the CLI importer, so files and HTTP accept exactly the same items.
pub fn parse_item(bytes: &[u8], with_id: bool) -> Result<BulkItem, Problem> {
    if !with_id {
        let input: UserInput = parse_json_slice(bytes)?;
        return Ok(BulkItem { id: None, fields: input.into_patch().map_err(DomainError::Invalid)? });
    }
    let mut value: serde_json::Map<String, serde_json::Value> = parse_json_slice(bytes)?;
    let id = match value.remove("id") {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => return Err(Problem::bad_request("invalid_body", "id: expected a string")),
    };
    let input: UserInput = parse_json_slice(&serde_json::to_vec(&value).unwrap_or_default())?;
    Ok(BulkItem { id, fields: input.into_patch().map_err(DomainError::Invalid)? })
}

/// Counts and the results so far, each result encoded as JSON as soon as it is known.
#[derive(Default)]
struct Tally {
    counts: BulkCounts,
    // The elements of the `results` array, comma-separated.
    results: Vec<u8>,
}

impl Tally {
    fn record(&mut self, item: &ItemResult<'_>) {
        if !self.results.is_empty() {
            self.results.push(b',');
        }
        // Writing plain structs of strings and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.results, item);
    }

    /// The `BulkResult` document: its other fields, then `"results":[...]` from the encoded buffer, which
    /// becomes part of the body as it is (no copy).
    fn into_response(self, error: Option<Problem>) -> Response {
        let summary = BulkHead {
            object: "bulk_result",
            created: self.counts.created,
            updated: self.counts.updated,
            unchanged: self.counts.unchanged,
            failed: self.counts.failed,
            error,
        };
        let mut head = match serde_json::to_vec(&summary) {
            Ok(head) => head,
            Err(e) => return Problem::from(DomainError::Internal(e.to_string())).into_response(),
        };
        // `{..."failed":0}` becomes `{..."failed":0,"results":[`; the object is never empty.
        head.pop();
        head.extend_from_slice(b",\"results\":[");
        let length = head.len() + self.results.len() + 2;
        let parts: [Result<Bytes, std::convert::Infallible>; 3] =
            [Ok(Bytes::from(head)), Ok(Bytes::from(self.results)), Ok(Bytes::from_static(b"]}"))];
        let mut response = Body::from_stream(futures_util::stream::iter(parts)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        response
    }
}

struct Run<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    mode: BulkMode,
    tally: Tally,
    batch: Vec<(usize, Result<BulkItem, Problem>)>,
}

impl Run<'_> {
    async fn flush(&mut self) -> Result<(), Problem> {
        let batch = std::mem::take(&mut self.batch);
        let mut valid = Vec::with_capacity(batch.len());
        let mut slots = Vec::with_capacity(batch.len());
        for (index, parsed) in batch {
            match parsed {
                Ok(item) => {
                    valid.push(item);
                    slots.push((index, None));
                }
                Err(p) => slots.push((index, Some(p))),
            }
        }
        let mut outcomes = self
            .state
            .bulk
            .apply(&self.principal.project, &self.mode, valid, MetadataLimits::DEFAULT)
            .await?
            .into_iter();
        for (index, parse_error) in slots {
            let outcome: BulkOutcome = match parse_error {
                Some(p) => {
                    self.push_failure(index, p);
                    continue;
                }
                None => outcomes.next().unwrap_or_else(|| Err(DomainError::Internal("missing bulk outcome".into()))),
            };
            match outcome {
                Ok((action, id)) => {
                    self.tally.counts.add(action);
                    let action = action.as_str();
                    self.tally.record(&ItemResult { index, action, id: Some(id.as_str()), error: None });
                }
                Err(DomainError::Internal(msg)) => return Err(DomainError::Internal(msg).into()),
                Err(e) => self.push_failure(index, e.into()),
            }
        }
        Ok(())
    }

    fn push_failure(&mut self, index: usize, problem: Problem) {
        self.tally.counts.failed += 1;
        self.tally.record(&ItemResult { index, action: "failed", id: None, error: Some(&problem) });
    }
}

/// Create or upsert up to 100,000 users in one streamed request: a JSON array (`application/json`) or one
/// user per line (`application/x-ndjson`). Each item is applied on its own; invalid items never block valid ones.
/// With `key=id`, items may carry the user's `id`.
#[utoipa::path(post, path = "/users/bulk", tag = "bulk", params(BulkQuery),
    request_body(description = "Users, as a JSON array or NDJSON",
        content((Vec<UserInput> = "application/json"), (UserInput = "application/x-ndjson"))),
    responses((status = 200, description = "Per-item results", body = BulkResult)))]
pub async fn bulk_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Query(q): V1Query<BulkQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let mode = mode(&q)?;
    let framing = framing(&headers)?;
    let with_id = mode == BulkMode::Upsert(UpsertKey::Id);
    let mut run = Run {
        state: &state,
        principal: &principal,
        mode,
        tally: Tally::default(),
        batch: Vec::with_capacity(BULK_BATCH),
    };
    let mut splitter = ItemSplitter::new(framing);
    let mut stream = body.into_data_stream();
    let mut raw = Vec::new();
    let mut count = 0usize;
    let mut stop: Option<Problem> = None;
    'read: loop {
        let chunk = match stream.next().await {
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(_)) => {
                stop = Some(Problem::bad_request("unreadable_body", "The request body could not be read to its end."));
                break;
            }
            None => {
                if let Err(e) = std::mem::replace(&mut splitter, ItemSplitter::new(framing)).finish(&mut raw) {
                    stop = Some(Problem::bad_request("malformed_body", e.0));
                }
                None
            }
        };
        if let Some(chunk) = &chunk {
            if let Err(e) = splitter.push(chunk, &mut raw) {
                stop = Some(Problem::bad_request("malformed_body", e.0));
            }
        }
        for bytes in raw.drain(..) {
            if count == MAX_BULK_ITEMS {
                stop = Some(Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_many_items",
                    "Too many items",
                    format!(
                        "A request carries at most {MAX_BULK_ITEMS} items; the first {MAX_BULK_ITEMS} were applied."
                    ),
                ));
                break 'read;
            }
            run.batch.push((count, parse_item(&bytes, with_id)));
            count += 1;
            if run.batch.len() == BULK_BATCH {
                run.flush().await?;
            }
        }
        if chunk.is_none() || stop.is_some() {
            break;
        }
    }
    run.flush().await?;
    // A body of which not one item could be read is a bad request, not a bulk result.
    if count == 0 {
        if let Some(problem) = stop.take_if(|p| p.status == StatusCode::BAD_REQUEST.as_u16()) {
            return Err(problem);
        }
    }
    Ok(run.tally.into_response(stop))
}
