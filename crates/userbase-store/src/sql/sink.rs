//! Where the shared SQL builders (`sql/`) write, and the values they bind: sqlx's `QueryBuilder` on PostgreSQL,
//! `LiteQuery` on SQLite (rusqlite, see `lite/`). Builders push SQL text and `Arg`s; each driver binds an `Arg`
//! as the type it has always bound for that column (`Encode` for sqlx below, `ToSql` for rusqlite), so one list
//! of write values (`UserWrite::args`, `AddressWrite::args`) serves both.

use rusqlite::types::{ToSql, ToSqlOutput, Value, ValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
use sqlx::types::Json;
use sqlx::{Encode, Postgres, QueryBuilder, Type};
use time::Date;

use crate::sql::time::DbTime;

/// A value bound to a query, of one of the types the stores write.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    /// NULL of a column type: sqlx declares each parameter's type, so a NULL needs the column's.
    Null(SqlType),
    Str(&'a str),
    String(String),
    Bytes(&'a [u8]),
    Int(i64),
    Int4(i32),
    Float(f64),
    Bool(bool),
    Time(DbTime),
    Date(Date),
    /// Serialized as it is bound: into the parameter buffer (`jsonb`) on PostgreSQL, as text on SQLite.
    Json(JsonArg<'a>),
}

/// The column types an `Arg` binds as (for typed NULLs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Text,
    Bytes,
    Int,
    Int4,
    Float,
    Bool,
    Time,
    Date,
    Json,
}

/// A value bound as JSON.
#[derive(Clone, Copy)]
pub struct JsonArg<'a>(pub &'a (dyn ToJson + Sync));

impl std::fmt::Debug for JsonArg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonArg")
    }
}

/// Writes itself as JSON; any `Serialize` value (object-safe, unlike `Serialize`).
pub trait ToJson {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
}

impl<T: serde::Serialize + ?Sized> ToJson for T {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

impl<'a> Arg<'a> {
    /// A value bound as JSON.
    pub fn json(value: &'a (dyn ToJson + Sync)) -> Self {
        Arg::Json(JsonArg(value))
    }

    /// A value bound as JSON, or a JSON NULL.
    pub fn json_or_null<T: ToJson + Sync>(value: Option<&'a T>) -> Self {
        match value {
            Some(v) => Arg::json(v),
            None => Arg::Null(SqlType::Json),
        }
    }
}

/// The column type a Rust value binds as.
pub trait Typed {
    const TYPE: SqlType;
}

macro_rules! typed {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl Typed for $t {
            const TYPE: SqlType = SqlType::$v;
        })*
    };
}
typed!(&str => Text, &[u8] => Bytes, String => Text, i64 => Int, i32 => Int4, f64 => Float, bool => Bool, DbTime => Time, Date => Date);

macro_rules! from_value {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl<'a> From<$t> for Arg<'a> {
            fn from(v: $t) -> Self {
                Arg::$v(v)
            }
        })*
    };
}
from_value!(&'a str => Str, &'a [u8] => Bytes, String => String, i64 => Int, i32 => Int4, f64 => Float, bool => Bool, DbTime => Time,
    Date => Date);

/// `None` binds as a NULL of the value's column type.
impl<'a, T: Into<Arg<'a>> + Typed> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => v.into(),
            None => Arg::Null(T::TYPE),
        }
    }
}

/// SQL text and bound values, appended in order.
pub trait SqlSink<'a> {
    fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self;
    fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self;

    /// `(v1, v2, ...)` with each value bound.
    fn push_list<T: Into<Arg<'a>>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self.push(")")
    }
}

impl<'a> SqlSink<'a> for QueryBuilder<'a, Postgres> {
    fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        QueryBuilder::push(self, sql)
    }

    fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        QueryBuilder::push_bind(self, value.into())
    }
}

impl SqlType {
    fn pg(self) -> PgTypeInfo {
        match self {
            SqlType::Text => <&str as Type<Postgres>>::type_info(),
            SqlType::Bytes => <&[u8] as Type<Postgres>>::type_info(),
            SqlType::Int => <i64 as Type<Postgres>>::type_info(),
            SqlType::Int4 => <i32 as Type<Postgres>>::type_info(),
            SqlType::Float => <f64 as Type<Postgres>>::type_info(),
            SqlType::Bool => <bool as Type<Postgres>>::type_info(),
            SqlType::Time => <DbTime as Type<Postgres>>::type_info(),
            SqlType::Date => <Date as Type<Postgres>>::type_info(),
            SqlType::Json => <Json<()> as Type<Postgres>>::type_info(),
        }
    }
}

impl Arg<'_> {
    fn sql_type(&self) -> SqlType {
        match self {
            Arg::Null(t) => *t,
            Arg::Str(_) | Arg::String(_) => SqlType::Text,
            Arg::Bytes(_) => SqlType::Bytes,
            Arg::Int(_) => SqlType::Int,
            Arg::Int4(_) => SqlType::Int4,
            Arg::Float(_) => SqlType::Float,
            Arg::Bool(_) => SqlType::Bool,
            Arg::Time(_) => SqlType::Time,
            Arg::Date(_) => SqlType::Date,
            Arg::Json(_) => SqlType::Json,
        }
    }
}

/// Each parameter is declared as its value's own type (`produces`); `type_info` is only the fallback sqlx never
/// needs here.
impl Type<Postgres> for Arg<'_> {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Arg<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self {
            Arg::Null(_) => Ok(IsNull::Yes),
            Arg::Str(v) => <&str as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::String(v) => <String as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Bytes(v) => <&[u8] as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Int(v) => <i64 as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Int4(v) => <i32 as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Float(v) => <f64 as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Bool(v) => <bool as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Time(v) => <DbTime as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Date(v) => <Date as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Json(JsonArg(v)) => {
                // The `jsonb` binary format: a version byte, then the text (as sqlx's `Json` writes it).
                buf.push(1);
                v.write_json(buf)?;
                Ok(IsNull::No)
            }
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(self.sql_type().pg())
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
            Arg::Null(_) => ToSqlOutput::Owned(Value::Null),
            Arg::Str(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::String(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Arg::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::Int4(v) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Arg::Float(v) => ToSqlOutput::Owned(Value::Real(*v)),
            Arg::Bool(v) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Arg::Time(v) => return v.to_sql(),
            Arg::Date(v) => return v.to_sql(),
            Arg::Json(JsonArg(v)) => {
                let mut text = Vec::new();
                v.write_json(&mut text).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                let text = String::from_utf8(text).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                ToSqlOutput::Owned(Value::Text(text))
            }
        })
    }
}
