//! Gigs cursor pagination (001.5), as a codec: `after`/`before` name an item's id, `limit` is 0 to 200
//! (default 10), the two cursors exclude each other; the list envelope names the ids to continue from.
//! Core resolves the ids (an unknown one is an error).

use serde::{Deserialize, Serialize};
use userbase_core::page::{Page, PageParams, PageStart};

use super::error::GigsError;

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    after: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

impl PageQuery {
    /// The page this query asks for.
    pub fn params(self) -> Result<PageParams, GigsError> {
        let limit = match &self.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text.parse::<u32>().ok().filter(|l| *l <= MAX_LIMIT).ok_or_else(|| {
                GigsError::invalid_property(
                    "limit",
                    "propertyInvalid",
                    format!("limit must be an integer from 0 to {MAX_LIMIT}."),
                )
            })?,
        };
        let start = match (self.after, self.before) {
            (Some(_), Some(_)) => {
                return Err(GigsError::invalid_property(
                    "after",
                    "propertyInvalid",
                    "after and before cannot be combined.",
                ))
            }
            (Some(id), None) => PageStart::AfterId { param: "after", id },
            (None, Some(id)) => PageStart::BeforeId { param: "before", id },
            (None, None) => PageStart::First,
        };
        Ok(PageParams::first(limit).starting(start))
    }
}

/// `{"object":"list","items":[...],"moreItemsAfter":...,"moreItemsBefore":...}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GigsList<T> {
    object: &'static str,
    items: Vec<T>,
    more_items_after: Option<String>,
    more_items_before: Option<String>,
}

impl<T> GigsList<T> {
    /// The envelope of a page: `render` turns an item into its Gigs object, `id` gives its id.
    pub fn of<'a, I>(page: &'a Page<I>, id: impl Fn(&I) -> &str, render: impl FnMut(&'a I) -> T) -> Self {
        Self {
            object: "list",
            more_items_after: page.items.last().filter(|_| page.more_after).map(|i| id(i).to_owned()),
            more_items_before: page.items.first().filter(|_| page.more_before).map(|i| id(i).to_owned()),
            items: page.items.iter().map(render).collect(),
        }
    }
}
