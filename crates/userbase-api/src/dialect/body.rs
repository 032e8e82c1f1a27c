//! JSON request bodies, parsed strictly: the declared type must be JSON, the size is bounded, the top level
//! is an object, and type errors and unknown fields name the offending field. Each surface renders a
//! `BodyError` its own way.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub enum BodyError {
    /// The body is over the size limit.
    TooLarge,
    /// A `Content-Type` other than JSON was declared.
    UnsupportedMediaType,
    /// Not parseable as JSON at all.
    Malformed(String),
    /// JSON, but its top level is not an object (an array, a string, a number, `null`). serde would
    /// decode a struct from an array by position, so this is checked before decoding.
    NotAnObject,
    /// JSON, but of the wrong shape: wrong type, unknown or missing field.
    Invalid { path: String, message: String },
    /// The body could not be read.
    Unreadable,
}

impl From<BytesRejection> for BodyError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge
        } else {
            BodyError::Unreadable
        }
    }
}

/// The media type a request declares for its body, lowercased and without parameters. A body must say what
/// it is, and be UTF-8 (no `charset`, or `charset=utf-8`: RFC 8259 JSON is UTF-8); anything else is refused
/// rather than misread.
pub fn declared_media_type(headers: &HeaderMap) -> Result<String, BodyError> {
    let value = headers.get(header::CONTENT_TYPE).ok_or(BodyError::UnsupportedMediaType)?;
    let value = value.to_str().map_err(|_| BodyError::UnsupportedMediaType)?;
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for parameter in parts {
        let (name, v) = parameter.split_once('=').unwrap_or((parameter, ""));
        let v = v.trim().trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset") && !v.eq_ignore_ascii_case("utf-8") {
            return Err(BodyError::UnsupportedMediaType);
        }
    }
    Ok(mime)
}

/// Whether the request declares a JSON body in UTF-8.
fn declares_json(headers: &HeaderMap) -> bool {
    declared_media_type(headers)
        .is_ok_and(|mime| mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")))
}

/// A JSON object body decoded into `T` (which should deny unknown fields). Fails with a `BodyError`, which a
/// dialect's own extractor turns into its error shape.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = BodyError;

    async fn from_request(req: Request, state: &S) -> Result<Self, BodyError> {
        check_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await;
        Ok(Json(parse_json(bytes)?))
    }
}

/// A body that is either a JSON object (decoded into `O`) or a JSON array of objects (each decoded into
/// `A`): the one place a top-level array is a legitimate body (BuiltOn's `PUT .../addresses` takes both
/// `{"addresses": [...]}` and `[...]`). Items follow the object rules; a path in an error names the item
/// (`[2].city`).
#[derive(Debug)]
pub enum ObjectOrArray<O, A> {
    Object(O),
    Array(Vec<A>),
}

/// The extractor for [`ObjectOrArray`].
pub struct JsonObjectOrArray<O, A>(pub ObjectOrArray<O, A>);

impl<O: DeserializeOwned, A: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonObjectOrArray<O, A> {
    type Rejection = BodyError;

    async fn from_request(req: Request, state: &S) -> Result<Self, BodyError> {
        check_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await?;
        Ok(JsonObjectOrArray(parse_object_or_array(&bytes)?))
    }
}

/// Parses a JSON object into `O`, or a JSON array of objects into `A`s.
pub fn parse_object_or_array<O: DeserializeOwned, A: DeserializeOwned>(
    bytes: &[u8],
) -> Result<ObjectOrArray<O, A>, BodyError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
        return parse_json_slice(bytes).map(ObjectOrArray::Object);
    }
    if escapes_nul(bytes) {
        return Err(BodyError::Invalid { path: String::new(), message: NUL_MESSAGE.to_owned() });
    }
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if !item.is_object() {
            return Err(BodyError::Invalid { path: format!("[{i}]"), message: "expected a JSON object".to_owned() });
        }
        let decoded = serde_path_to_error::deserialize(item).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." { format!("[{i}]") } else { format!("[{i}].{path}") };
            BodyError::Invalid { path: at, message: strip_position(e.inner()) }
        })?;
        out.push(decoded);
    }
    Ok(ObjectOrArray::Array(out))
}

