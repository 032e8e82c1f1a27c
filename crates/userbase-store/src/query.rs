//! The SQL the stores run to list and count users, built by the very functions the stores call
//! (`sql/user_list.rs`, `sql/filter.rs`), for whoever wants to look at its plan: the plan tests of the
//! conformance suite, or an operator with `EXPLAIN`. Never retype this SQL elsewhere.

use time::{Date, OffsetDateTime};
use userbase_core::page::PageRequest;
use userbase_core::store::{StoreError, UpsertKey, UserFilter};

pub use crate::sql::filter::Flavor;
use crate::sql::sink::{Arg, JsonArg, LiteQuery, SqlSink};
use crate::sql::substring;
/// Trigrams held by this many users or more do not lead a substring search on SQLite (`sql/substring.rs`).
pub use crate::sql::substring::SELECTIVE as SELECTIVE_TRIGRAM;
use crate::sql::time::DbTime;
use crate::sql::user_list;

/// A statement as a store runs it: its text (with `$N` placeholders on PostgreSQL, `?` on SQLite) and the
/// values bound to it, in order.
#[derive(Debug, Clone)]
pub struct BuiltQuery {
    pub sql: String,
    pub params: Vec<Param>,
    /// PostgreSQL keeps the statement prepared, so it may run on a plan made once for every value (a
    /// "generic plan"); otherwise it is planned for its values each time (`user_list::keeps_prepared`).
    pub prepared: bool,
    /// Statements the store runs before this one, in its transaction (`SET LOCAL ...`).
    pub settings: &'static [&'static str],
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
    Time(OffsetDateTime),
    Date(Date),
    Json(String),
    Bytes(Vec<u8>),
}

impl Param {
    /// The value as a PostgreSQL literal, for `EXECUTE name(...)` of a statement prepared from `sql`.
    pub fn pg_literal(&self) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        match self {
            Param::Null => "NULL".into(),
            Param::Text(s) => quote(s),
            Param::Int(n) => n.to_string(),
            Param::Real(x) => x.to_string(),
            Param::Bool(b) => b.to_string(),
            Param::Time(t) => {
                let text = t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                format!("{}::timestamptz", quote(&text))
            }
            Param::Date(d) => format!("{}::date", quote(&d.to_string())),
            Param::Json(j) => format!("{}::jsonb", quote(j)),
            Param::Bytes(b) => format!("'\\x{}'::bytea", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        }
    }
}

/// Bound as the SQLite store binds it.
impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        let arg = match self {
            Param::Null => return Ok(rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Null)),
            Param::Text(s) => Arg::Str(s),
            Param::Int(n) => Arg::Int(*n),
            Param::Real(x) => Arg::Float(*x),
            Param::Bool(b) => Arg::Bool(*b),
            Param::Time(t) => Arg::Time(DbTime(*t)),
            Param::Date(d) => Arg::Date(*d),
            Param::Json(j) => Arg::Str(j),
            Param::Bytes(b) => Arg::Bytes(b),
        };
        Ok(rusqlite::types::ToSqlOutput::Owned(match arg.to_sql()? {
            rusqlite::types::ToSqlOutput::Borrowed(v) => v.into(),
            rusqlite::types::ToSqlOutput::Owned(v) => v,
            _ => return Err(rusqlite::Error::InvalidQuery),
        }))
    }
}

fn param(arg: &Arg<'_>) -> Param {
    match arg {
        Arg::Null(_) => Param::Null,
        Arg::Str(s) => Param::Text((*s).to_owned()),
        Arg::String(s) => Param::Text(s.clone()),
        Arg::Bytes(b) => Param::Bytes(b.to_vec()),
        Arg::Int(n) => Param::Int(*n),
        Arg::Int4(n) => Param::Int(i64::from(*n)),
        Arg::Float(x) => Param::Real(*x),
        Arg::Bool(b) => Param::Bool(*b),
        Arg::Time(t) => Param::Time(t.0),
        Arg::Date(d) => Param::Date(*d),
        Arg::Json(JsonArg(v)) => {
            let mut out = Vec::new();
            let _ = v.write_json(&mut out);
            Param::Json(String::from_utf8_lossy(&out).into_owned())
        }
    }
}

/// The statement `$body` writes into `$qb`, written into both builders: the flavor's own for the exact text,
/// a `LiteQuery` for the values (both receive them in the same order).
macro_rules! built {
    ($flavor:expr, $prepared:expr, |$qb:ident| $body:expr) => {{
        let mut lite = LiteQuery::new("");
        {
            let $qb = &mut lite;
            $body;
        }
        let mut pg = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        {
            let $qb = &mut pg;
            $body;
        }
        let sql = match $flavor {
            Flavor::Sqlite => lite.sql.clone(),
            Flavor::Postgres => pg.sql().to_owned(),
        };
        BuiltQuery { sql, params: lite.args.iter().map(param).collect(), prepared: $prepared, settings: &[] }
    }};
}

