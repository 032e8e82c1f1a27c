//! The user list query, built once for both stores: the conditions (project, filter, position), the sort keys
//! and their keyset comparison, and the order.

use userbase_core::filter::{Filter, Op, Scalar, TimeField};
use userbase_core::page::{Keyset, Position, SortField, SortKey, SortValue};
use userbase_core::page::{PageRequest, Total};
use userbase_core::store::{UpsertKey, UserFilter};

use crate::sql::filter::{email_column, Compiler, Flavor, EMAIL_KEY};
use crate::sql::paging::push_offset;
use crate::sql::sink::SqlSink;
use crate::sql::substring::{self, Substrings};
use crate::sql::time::DbTime;
use crate::sql::users::USER_COLUMNS;

/// A page of users after `SELECT `: the user columns and the sort key values (`push_sort_columns`), the
/// conditions, the order, and one row more than the limit (to learn whether more follow), read as `reading`
/// says.
pub fn push_page<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    page: &'a PageRequest,
    reading: Reading<'a>,
) {
    let Reading { flavor, range, substrings, source } = reading;
    qb.push(USER_COLUMNS);
    push_sort_columns(qb, &page.sort);
    push_source(qb, project, filter, &page.sort, &page.position, source);
    let compiler = Compiler { flavor, project, unindexed_times: range == RangePlan::Wide, substrings };
    push_conditions(qb, project, filter, &page.sort, &page.position, &compiler);
    if source == Source::Window && flavor == Flavor::Sqlite {
        // SQLite reads the window as a co-routine, in the window's order, which is the page's; an ORDER BY here
        // would sort every row of the window (it does not carry the order out of the subquery), not stop at
        // the page's last match.
    } else if range == RangePlan::Narrow && page.sort.is_empty() {
        qb.push(if page.position.is_backwards() { " ORDER BY +id ASC" } else { " ORDER BY +id DESC" });
    } else {
        push_order(qb, &page.sort, page.position.is_backwards());
    }
    qb.push(" LIMIT ").push_bind(i64::from(page.limit) + 1);
    push_offset(qb, &page.position);
}

/// How a store reads a page: the choices it made before building the query.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    flavor: Flavor,
    /// How SQLite reads a filter's time range (`RangePlan`); `Plain` on PostgreSQL.
    range: RangePlan,
    /// The substring comparisons SQLite's trigram tables serve. One that must hold for every match leads by
    /// itself: SQLite reads the candidates of `users.id IN (...)` in id order, so the order needs no sort and
    /// the page stops at its last row (an `ORDER BY +id` would read and sort every candidate).
    substrings: &'a Substrings,
    /// The table or a window of it.
    source: Source,
}

impl<'a> Reading<'a> {
    pub fn sqlite(range: RangePlan, substrings: &'a Substrings) -> Self {
        Self { flavor: Flavor::Sqlite, range, substrings, source: Source::Table }
    }

    pub fn postgres(source: Source) -> Self {
        Self { flavor: Flavor::Postgres, range: RangePlan::Plain, substrings: &substring::NONE, source }
    }

    /// This reading, from `source`.
    pub fn with_source(self, source: Source) -> Self {
        Self { source, ..self }
    }
}

/// The rows a page reads from: the table, or (a text pattern in the filter that no index serves for sure) a
/// window of it. SQLite's use of it: `sql/substring.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Table,
    /// The first `PATTERN_WINDOW` users of the project from the page's position in the page's order, walked
    /// by the order's index; the filter is checked on them only. PostgreSQL's planner chooses between that walk
    /// (stopping at the page's last match) and the trigram index (reading every match, then sorting) from
    /// sampled statistics: a pattern that one sampled name happened to contain made it walk a project of
    /// 2,000,000 users for 21 of 1,112 matches (500 ms), one sampled too rarely made it read and sort 10,000
    /// matches (45 ms warm, 200 ms from disk). A window costs at most its size; when it holds fewer matches
    /// than the page, the store reads the trigram index instead (`pg/users.rs`), by then knowing matches are
    /// rare.
    Window,
}

/// Users a window (`Source::Window`) walks: 5 to 15 ms on PostgreSQL. A page of 20 that does not fill in it
/// has fewer than one match in 476 users, which the trigram index reads in milliseconds.
pub const PATTERN_WINDOW: u64 = 10_000;

