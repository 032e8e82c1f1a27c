//! Keyset pagination in the canonical order: newest first, by the user's integer id (assigned in creation
//! order by the store), so that pages stay free of gaps and duplicates while users are inserted.

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The newest users.
    First,
    /// Users older than the one with this integer id.
    After(i64),
    /// Users newer than the one with this integer id (the page just before it); still returned newest first.
    Before(i64),
}

/// A page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub position: Position,
    pub limit: u32,
}

/// One page of results, newest first, with whether more items lie on either side.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Older items exist beyond the last item of the page.
    pub more_after: bool,
    /// Newer items exist before the first item of the page.
    pub more_before: bool,
}
