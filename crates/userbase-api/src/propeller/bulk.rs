//! `POST /users/bulk/sourceId` and `POST /users/bulk/id`: upsert many users, each with its nested
//! `addresses` (upserted by `code`), `attributes` (kept as given), `pricing` and `parent`.
//!
//! The body is bounded (`MAX_BULK_BYTES`, `MAX_BULK_USERS`) rather than streamed: the contract answers a
//! schema error anywhere in the payload with a 400 for the whole request, so every item is checked before
//! any is written. Items are then written together, as one batch (`NestedBulkService::apply`: one lookup, one
//! store write per kind of row); each item succeeds or fails on its own, and the answer has one
//! result per item, in input order.

use std::collections::BTreeMap;
use std::ops::Range;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use userbase_core::patch::Patch;
use userbase_core::services::{BulkAction, BulkItem, BulkMode, NestedItem};
use userbase_core::store::UpsertKey;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::address_input::read_address;
use super::error::PropellerError;
use super::extract::Admin;
use super::pricing::read_pricing;
use super::schema::{type_name, Obj, Violations};
use super::user_input::{PayloadErrors, UserInput, USER_KEYS};
use super::users::envelope;
use crate::dialect::{declared_media_type, parse_json_slice, BodyError};
use crate::AppState;

/// Largest bulk body: 10,000 users with a few addresses each fit several times over.
pub const MAX_BULK_BYTES: usize = 64 * 1024 * 1024;
/// Most users one bulk request may carry.
pub const MAX_BULK_USERS: usize = 10_000;

/// Which lookup key a bulk endpoint matches users on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BulkKey {
    SourceId,
    Id,
}

impl BulkKey {
    fn name(self) -> &'static str {
        match self {
            BulkKey::SourceId => "sourceId",
            BulkKey::Id => "id",
        }
    }
}

/// One item, checked: what to write, and the key to report (as sent: a number stays a number).
struct Checked {
    shown: Value,
    item: Result<NestedItem, String>,
}

pub async fn bulk_by_source_id(
    state: State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PropellerError> {
    bulk(state, admin, headers, body, BulkKey::SourceId).await
}

pub async fn bulk_by_id(
    state: State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PropellerError> {
    bulk(state, admin, headers, body, BulkKey::Id).await
}

async fn bulk(
    State(state): State<AppState>,
    Admin(principal): Admin,
    headers: HeaderMap,
    body: Body,
    key: BulkKey,
) -> Result<Response, PropellerError> {
    let mime = declared_media_type(&headers)?;
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
        return Err(BodyError::UnsupportedMediaType.into());
    }
    let bytes = to_bytes(body, MAX_BULK_BYTES).await.map_err(|_| PropellerError::too_large(MAX_BULK_BYTES))?;
    // The kit's checks (syntax, NUL, an object at the top), then the items as raw slices of the body.
    parse_json_slice::<serde::de::IgnoredAny>(&bytes)?;
    let top: BTreeMap<&str, &RawValue> =
        serde_json::from_slice(&bytes).map_err(|_| PropellerError::invalid_json("Invalid JSON payload"))?;
    let mut v = Violations::default();
    for name in top.keys().filter(|k| **k != "users") {
        v.push("#", format_args!("extraneous key [{name}] is not permitted"));
    }
    let raw_users: Vec<&RawValue> = match top.get("users") {
        None => {
            v.push("#", "required key [users] not found");
            Vec::new()
        }
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| {
            let found: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            PropellerError::schema(vec![format!("#/users: expected type: JSONArray, found: {}", type_name(&found))])
        })?,
    };
    if raw_users.len() > MAX_BULK_USERS {
        v.push("#/users", format_args!("expected maximum item count: {MAX_BULK_USERS}, found: {}", raw_users.len()));
    }
    if !v.is_empty() {
        return Err(PropellerError::schema(v.0));
    }
    // Each item as a range of the body, so that half of them can be checked on another thread.
    let base = bytes.as_ptr() as usize;
    let ranges: Vec<Range<usize>> = raw_users
        .iter()
        .map(|raw| {
            let start = raw.get().as_ptr() as usize - base;
            start..start + raw.get().len()
        })
        .collect();
    drop(raw_users);
    let (first, second) = if ranges.len() >= PARALLEL_CHECK_FROM {
        let half = ranges.len() / 2;
        let (body, tail) = (bytes.clone(), ranges[half..].to_vec());
        let second = tokio::task::spawn_blocking(move || check_part(&body, half, &tail, key));
        let first = check_part(&bytes, 0, &ranges[..half], key);
        let second = second.await.map_err(|e| DomainError::Internal(format!("a bulk check failed: {e}")))?;
        (first, second)
    } else {
        (check_part(&bytes, 0, &ranges, key), CheckedPart::default())
    };
    if first.invalid_json || second.invalid_json {
        return Err(PropellerError::invalid_json("Invalid JSON payload"));
    }
    v.0.extend(first.violations.0.into_iter().chain(second.violations.0));
    if !v.is_empty() {
        v.0.truncate(100);
        return Err(PropellerError::schema(v.0));
    }
    let mut missing_keys: Vec<String> = first.missing.into_iter().chain(second.missing).collect();
    if !missing_keys.is_empty() {
        missing_keys.truncate(100);
        return Err(PropellerError::lookup_key_not_found(missing_keys));
    }
    let checked = first.checked.into_iter().chain(second.checked);
    drop(bytes);
    let mode = BulkMode::Upsert(match key {
        BulkKey::SourceId => UpsertKey::AnyExternalRef,
        BulkKey::Id => UpsertKey::NumericId,
    });
    let lookup_key = key.name();
    let mut items = Vec::with_capacity(ranges.len());
    let mut shown: Vec<(Value, Option<String>)> = Vec::with_capacity(ranges.len());
    for c in checked {
        match c.item {
            Ok(item) => {
                items.push(item);
                shown.push((c.shown, None));
            }
            Err(message) => shown.push((c.shown, Some(message))),
        }
    }
    let mut outcomes =
        state.nested_bulk.apply(&principal.project, &mode, items, MetadataLimits::DEFAULT).await?.into_iter();
    let mut data = Vec::with_capacity(shown.len());
    for (key_value, refused) in shown {
        let outcome = match refused {
            Some(message) => Err(message),
            None => match outcomes.next() {
                Some(Ok(done)) => Ok(done),
                Some(Err(DomainError::Internal(m))) => return Err(DomainError::Internal(m).into()),
                Some(Err(e)) => Err(PropellerError::from(e).message()),
                None => return Err(DomainError::Internal("missing bulk outcome".into()).into()),
            },
        };
        data.push(match outcome {
            Ok(done) => {
                let action = if done.user.action == BulkAction::Created { "create" } else { "update" };
                json!({"action": action, "id": done.user.numeric_id, "key": key_value,
                       "lookupKey": lookup_key, "success": true})
            }
            Err(error) => json!({"action": "create", "error": error, "key": key_value,
                                 "lookupKey": lookup_key, "success": false}),
        });
    }
    let total = data.len();
    Ok(envelope(StatusCode::OK, Value::Array(data), "Completed", Some(total)))
}