/// PostgreSQL, for a page whose text pattern matched fewer users in a window than the page holds: neither walk
/// an index in list order (the planner's choice when its sample overrates the pattern) nor scan the table, so
/// that the planner reads the pattern's matches from the trigram index (bitmap scans stay allowed) and sorts
/// them. Run in the read's transaction.
pub const INDEXED_PATTERN_READ: [&str; 2] = ["SET LOCAL enable_indexscan = off", "SET LOCAL enable_seqscan = off"];

/// ` FROM users`, or ` FROM (<the window>) AS users`, under which the conditions and the order apply as to the
/// table.
fn push_source<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    sort: &[SortKey],
    position: &'a Position,
    source: Source,
) {
    match source {
        Source::Table => {
            qb.push(" FROM users");
        }
        Source::Window => {
            qb.push(" FROM (SELECT * FROM users");
            push_scope(qb, project, filter);
            push_position(qb, sort, position);
            push_order(qb, sort, position.is_backwards());
            qb.push(" LIMIT ").push_bind(PATTERN_WINDOW as i64).push(") AS users");
        }
    }
}

/// Whether PostgreSQL keeps a list or count statement prepared. Not with a filter expression: a prepared
/// statement may be planned once for every value ("generic plan"), which cannot know how selective a filter's
/// values are (a substring pattern, a time range), nor how large the project is (0006 makes every project look
/// small), and so walks the project where an index would find the few matches; each shape of filter would
/// also take a place in the connection's statement cache. Planning such a statement for its values costs a
/// fraction of a millisecond.
pub fn keeps_prepared(filter: &UserFilter) -> bool {
    filter.expr().is_none()
}

/// How a page with a time range in its filter reads it on SQLite, whose statistics cannot tell a narrow range
/// from a wide one (PostgreSQL's histograms can): the store first counts up to `NARROW_RANGE` users in the range
/// from the time index (`push_range_probe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangePlan {
    /// As the planner sees fit (no time range, a sort key, or PostgreSQL).
    Plain,
    /// Fewer than `NARROW_RANGE` users: the default order is written `+id`, which no index serves, so SQLite
    /// reads the range from its time index and sorts it, instead of walking the project in id order until
    /// enough users matched.
    Narrow,
    /// More: the times are written `+created_at`, which no index serves, so SQLite walks the project in id
    /// order, where the range's users come at a steady rate, instead of reading and sorting the whole range.
    Wide,
}

/// Fewer users than this in a filter's time range make it narrow (`push_page`).
pub const NARROW_RANGE: u64 = 1_000;

/// The conditions at the top of a filter (itself, or the parts of a top-level `and`) that bound one of the
/// indexed times (`created_at`, else `updated_at`).
fn time_bounds(filter: &Filter) -> Vec<&Filter> {
    let parts = match filter {
        Filter::And(parts) => parts.iter().collect(),
        other => vec![other],
    };
    let bounds = |field: TimeField| -> Vec<&Filter> {
        parts
            .iter()
            .copied()
            .filter(|p| {
                matches!(p, Filter::Compare { attr: Scalar::Time(f), op: Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le, .. }
                    if *f == field)
            })
            .collect()
    };
    let created = bounds(TimeField::CreatedAt);
    if created.is_empty() {
        bounds(TimeField::UpdatedAt)
    } else {
        created
    }
}

/// `SELECT COUNT(*)` of up to `NARROW_RANGE` of the project's users in the filter's time range, read from the
/// time index alone; false (nothing written) when the filter bounds no indexed time.
pub fn push_range_probe<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    flavor: Flavor,
) -> bool {
    let bounds = filter.expr().map(time_bounds).unwrap_or_default();
    if bounds.is_empty() {
        return false;
    }
    qb.push("SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE project_id = ").push_bind(project);
    for bound in bounds {
        qb.push(" AND ");
        Compiler { flavor, project, unindexed_times: false, substrings: &substring::NONE }.push(qb, bound);
    }
    qb.push(" LIMIT ").push_bind(NARROW_RANGE as i64).push(")");
    true
}

/// Whether a count of users is read from the maintained counts (migration 0011): nothing but the project and
/// whether deleted users count.
pub fn counted_by_project(filter: &UserFilter) -> bool {
    filter.expr().is_none() && filter.email_normalized().is_none()
}

/// The number of users matching `filter` (one `BIGINT`): from the project's maintained counts when nothing is
/// filtered, else a count of the matching rows.
pub fn push_count<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    flavor: Flavor,
    substrings: &'a Substrings,
) {
    if counted_by_project(filter) {
        let column = if filter.include_deleted() { "total" } else { "live" };
        qb.push(format!("SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) FROM user_counts WHERE project_id = "));
        qb.push_bind(project);
    } else {
        qb.push("SELECT COUNT(*) FROM users");
        push_user_conditions(qb, project, filter, &[], &Position::First, flavor, substrings);
    }
}

