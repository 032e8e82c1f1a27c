//! Paging, for every list of users, addresses and records, whatever the dialect. The default order is newest
//! first, by the item's integer id (assigned in creation order by the store); a sorted order ends with that
//! id as tiebreak. A page starts either at a place (keyset: after or before an item, free of gaps and
//! duplicates while items are inserted; Gigs and v1 page this way) or at an offset (BuiltOn, Propeller and
//! BoltonSea page by number), and may ask for the exact total. The store runs each page as one query.
//!
//! Dialects hand core a [`PageStart`] as their client named it (an item's public id, an opaque cursor, an
//! offset); the services resolve it into a [`Position`] (`start.rs`), and [`cursor`] encodes the opaque
//! cursors of an answer.

pub mod cursor;
mod start;

use time::OffsetDateTime;

use crate::error::FieldError;

pub(crate) use start::Item;
pub use start::{PageParams, PageStart};

/// A field users can be sorted by. Text fields sort case-insensitively, with no value first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    Email,
    FirstName,
    LastName,
}

impl SortField {
    pub fn name(self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::Email => "email",
            SortField::FirstName => "first_name",
            SortField::LastName => "last_name",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [SortField::CreatedAt, SortField::UpdatedAt, SortField::Email, SortField::FirstName, SortField::LastName]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// At most this many sort keys; the user's integer id always breaks ties.
pub const MAX_SORT_KEYS: usize = 3;

/// Parses `-created_at,last_name` (a leading `-` sorts descending).
pub fn parse_sort(spec: &str) -> Result<Vec<SortKey>, FieldError> {
    let mut keys: Vec<SortKey> = Vec::new();
    for part in spec.split(',') {
        let (descending, name) = match part.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, part),
        };
        let field = SortField::parse(name).ok_or_else(|| {
            FieldError::new(
                "sort",
                "invalid_sort",
                format!("'{part}' is not a sort field (created_at, updated_at, email, first_name, last_name)"),
            )
        })?;
        if keys.iter().any(|k| k.field == field) {
            return Err(FieldError::new("sort", "invalid_sort", format!("'{name}' is named twice")));
        }
        keys.push(SortKey { field, descending });
    }
    if keys.len() > MAX_SORT_KEYS {
        return Err(FieldError::new("sort", "invalid_sort", format!("at most {MAX_SORT_KEYS} sort fields")));
    }
    Ok(keys)
}

/// A sort key's value for one row, as the store compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Time(OffsetDateTime),
}

/// A row's place in a sorted list: its sort key values and its integer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub values: Vec<SortValue>,
    pub id: i64,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The start of the order.
    First,
    /// Users older than the one with this integer id (default order).
    After(i64),
    /// Users newer than the one with this integer id (default order); the page just before it.
    Before(i64),
    /// Rows after this place in a sorted order.
    AfterKey(Keyset),
    /// Rows before this place in a sorted order; the page just before it, still in sort order.
    BeforeKey(Keyset),
    /// Skip this many rows of the order (page numbers).
    Offset(u64),
}

impl Position {
    /// Whether the page is read backwards from its position.
    pub fn is_backwards(&self) -> bool {
        matches!(self, Position::Before(_) | Position::BeforeKey(_))
    }
}

/// A page request as the store runs it: where it starts, how many items, in which order. With no sort
/// keys the order is newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub position: Position,
    pub limit: u32,
    pub sort: Vec<SortKey>,
}

impl PageRequest {
    /// The first `limit` items, newest first.
    pub fn first(limit: u32) -> Self {
        Self::at(Position::First, limit)
    }

    /// `limit` items from `position`, newest first.
    pub fn at(position: Position, limit: u32) -> Self {
        Self { position, limit, sort: Vec::new() }
    }

    pub fn sorted(mut self, sort: Vec<SortKey>) -> Self {
        self.sort = sort;
        self
    }
}

/// One page of results, with whether more items lie on either side.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items exist beyond the last item of the page.
    pub more_after: bool,
    /// Items exist before the first item of the page.
    pub more_before: bool,
    /// With sort keys: the places of the first and last items, to continue from.
    pub first_key: Option<Keyset>,
    pub last_key: Option<Keyset>,
    /// How many items match in all, when the client asked (`PageParams::total`).
    pub total: Option<u64>,
    /// `total` is an estimate (a filtered count that did not finish within the count budget).
    pub total_is_estimate: bool,
}

/// The total of a list: exact, or an estimate where counting exactly would take too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub value: u64,
    pub is_estimate: bool,
}

impl Total {
    pub fn exact(value: u64) -> Self {
        Self { value, is_estimate: false }
    }

    pub fn estimate(value: u64) -> Self {
        Self { value, is_estimate: true }
    }
}

impl<T> Page<T> {
    /// A page of `items` read from `offset` with one more item looked for (`more_after`).
    pub fn at_offset(items: Vec<T>, offset: u64, more_after: bool) -> Self {
        Page {
            items,
            more_after,
            more_before: offset > 0,
            first_key: None,
            last_key: None,
            total: None,
            total_is_estimate: false,
        }
    }
}
