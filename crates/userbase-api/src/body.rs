//! JSON request bodies, parsed strictly: the declared type must be JSON, the size is bounded, and type
//! errors and unknown fields name the offending field. Each surface renders a `BodyError` its own way.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
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

/// Whether the request declares a JSON body (or declares nothing, as some clients do).
fn declares_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return true };
    let Ok(value) = value.to_str() else { return false };
    let mime = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Refuses a body declared as anything but JSON.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), BodyError> {
    if declares_json(headers) {
        Ok(())
    } else {
        Err(BodyError::UnsupportedMediaType)
    }
}

/// Parses a JSON body into `T`.
pub fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, BodyError> {
    parse_json_slice(&body?)
}

/// Parses one JSON document (a body, or an item of a bulk body) into `T`.
pub fn parse_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
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