/// How many of a project's newest users an estimated count looks at.
pub const ESTIMATE_SAMPLE: u64 = 10_000;

/// How many of the project's newest `ESTIMATE_SAMPLE` users (live ones unless `filter` includes deleted users)
/// match `filter` (one `BIGINT`): a walk of the project's index, bounded whatever the filter.
pub fn push_sample_count<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    flavor: Flavor,
    substrings: &'a Substrings,
) {
    qb.push("SELECT COUNT(*) FROM (SELECT * FROM users WHERE project_id = ").push_bind(project);
    if !filter.include_deleted() {
        qb.push(" AND deleted_at IS NULL");
    }
    qb.push(" ORDER BY id DESC LIMIT ").push_bind(ESTIMATE_SAMPLE as i64).push(") AS users");
    push_user_conditions(qb, project, filter, &[], &Position::First, flavor, substrings);
}

/// The estimated total from a sample count (`push_sample_count`) and the project's count: exact when the
/// sample held every user, else the sample's share scaled to the project.
pub fn estimate(matches: u64, project_count: u64) -> Total {
    if project_count <= ESTIMATE_SAMPLE {
        return Total::exact(matches);
    }
    let scaled = (u128::from(matches) * u128::from(project_count) + u128::from(ESTIMATE_SAMPLE / 2))
        / u128::from(ESTIMATE_SAMPLE);
    Total::estimate(u64::try_from(scaled).unwrap_or(u64::MAX))
}

/// Offsets up to this stay cheap reads: the index walks at most this many rows of the project.
const CHEAP_OFFSET: u64 = 1_000;

/// Whether a page may have to look at many users of the project (a filter expression, a deep offset), and so
/// waits for a turn for expensive reads (`gate.rs`). Counts always do.
pub fn may_scan(filter: &UserFilter, position: &Position) -> bool {
    filter.expr().is_some() || matches!(position, Position::Offset(n) if *n > CHEAP_OFFSET)
}

/// The live users whose upsert key is one of `values`, after `SELECT `, in id order.
pub fn push_users_by_key<'a, S: SqlSink<'a>>(qb: &mut S, project: &'a str, key: &'a UpsertKey, values: &'a [String]) {
    qb.push(USER_COLUMNS).push(" FROM users WHERE deleted_at IS NULL AND project_id = ").push_bind(project);
    match key {
        UpsertKey::Id => {
            qb.push(" AND public_id IN ");
        }
        UpsertKey::Email => {
            // Normalised emails are never empty: the sort index's expression is the column (see `EMAIL_KEY`).
            qb.push(" AND ").push(EMAIL_KEY).push(" IN ");
        }
        UpsertKey::ExternalRef(source) => {
            qb.push(" AND id IN (SELECT user_id FROM user_external_refs WHERE live AND project_id = ");
            qb.push_bind(project).push(" AND source = ").push_bind(source.as_str());
            qb.push(" AND source_id IN ");
        }
        UpsertKey::AnyExternalRef => {
            // Served by the (project_id, source_id) index of the refs.
            qb.push(" AND id IN (SELECT user_id FROM user_external_refs WHERE live AND project_id = ");
            qb.push_bind(project).push(" AND source_id IN ");
        }
        UpsertKey::NumericId => {
            // Integers bind as integers on both backends; anything else names no user.
            let ids: Vec<i64> = values.iter().filter_map(|v| v.parse().ok()).collect();
            qb.push(" AND id IN (");
            if ids.is_empty() {
                qb.push("NULL");
            }
            for (i, id) in ids.into_iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.push_bind(id);
            }
            qb.push(") ORDER BY id");
            return;
        }
    }
    qb.push_list(values.iter().map(String::as_str));
    if matches!(key, UpsertKey::ExternalRef(_) | UpsertKey::AnyExternalRef) {
        qb.push(")");
    }
    qb.push(" ORDER BY id");
}

/// `SELECT id` of a user matching `filter` past the position (whether any does: `LIMIT 1`), read as `reading`
/// says (its time range plan aside).
pub fn push_any<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    sort: &[SortKey],
    position: &'a Position,
    reading: Reading<'a>,
) {
    qb.push("SELECT id");
    push_source(qb, project, filter, sort, position, reading.source);
    push_user_conditions(qb, project, filter, sort, position, reading.flavor, reading.substrings);
    qb.push(" LIMIT 1");
}