/// The page query `list_users` runs on PostgreSQL for these arguments; for a filter with a text pattern on a
/// name or the email, the one it runs when a window of the project did not fill the page
/// (`postgres_list_users_window`), with the settings that make it read the trigram index.
pub fn postgres_list_users(project: &str, filter: &UserFilter, page: &PageRequest) -> BuiltQuery {
    let mut built = postgres_page(project, filter, page, user_list::Source::Table);
    if substring::window_first(filter.expr(), Flavor::Postgres) {
        built.settings = &user_list::INDEXED_PATTERN_READ;
    }
    built
}

/// The page query `list_users` runs first on PostgreSQL for a filter with a text pattern on a name or the
/// email: the filter checked on a window of the project (`user_list::Source::Window`).
pub fn postgres_list_users_window(project: &str, filter: &UserFilter, page: &PageRequest) -> BuiltQuery {
    postgres_page(project, filter, page, user_list::Source::Window)
}

/// Users a window of a PostgreSQL page with a text pattern walks.
pub const PATTERN_WINDOW: u64 = user_list::PATTERN_WINDOW;

fn postgres_page(project: &str, filter: &UserFilter, page: &PageRequest, source: user_list::Source) -> BuiltQuery {
    built!(Flavor::Postgres, user_list::keeps_prepared(filter), |qb| {
        qb.push("SELECT ");
        user_list::push_page(qb, project, filter, page, user_list::Reading::postgres(source))
    })
}

/// The page query `list_users` runs on SQLite for these arguments, on this database: the SQLite store first
/// probes the size of a filter's time range (`sql/user_list.rs`, `push_page`).
pub fn sqlite_list_users(
    conn: &rusqlite::Connection,
    project: &str,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<BuiltQuery, StoreError> {
    sqlite_page(conn, project, filter, page, false, user_list::Source::Table)
}

/// The page query `list_users` runs first on SQLite for a filter whose substring comparisons have only common
/// trigrams, or that has a prefix: the filter checked on a window of the project (`user_list::Source::Window`).
pub fn sqlite_list_users_window(
    conn: &rusqlite::Connection,
    project: &str,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<BuiltQuery, StoreError> {
    sqlite_page(conn, project, filter, page, false, user_list::Source::Window)
}

/// The page query `list_users` runs on SQLite when a window of the project did not fill the page of a filter
/// whose substring comparisons have only common trigrams, or that has a prefix (`sql/substring.rs`): those are
/// then read through the trigram tables and the sort indexes too.
pub fn sqlite_list_users_through_indexes(
    conn: &rusqlite::Connection,
    project: &str,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<BuiltQuery, StoreError> {
    sqlite_page(conn, project, filter, page, true, user_list::Source::Table)
}

/// A SQLite page query: its substring comparisons probed on this database (`common`: those of common trigrams
/// and prefixes read through their indexes too), read from `source`.
fn sqlite_page(
    conn: &rusqlite::Connection,
    project: &str,
    filter: &UserFilter,
    page: &PageRequest,
    common: bool,
    source: user_list::Source,
) -> Result<BuiltQuery, StoreError> {
    let probed = crate::lite::users::substrings(conn, filter)?;
    let substrings = if common { probed.with_common() } else { probed };
    let query = crate::lite::users::page_query(conn, project, filter, page, &substrings, source)?;
    Ok(lite_built(&query))
}

/// A statement the SQLite store built, as it runs it.
fn lite_built(query: &LiteQuery<'_>) -> BuiltQuery {
    BuiltQuery {
        sql: query.sql.clone(),
        params: query.args.iter().map(param).collect(),
        prepared: false,
        settings: &[],
    }
}

/// The exact count `count_users` runs on SQLite, on this database: its substring comparisons are probed first
/// (`sql/substring.rs`).
pub fn sqlite_count_users(
    conn: &rusqlite::Connection,
    project: &str,
    filter: &UserFilter,
) -> Result<BuiltQuery, StoreError> {
    let substrings = crate::lite::users::substrings(conn, filter)?;
    Ok(lite_built(&crate::lite::users::count_query(project, filter, &substrings)))
}

/// The exact count `count_users` (and `total_users`, within its budget) runs; on SQLite without substring
/// comparisons served by its trigram tables (`sqlite_count_users` probes them).
pub fn count_users(flavor: Flavor, project: &str, filter: &UserFilter) -> BuiltQuery {
    built!(flavor, user_list::keeps_prepared(filter), |qb| user_list::push_count(
        qb,
        project,
        filter,
        flavor,
        &substring::NONE
    ))
}

/// The sample count `total_users` estimates from when the exact count ran out of its budget.
pub fn sample_count(flavor: Flavor, project: &str, filter: &UserFilter) -> BuiltQuery {
    built!(flavor, user_list::keeps_prepared(filter), |qb| user_list::push_sample_count(
        qb,
        project,
        filter,
        flavor,
        &substring::NONE
    ))
}

/// The lookup `find_users_by` runs: the live users whose upsert key is one of `values` (bulk upserts, BoltonSea's
/// lookup by email, Propeller's by source id).
pub fn users_by_key(flavor: Flavor, project: &str, key: &UpsertKey, values: &[String]) -> BuiltQuery {
    built!(flavor, false, |qb| {
        qb.push("SELECT ");
        user_list::push_users_by_key(qb, project, key, values)
    })
}