/// Refuses a body declared as anything but JSON.
fn check_content_type(headers: &HeaderMap) -> Result<(), BodyError> {
    if declares_json(headers) {
        Ok(())
    } else {
        Err(BodyError::UnsupportedMediaType)
    }
}

/// Parses a JSON body into `T`.
fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, BodyError> {
    parse_json_slice(&body?)
}

/// What the API answers for text holding the NUL character, which PostgreSQL cannot store in text or JSON.
pub const NUL_MESSAGE: &str = "Text may not contain the NUL character (\\u0000).";

/// Whether a JSON document escapes a NUL character (`\u0000`) in any string. An escaped backslash followed by
/// `u0000` is text, not a NUL: the `u` must follow an odd run of backslashes.
fn escapes_nul(bytes: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"u0000";
    bytes
        .windows(ESCAPE.len())
        .enumerate()
        .any(|(i, window)| window == ESCAPE && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1)
}

/// Whether a JSON document's top level is an object. Anything else is either not JSON (the parser says so)
/// or JSON of the wrong kind.
fn is_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()).is_none_or(|b| *b == b'{')
}

/// Parses one JSON object (a body, or an item of a bulk body) into `T`.
pub fn parse_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    if escapes_nul(bytes) {
        return Err(BodyError::Invalid { path: String::new(), message: NUL_MESSAGE.to_owned() });
    }
    if !is_object(bytes) && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(BodyError::NotAnObject);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            BodyError::Malformed(inner.to_string())
        } else {
            BodyError::Invalid { path: if path == "." { String::new() } else { path }, message: strip_position(&inner) }
        }
    })?;
    de.end().map_err(|e| BodyError::Malformed(e.to_string()))?;
    Ok(value)
}

/// serde_json appends " at line 1 column 9"; the field path says more.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::{escapes_nul, is_object, parse_object_or_array, BodyError, ObjectOrArray};

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        #[allow(dead_code)]
        city: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapped {
        items: Vec<Item>,
    }

    #[test]
    fn objects_and_arrays_of_objects_are_both_bodies() {
        let o = parse_object_or_array::<Wrapped, Item>(br#"{"items":[{"city":"Oslo"}]}"#).unwrap();
        assert!(matches!(o, ObjectOrArray::Object(w) if w.items.len() == 1));
        let a = parse_object_or_array::<Wrapped, Item>(br#" [{"city":"Oslo"},{"city":"Bergen"}]"#).unwrap();
        assert!(matches!(a, ObjectOrArray::Array(v) if v.len() == 2));
    }

    #[test]
    fn array_items_must_be_objects_of_the_item_type() {
        let not_object = parse_object_or_array::<Wrapped, Item>(br#"[{"city":"Oslo"}, ["Bergen"]]"#);
        assert!(matches!(not_object, Err(BodyError::Invalid { path, .. }) if path == "[1]"));
        let unknown = parse_object_or_array::<Wrapped, Item>(br#"[{"city":"Oslo","x":1}]"#);
        assert!(matches!(unknown, Err(BodyError::Invalid { ref path, .. }) if path == "[0].x"), "{unknown:?}");
        assert!(matches!(parse_object_or_array::<Wrapped, Item>(b"[1"), Err(BodyError::Malformed(_))));
        assert!(matches!(parse_object_or_array::<Wrapped, Item>(b"\"x\""), Err(BodyError::NotAnObject)));
    }

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(escapes_nul(br#"{"a":"x\u0000"}"#));
        assert!(escapes_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!escapes_nul(br#"{"a":"\\u0000"}"#));
        assert!(!escapes_nul(br#"{"a":"u0000"}"#));
        assert!(!escapes_nul(br#"{"a":"\u00e9"}"#));
    }

    #[test]
    fn only_objects_are_objects() {
        assert!(is_object(b" \n{\"a\":1}"));
        for other in [&b"[]"[..], b"\"a\"", b"1", b"null", b"true", b" [{}]"] {
            assert!(!is_object(other), "{}", String::from_utf8_lossy(other));
        }
    }
}