/// Appends `WHERE ...` for the project, the filter and the position in the order given by `sort`.
pub fn push_user_conditions<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    sort: &[SortKey],
    position: &'a Position,
    flavor: Flavor,
    substrings: &'a Substrings,
) {
    let compiler = Compiler { flavor, project, unindexed_times: false, substrings };
    push_conditions(qb, project, filter, sort, position, &compiler);
}

fn push_conditions<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    filter: &'a UserFilter,
    sort: &[SortKey],
    position: &'a Position,
    compiler: &Compiler<'a>,
) {
    push_scope(qb, project, filter);
    if let Some(expr) = filter.expr() {
        qb.push(" AND ");
        compiler.push(qb, expr);
    }
    push_position(qb, sort, position);
}

/// ` WHERE` the project, whether deleted users count, and the `?email=` lookup: all but the filter expression.
fn push_scope<'a, S: SqlSink<'a>>(qb: &mut S, project: &'a str, filter: &'a UserFilter) {
    qb.push(" WHERE project_id = ").push_bind(project);
    if !filter.include_deleted() {
        qb.push(" AND deleted_at IS NULL");
    }
    if let Some(email) = filter.email_normalized() {
        qb.push(" AND ").push(email_column(Op::Eq, email)).push(" = ").push_bind(email);
    }
}

/// ` AND` the rows past the position in the order of `sort` (nothing for the first page or an offset).
fn push_position<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey], position: &'a Position) {
    match position {
        Position::First | Position::Offset(_) => {}
        Position::After(id) => {
            qb.push(" AND id < ").push_bind(*id);
        }
        Position::Before(id) => {
            qb.push(" AND id > ").push_bind(*id);
        }
        Position::AfterKey(key) => push_keyset(qb, sort, key, false),
        Position::BeforeKey(key) => push_keyset(qb, sort, key, true),
    }
}

/// The SQL a sort key orders by. Text is compared lowercased with no value first, so keys are never NULL.
pub fn sort_expr(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::Email => EMAIL_KEY,
        SortField::FirstName => "COALESCE(lower(first_name), '')",
        SortField::LastName => "COALESCE(lower(last_name), '')",
    }
}

/// The direction of the id tiebreak: that of the last sort key (newest first without keys).
fn id_descending(sort: &[SortKey]) -> bool {
    sort.last().is_none_or(|k| k.descending)
}

/// `AND (k0 > v0 OR (k0 = v0 AND k1 > v1) OR ... OR (... AND id > id0))`, with `<` for descending keys and
/// every comparison flipped to read backwards.
fn push_keyset<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey], key: &'a Keyset, backwards: bool) {
    let greater = |descending: bool| if descending != backwards { " < " } else { " > " };
    let push_value = |qb: &mut S, v: &'a SortValue| match v {
        SortValue::Text(t) => {
            qb.push_bind(t.as_str());
        }
        SortValue::Time(t) => {
            qb.push_bind(DbTime(*t));
        }
    };
    qb.push(" AND (");
    for i in 0..=sort.len() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(");
        for (j, k) in sort.iter().enumerate().take(i) {
            if j > 0 {
                qb.push(" AND ");
            }
            qb.push(sort_expr(k.field)).push(" = ");
            if let Some(v) = key.values.get(j) {
                push_value(qb, v);
            }
        }
        if i > 0 {
            qb.push(" AND ");
        }
        match sort.get(i) {
            Some(k) => {
                qb.push(sort_expr(k.field)).push(greater(k.descending));
                if let Some(v) = key.values.get(i) {
                    push_value(qb, v);
                }
            }
            None => {
                qb.push("id").push(greater(id_descending(sort))).push_bind(key.id);
            }
        }
        qb.push(")");
    }
    qb.push(")");
}

/// `ORDER BY` for the sort keys and the id tiebreak, reversed to read backwards.
pub fn push_order<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey], backwards: bool) {
    let dir = |descending: bool| if descending != backwards { " DESC" } else { " ASC" };
    qb.push(" ORDER BY ");
    for k in sort {
        qb.push(sort_expr(k.field)).push(dir(k.descending)).push(", ");
    }
    qb.push("id").push(dir(id_descending(sort)));
}

/// `, <sort expr> AS k0, ...`: the sort key values selected with each row.
pub fn push_sort_columns<'a, S: SqlSink<'a>>(qb: &mut S, sort: &[SortKey]) {
    for (i, k) in sort.iter().enumerate() {
        qb.push(format!(", {} AS k{i}", sort_expr(k.field)));
    }
}
