//! BuiltOn paging, sorting and date windows (000.5), as a codec: `page` (0-based) and `size` (default 10,
//! at most 200, decisions.md) become an offset page with its total; `sort=field` / `sort=-field`; UNIX-second
//! `from_date`/`to_date`. A list answers as a bare JSON array with the total in `X-Pagination-Total`.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::page::{PageParams, PageStart};

use super::error::BuiltonError;

const DEFAULT_SIZE: u32 = 10;
/// The largest page (decisions.md, "Limits").
pub const MAX_SIZE: u32 = 200;

/// The page `page` (0-based) of `size` items, with the total counted.
pub fn page_params(size: Option<&str>, page: Option<&str>) -> Result<PageParams, BuiltonError> {
    let size = match size {
        None => DEFAULT_SIZE,
        Some(text) => text.trim().parse::<u32>().ok().filter(|s| (1..=MAX_SIZE).contains(s)).ok_or_else(|| {
            BuiltonError::validation("size", format!("size must be an integer from 1 to {MAX_SIZE}."))
        })?,
    };
    let page = match page {
        None => 0,
        Some(text) => text
            .trim()
            .parse::<u32>()
            .map_err(|_| BuiltonError::validation("page", "page must be an integer from 0 (the first page)."))?,
    };
    let start = if page == 0 { PageStart::First } else { PageStart::Offset(u64::from(page) * u64::from(size)) };
    Ok(PageParams::first(size).starting(start).with_total(true))
}

/// `sort=name` or `sort=-name`: whether descending, and the name.
pub fn sort_order(spec: &str) -> (bool, &str) {
    match spec.trim().strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, spec.trim()),
    }
}

/// The latest second a timestamp can hold (9999-12-31T23:59:59Z).
const LAST_SECOND: i128 = 253_402_300_799;

/// A UNIX time in seconds (`from_date`, `to_date`). Times beyond what a timestamp holds are taken as the
/// first or last representable second: a huge `from_date` matches nothing rather than failing (B8 shows
/// `200 []` for one).
pub fn unix_seconds(param: &str, text: &str) -> Result<OffsetDateTime, BuiltonError> {
    let invalid = || BuiltonError::validation(param, format!("{param} must be a UNIX time in seconds."));
    let text = text.trim();
    let seconds = if !text.is_empty() && text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: as many as given, clamped (an i128 overflow means "far beyond" too).
        text.parse::<i128>().unwrap_or(if text.starts_with('-') { i128::MIN } else { i128::MAX })
    } else {
        let float = text.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(invalid)?;
        float.floor().clamp(-(LAST_SECOND as f64), LAST_SECOND as f64) as i128
    };
    let seconds = i64::try_from(seconds.clamp(-LAST_SECOND, LAST_SECOND)).map_err(|_| invalid())?;
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| invalid())
}

/// A bare JSON array with `X-Pagination-Total`.
pub fn list_response<T: Serialize>(items: Vec<T>, total: Option<u64>) -> Response {
    let mut response = axum::Json(items).into_response();
    let total = total.unwrap_or(0).to_string();
    if let Ok(value) = HeaderValue::from_str(&total) {
        response.headers_mut().insert("x-pagination-total", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_beyond_the_representable_are_clamped_not_refused() {
        let far = unix_seconds("from_date", "2361183241434822606848").unwrap();
        assert_eq!(far.year(), 9999);
        assert_eq!(unix_seconds("to_date", "1567172963").unwrap().unix_timestamp(), 1567172963);
        assert_eq!(unix_seconds("to_date", "1567172963.9").unwrap().unix_timestamp(), 1567172963);
        assert!(unix_seconds("to_date", "yesterday").is_err());
        assert!(unix_seconds("to_date", "").is_err());
        assert!(unix_seconds("to_date", "-99999999999999999999").unwrap().year() < 0);
    }

    #[test]
    fn pages_are_zero_based_and_sizes_bounded() {
        assert_eq!(page_params(None, None).unwrap().limit, 10);
        assert_eq!(page_params(Some("5"), Some("2")).unwrap().start, PageStart::Offset(10));
        for (size, page) in [(Some("0"), None), (Some("201"), None), (Some("x"), None), (None, Some("-1"))] {
            assert!(page_params(size, page).is_err(), "{size:?} {page:?}");
        }
    }
}
