//! Propeller paging (002.5): `page` (1-based, default 1) and `offset` (the page **size**, default 12, at most
//! 200 per decisions.md) become an offset page with its total; the answer is the paginated envelope
//! (`start`, `end`, `page`, `pages`, `total` = items on this page, `offset`, `itemsFound`). Bad values: 10015.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use userbase_core::page::{PageParams, PageStart, SortField, SortKey};

use super::error::PropellerError;

const DEFAULT_SIZE: u64 = 12;
/// The largest page (decisions.md, "Limits").
pub const MAX_SIZE: u64 = 200;

/// `page` and `offset`, checked.
pub struct PageQuery {
    pub page: u64,
    pub offset: u64,
}

impl PageQuery {
    /// Oldest first (ties by id), so that numbered pages stay put while users are added.
    pub fn params(&self) -> PageParams {
        let skip = (self.page - 1).saturating_mul(self.offset);
        let start = if skip == 0 { PageStart::First } else { PageStart::Offset(skip) };
        PageParams::first(u32::try_from(self.offset).unwrap_or(200))
            .starting(start)
            .sorted(vec![SortKey { field: SortField::CreatedAt, descending: false }])
            .with_total(true)
    }
}

fn parse(param: &str, text: Option<&str>, default: u64, max: u64) -> Result<u64, PropellerError> {
    let Some(text) = text else { return Ok(default) };
    text.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
        PropellerError::pagination(format!("Invalid value [{text}] for [{param}], expected an integer from 1 to {max}"))
    })
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = PropellerError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PropellerError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map_err(|_| PropellerError::pagination("The query string cannot be read"))?;
        let (mut page, mut offset) = (None, None);
        for (name, value) in &pairs {
            match name.as_str() {
                "page" if page.is_none() => page = Some(value.as_str()),
                "offset" if offset.is_none() => offset = Some(value.as_str()),
                "page" | "offset" => return Err(PropellerError::pagination(format!("[{name}] is given twice"))),
                other => {
                    return Err(PropellerError::schema(vec![format!("#: extraneous key [{other}] is not permitted")]))
                }
            }
        }
        // A page past any real count is refused rather than overflowing the offset.
        let page = parse("page", page, 1, 1_000_000_000)?;
        let offset = parse("offset", offset, DEFAULT_SIZE, MAX_SIZE)?;
        Ok(PageQuery { page, offset })
    }
}

/// The paginated envelope of one page of `items`.
pub fn paginated(items: Vec<Value>, page: u64, size: u64, found: u64) -> Response {
    let on_page = items.len() as u64;
    let start = if on_page == 0 { 0 } else { (page - 1) * size + 1 };
    let end = if on_page == 0 { 0 } else { start + on_page - 1 };
    let body = json!({
        "data": items,
        "messages": ["Completed"],
        "start": start,
        "end": end,
        "page": page,
        "pages": found.div_ceil(size),
        "total": on_page,
        "offset": size,
        "itemsFound": found,
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}
