//! Where a client asked a list to start, in its dialect's terms (an item's public id, an opaque cursor, an
//! offset), and how core turns that into a `Position`. The services resolve ids against the store, so that
//! no dialect looks up integer ids itself.

use super::{cursor, PageRequest, Position, SortKey};
use crate::error::{DomainError, FieldError};

/// The start of a list as a client named it. `param` is the client's name for the parameter, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart {
    /// The start of the order.
    First,
    /// Just after the item with this public id (newest-first order only).
    AfterId { param: &'static str, id: String },
    /// Just before the item with this public id (newest-first order only).
    BeforeId { param: &'static str, id: String },
    /// An opaque cursor of an earlier answer (`cursor::next`, `cursor::previous`), bound to its sort.
    Cursor { param: &'static str, cursor: String },
    /// Skip this many items (page numbers).
    Offset(u64),
}

impl PageStart {
    /// Whether the page is read backwards from its start (the page before an item or a cursor), so that
    /// "more" means the items before it.
    pub fn reads_backwards(&self, sort: &[SortKey]) -> bool {
        match self {
            PageStart::BeforeId { .. } => true,
            PageStart::Cursor { cursor, .. } => cursor::decode(cursor, sort).is_some_and(|p| p.is_backwards()),
            _ => false,
        }
    }
}

/// A page as a client asked for it: where it starts, its size, its order and whether to count the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParams {
    pub start: PageStart,
    pub limit: u32,
    pub sort: Vec<SortKey>,
    pub total: bool,
}

impl PageParams {
    /// The first `limit` items, newest first.
    pub fn first(limit: u32) -> Self {
        Self { start: PageStart::First, limit, sort: Vec::new(), total: false }
    }

    pub fn starting(mut self, start: PageStart) -> Self {
        self.start = start;
        self
    }

    pub fn sorted(mut self, sort: Vec<SortKey>) -> Self {
        self.sort = sort;
        self
    }

    pub fn with_total(mut self, total: bool) -> Self {
        self.total = total;
        self
    }

    /// The page request, with public ids turned into integer ids by `find` (`None`: no such item of the
    /// project; `item` says what it is, for the error).
    pub(crate) async fn resolve<F, Fut>(self, item: Item, find: F) -> Result<PageRequest, DomainError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<Option<i64>, DomainError>>,
    {
        let position = match self.start {
            PageStart::First => Position::First,
            PageStart::Offset(n) => Position::Offset(n),
            PageStart::Cursor { param, cursor } => cursor::decode(&cursor, &self.sort).ok_or_else(|| {
                invalid(param, "invalid_cursor", "Not a cursor this server issued for this list and sort.")
            })?,
            PageStart::AfterId { param, .. } | PageStart::BeforeId { param, .. } if !self.sort.is_empty() => {
                return Err(invalid(
                    param,
                    "cursor_with_sort",
                    "With a sort, page with the cursors of the answer instead of item ids.",
                ));
            }
            PageStart::AfterId { param, id } => Position::After(known(param, item, find(id).await?)?),
            PageStart::BeforeId { param, id } => Position::Before(known(param, item, find(id).await?)?),
        };
        Ok(PageRequest { position, limit: self.limit, sort: self.sort })
    }
}

fn invalid(param: &str, code: &'static str, message: &str) -> DomainError {
    DomainError::InvalidParameter(FieldError::new(param, code, message))
}

/// What a list holds, for the error about an id that names none of them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item {
    User,
    Address,
}

fn known(param: &str, item: Item, id: Option<i64>) -> Result<i64, DomainError> {
    let (code, message) = match item {
        Item::User => ("unknown_user", format!("{param} does not name a user of this project.")),
        Item::Address => ("unknown_address", format!("{param} does not name an address of this user.")),
    };
    id.ok_or_else(|| DomainError::InvalidParameter(FieldError::new(param, code, message)))
}
