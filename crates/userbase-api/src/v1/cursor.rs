//! Opaque list cursors: a direction and a position in the newest-first order, base64url-encoded so that
//! clients treat them as opaque and the encoding can grow (e.g. sort keys) without breaking them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use userbase_core::page::Position;

pub fn encode(position: Position) -> Option<String> {
    let raw = match position {
        Position::First => return None,
        Position::After(id) => format!("a{id}"),
        Position::Before(id) => format!("b{id}"),
    };
    Some(URL_SAFE_NO_PAD.encode(raw))
}

pub fn decode(cursor: &str) -> Option<Position> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let raw = std::str::from_utf8(&raw).ok()?;
    let (dir, id) = raw.split_at_checked(1)?;
    let id: i64 = id.parse().ok().filter(|id: &i64| *id > 0)?;
    match dir {
        "a" => Some(Position::After(id)),
        "b" => Some(Position::Before(id)),
        _ => None,
    }
}