/// From this many items on, the second half of a request is checked on another thread (about 8 µs an item;
/// the check of 10,000 items took a fifth of the request).
const PARALLEL_CHECK_FROM: usize = 2_000;

/// What checking a run of items found.
#[derive(Default)]
struct CheckedPart {
    checked: Vec<Checked>,
    violations: Violations,
    missing: Vec<String>,
    invalid_json: bool,
}

/// Checks the items at `ranges` of `body`, the first of which is item number `first` of the request.
fn check_part(body: &[u8], first: usize, ranges: &[Range<usize>], key: BulkKey) -> CheckedPart {
    let mut part = CheckedPart { checked: Vec::with_capacity(ranges.len()), ..CheckedPart::default() };
    for (i, range) in (first..).zip(ranges) {
        let at = format!("#/users/{i}");
        let map: Map<String, Value> = match serde_json::from_slice(&body[range.clone()]) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                part.violations.push(&at, format_args!("expected type: JSONObject, found: {}", type_name(&other)));
                continue;
            }
            Err(_) => {
                part.invalid_json = true;
                return part;
            }
        };
        if let Some(c) = check_item(&Obj::new(at, &map), key, &mut part.violations, &mut part.missing) {
            part.checked.push(c);
        }
    }
    part
}

/// Checks one item: schema violations go to `v`, a missing lookup key to `missing`; values that are not
/// valid fail the item alone.
fn check_item(o: &Obj<'_>, key: BulkKey, v: &mut Violations, missing: &mut Vec<String>) -> Option<Checked> {
    let mut allowed: Vec<&str> = USER_KEYS.to_vec();
    allowed.extend(["attributes", "pricing", "addresses"]);
    if key == BulkKey::Id {
        allowed.push("id");
    }
    o.allow(&allowed, v);
    let before = v.0.len();
    let mut e = PayloadErrors::default();
    let input = UserInput::read(o, v, &mut e);
    let shown = match key {
        BulkKey::SourceId => o.map.get("sourceId").cloned().unwrap_or(Value::Null),
        BulkKey::Id => o.map.get("id").cloned().unwrap_or(Value::Null),
    };
    let id = match key {
        BulkKey::Id => match &shown {
            // Ids are positive integers; a string of digits is taken too (the vendor's type drift).
            Value::Number(n) => match n.as_i64().filter(|n| *n > 0) {
                Some(n) => Some(n.to_string()),
                None => {
                    v.push(&o.at_key("id"), format_args!("{n} is not a valid id"));
                    None
                }
            },
            Value::String(s) => match s.parse::<i64>().ok().filter(|n| *n > 0) {
                Some(n) => Some(n.to_string()),
                None => {
                    v.push(&o.at_key("id"), format_args!("expected type: Integer, found: String"));
                    None
                }
            },
            Value::Null => None,
            other => {
                v.push(&o.at_key("id"), format_args!("expected type: Integer, found: {}", type_name(other)));
                None
            }
        },
        BulkKey::SourceId => None,
    };
    if shown.is_null() {
        missing.push(format!("{}: required key [{}] not found", o.at, key.name()));
    }
    let addresses = o
        .objects("addresses", v)
        .map(|items| items.iter().map(|a| read_address(a, true, v, &mut e)).collect::<Vec<_>>());
    let pricing = o.object("pricing", v).map(|p| read_pricing(&p, v, &mut e)).unwrap_or_default();
    let attributes = o.map.get("attributes").filter(|a| !a.is_null()).cloned();
    if v.0.len() > before {
        return None;
    }
    if !e.0.is_empty() {
        return Some(Checked { shown, item: Err(e.0.join("; ")) });
    }
    let mut fields = input.patch;
    fields.external_refs = input.source_ref.map(|r| vec![r]);
    if let Some(language) = input.language {
        fields.locale = Patch::Set(language);
    }
    let parent = match input.parent {
        Patch::Set(group) => Some(group),
        Patch::Clear => {
            fields.parent_group = Patch::Clear;
            None
        }
        Patch::Keep => None,
    };
    let item = NestedItem {
        item: BulkItem { id, fields },
        parent,
        addresses,
        attributes,
        pricing: pricing.into_iter().map(|(item, _, _)| item).collect(),
    };
    Some(Checked { shown, item: Ok(item) })
}
