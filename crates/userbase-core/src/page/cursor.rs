//! Opaque list cursors: a direction, the sort they belong to and a row's place in it, as base64url JSON,
//! so that clients treat them as opaque and a cursor from one sort is refused under another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Keyset, Page, Position, SortField, SortKey, SortValue};

#[derive(Serialize, Deserialize)]
struct Wire {
    /// `a` (after) or `b` (before).
    d: char,
    /// The sort spec the cursor belongs to; empty for the default order.
    s: String,
    id: i64,
    /// Sort key values: strings for text, microseconds for times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    k: Vec<serde_json::Value>,
}

/// The canonical spelling of a sort (`-created_at,last_name`), bound into cursors.
pub fn sort_spec(sort: &[SortKey]) -> String {
    sort.iter()
        .map(|k| format!("{}{}", if k.descending { "-" } else { "" }, k.field.name()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The cursor of a place; `None` for places that are no cursor (the start, an offset).
pub fn encode(position: &Position, sort: &[SortKey]) -> Option<String> {
    let (d, id, values) = match position {
        Position::First | Position::Offset(_) => return None,
        Position::After(id) => ('a', *id, &[][..]),
        Position::Before(id) => ('b', *id, &[][..]),
        Position::AfterKey(k) => ('a', k.id, &k.values[..]),
        Position::BeforeKey(k) => ('b', k.id, &k.values[..]),
    };
    let k = values
        .iter()
        .map(|v| match v {
            SortValue::Text(t) => serde_json::Value::from(t.as_str()),
            SortValue::Time(t) => serde_json::Value::from((t.unix_timestamp_nanos() / 1_000) as i64),
        })
        .collect();
    let json = serde_json::to_vec(&Wire { d, s: sort_spec(sort), id, k }).ok()?;
    Some(URL_SAFE_NO_PAD.encode(json))
}

/// The position a cursor names, if it is one of ours and belongs to `sort`.
pub fn decode(cursor: &str, sort: &[SortKey]) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let wire: Wire = serde_json::from_slice(&bytes).ok()?;
    if wire.s != sort_spec(sort) || wire.k.len() != sort.len() || wire.id <= 0 {
        return None;
    }
    if sort.is_empty() {
        return match wire.d {
            'a' => Some(Position::After(wire.id)),
            'b' => Some(Position::Before(wire.id)),
            _ => None,
        };
    }
    let mut values = Vec::with_capacity(sort.len());
    for (key, value) in sort.iter().zip(&wire.k) {
        values.push(match key.field {
            SortField::CreatedAt | SortField::UpdatedAt => {
                let micros = value.as_i64()?;
                SortValue::Time(OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).ok()?)
            }
            _ => SortValue::Text(value.as_str()?.to_owned()),
        });
    }
    let keyset = Keyset { values, id: wire.id };
    match wire.d {
        'a' => Some(Position::AfterKey(keyset)),
        'b' => Some(Position::BeforeKey(keyset)),
        _ => None,
    }
}

/// The cursor of the page after `page` (read with `sort`), if items follow; `id` gives an item's integer id.
pub fn next<T>(page: &Page<T>, sort: &[SortKey], id: impl Fn(&T) -> i64) -> Option<String> {
    if !page.more_after {
        return None;
    }
    let position = match (&page.last_key, page.items.last()) {
        (Some(key), _) => Position::AfterKey(key.clone()),
        (None, Some(last)) => Position::After(id(last)),
        (None, None) => return None,
    };
    encode(&position, sort)
}

/// The cursor of the page before `page`, if items precede it.
pub fn previous<T>(page: &Page<T>, sort: &[SortKey], id: impl Fn(&T) -> i64) -> Option<String> {
    if !page.more_before {
        return None;
    }
    let position = match (&page.first_key, page.items.first()) {
        (Some(key), _) => Position::BeforeKey(key.clone()),
        (None, Some(first)) => Position::Before(id(first)),
        (None, None) => return None,
    };
    encode(&position, sort)
}
