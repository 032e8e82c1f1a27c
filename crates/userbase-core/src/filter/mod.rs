//! The user filter language: SCIM-style expressions (`email eq "a@b.c" and (tags eq "vip" or
//! metadata.plan sw "gold")`), parsed once into a typed tree that the store compiles to SQL with bound
//! parameters (values never become SQL text).
//!
//! Grammar (keywords and operators case-insensitive; `not` binds tighter than `and`, `and` than `or`):
//! ```text
//! filter  := term ("or" term)*
//! term    := factor ("and" factor)*
//! factor  := "not" factor | "(" filter ")" | path "[" filter "]" | path "pr" | path op value
//! op      := eq | ne | co | sw | ew | gt | ge | lt | le
//! value   := "string" | number | true | false
//! ```

mod attrs;
pub mod builders;
mod lexer;
mod parser;

use time::{Date, OffsetDateTime};

pub use attrs::{AddressField, Collection, ElementField, Scalar, TextField, TimeField};
pub use parser::parse;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A typed literal, already checked against its attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    Time(OffsetDateTime),
    Date(Date),
}

/// A parsed, type-checked filter over users.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// A single-valued attribute compared with a value.
    Compare {
        attr: Scalar,
        op: Op,
        value: Value,
    },
    /// A single-valued attribute has a value.
    Present(Scalar),
    /// Some element of a multi-valued attribute matches `filter`, whose attributes are the element's.
    Any {
        collection: Collection,
        filter: Box<ElementFilter>,
    },
    /// The multi-valued attribute has at least one element.
    NotEmpty(Collection),
}

/// A filter over the elements of a collection (inside `path[...]`, or implied by `path.sub op value`).
#[derive(Debug, Clone, PartialEq)]
pub enum ElementFilter {
    And(Vec<ElementFilter>),
    Or(Vec<ElementFilter>),
    Not(Box<ElementFilter>),
    Compare { field: ElementField, op: Op, value: Value },
    Present(ElementField),
}

/// Why an expression was refused, and where (a character offset into the expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl FilterError {
    pub fn at(position: usize, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}
