//! Where the shared SQL builders (`sql.rs`, `filter_sql.rs`) write: sqlx's `QueryBuilder` on PostgreSQL,
//! `LiteQuery` on SQLite (rusqlite, see `lite/`). Builders push SQL text and bound values; each sink renders
//! the placeholders and keeps the values its driver needs.

use rusqlite::types::{ToSql, ToSqlOutput, Value, ValueRef};
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::Date;

use crate::db_time::DbTime;

/// A value bound to a query, of one of the types the builders use.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Str(&'a str),
    String(String),
    Int(i64),
    Bool(bool),
    Time(DbTime),
    Date(Date),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Str(v)
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::String(v)
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

impl From<DbTime> for Arg<'_> {
    fn from(v: DbTime) -> Self {
        Arg::Time(v)
    }
}

impl From<Date> for Arg<'_> {
    fn from(v: Date) -> Self {
        Arg::Date(v)
    }
}

/// SQL text and bound values, appended in order.
pub trait SqlSink<'a> {
    fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self;
    fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self;
}

impl<'a, DB: Database> SqlSink<'a> for QueryBuilder<'a, DB>
where
    &'a str: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    bool: Encode<'a, DB> + Type<DB>,
    DbTime: Encode<'a, DB> + Type<DB>,
    Date: Encode<'a, DB> + Type<DB>,
{
    fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        QueryBuilder::push(self, sql)
    }

    fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        match value.into() {
            Arg::Str(v) => QueryBuilder::push_bind(self, v),
            Arg::String(v) => QueryBuilder::push_bind(self, v),
            Arg::Int(v) => QueryBuilder::push_bind(self, v),
            Arg::Bool(v) => QueryBuilder::push_bind(self, v),
            Arg::Time(v) => QueryBuilder::push_bind(self, v),
            Arg::Date(v) => QueryBuilder::push_bind(self, v),
        }
    }
}

/// A query for rusqlite: SQL with `?` placeholders and the values in order.
#[derive(Debug, Default)]
pub struct LiteQuery<'a> {
    pub sql: String,
    pub args: Vec<Arg<'a>>,
}

impl<'a> LiteQuery<'a> {
    pub fn new(sql: &str) -> Self {
        Self { sql: sql.to_owned(), args: Vec::new() }
    }

    /// `(?, ?, ...)` with each value bound.
    pub fn push_list<T: Into<Arg<'a>>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        self.sql.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(v);
        }
        self.sql.push(')');
        self
    }
}

impl<'a> SqlSink<'a> for LiteQuery<'a> {
    fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.sql.push('?');
        self.args.push(value.into());
        self
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Str(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::String(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::Bool(v) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Arg::Time(v) => return v.to_sql(),
            Arg::Date(v) => return v.to_sql(),
        })
    }
}
