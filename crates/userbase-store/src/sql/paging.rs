//! Turning the rows of a list query (users, addresses) into a `Page`, the same on both backends. A page query
//! reads one row more than the limit (to know whether more follow in its direction); whether anything lies on
//! the other side of a keyset page is a second, `LIMIT 1` query, at the position `Assembled::opposite` names.
//! An offset page needs none: rows lie before it when the offset is past the first.

use userbase_core::address::Address;
use userbase_core::page::{Keyset, Page, PageRequest, Position};
use userbase_core::user::User;

use crate::sql::sink::SqlSink;

/// An item of a keyset list: its integer id is its place in the default order.
pub trait Listed {
    fn numeric_id(&self) -> i64;
}

impl Listed for User {
    fn numeric_id(&self) -> i64 {
        self.numeric_id
    }
}

impl Listed for Address {
    fn numeric_id(&self) -> i64 {
        self.numeric_id
    }
}

/// A page built from its rows, still waiting for the answer about the opposite side.
pub struct Assembled<T> {
    pub page: Page<T>,
    /// Where to look for items on the other side of the page (`None`: the page starts at the beginning).
    pub opposite: Option<Position>,
    backwards: bool,
    /// The page starts at an offset past the first row: items lie before it, no query needed.
    skipped: bool,
}

impl<T: Listed> Assembled<T> {
    /// `rows`: up to `limit` items in query order, each with its sort key when the request has sort keys;
    /// `more_in_direction`: the query found a row past them.
    pub fn new(request: &PageRequest, rows: Vec<(T, Option<Keyset>)>, more_in_direction: bool) -> Self {
        let mut items = Vec::with_capacity(rows.len());
        let mut keys = Vec::new();
        for (user, key) in rows {
            keys.extend(key);
            items.push(user);
        }
        let backwards = request.position.is_backwards();
        if backwards {
            items.reverse();
            keys.reverse();
        }
        let (first_key, last_key) = (keys.first().cloned(), keys.last().cloned());
        let opposite = match (&request.position, items.first(), items.last()) {
            (Position::First | Position::Offset(_), _, _) => None,
            (Position::After(_) | Position::AfterKey(_), Some(first), _) => Some(match &first_key {
                Some(k) => Position::BeforeKey(k.clone()),
                None => Position::Before(first.numeric_id()),
            }),
            (Position::Before(_) | Position::BeforeKey(_), _, Some(last)) => Some(match &last_key {
                Some(k) => Position::AfterKey(k.clone()),
                None => Position::After(last.numeric_id()),
            }),
            // An empty page after (before) a place: anything at or before (after) it counts.
            (Position::After(id), None, _) => Some(Position::Before(id - 1)),
            (Position::Before(id), _, None) => Some(Position::After(id + 1)),
            (Position::AfterKey(k), None, _) => Some(Position::BeforeKey(k.clone())),
            (Position::BeforeKey(k), _, None) => Some(Position::AfterKey(k.clone())),
        };
        let (more_after, more_before) = if backwards { (false, more_in_direction) } else { (more_in_direction, false) };
        let skipped = matches!(request.position, Position::Offset(n) if n > 0);
        let page = Page { items, more_after, more_before, first_key, last_key, total: None, total_is_estimate: false };
        Self { page, opposite, backwards, skipped }
    }

    /// The page, given whether anything lies at `opposite`.
    pub fn finish(mut self, more_opposite: bool) -> Page<T> {
        if self.backwards {
            self.page.more_after = more_opposite;
        } else {
            self.page.more_before = more_opposite || self.skipped;
        }
        self.page
    }

    /// An empty page (a limit of zero).
    pub fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            more_after: false,
            more_before: false,
            first_key: None,
            last_key: None,
            total: None,
            total_is_estimate: false,
        }
    }
}

/// ` OFFSET n` for a page that starts at an offset.
pub fn push_offset<'a, S: SqlSink<'a>>(qb: &mut S, position: &Position) {
    if let Position::Offset(n) = position {
        qb.push(" OFFSET ").push_bind(i64::try_from(*n).unwrap_or(i64::MAX));
    }
}
