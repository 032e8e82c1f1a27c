//! Compiles a domain `Filter` into a SQL condition over `users`, for either backend. Every literal is a
//! bound parameter; only fixed column names and operators become SQL text. Under a `not`, each comparison is
//! wrapped in `COALESCE(..., FALSE)` so that a missing value makes it false, never NULL, and `not` stays
//! two-valued. Elsewhere a comparison stands bare: in a WHERE clause NULL already filters like false, through
//! any AND and OR, and only a bare `lower(col) LIKE ...` can be served by an index (PostgreSQL's trigram index,
//! migration 0011).
//!
//! Every equality on an indexed attribute is written in the form its index serves (README "Filters"): the
//! normalised email, the ids, `status`, the times, `auth_subject` (through its `lower()` index), and an external
//! ref that names its `source_id`, which becomes `users.id IN (<the project's refs with that id>)` so that the
//! refs' `(project_id, source_id)` index leads instead of a walk of the project's users. Which index leads when
//! several could is the planner's choice, from the statistics the stores keep fresh.
//!
//! Substring filters: on PostgreSQL `email ew` is a prefix of the reversed email (its index, migration 0013), and
//! `co` stays a LIKE for the trigram index; on SQLite a `co`/`ew` that a trigram table serves is narrowed to its
//! candidates first (`sql/substring.rs`).

use userbase_core::filter::{
    AddressField, Collection, ElementField, ElementFilter, Filter, Op, Scalar, TextField, TimeField, Value,
};

use crate::sql::sink::SqlSink;
use crate::sql::substring::{self, Substrings};
use crate::sql::time::DbTime;

/// The backend-specific SQL a filter needs (JSON access).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Sqlite,
    Postgres,
}

/// How a column's text compares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Exact,
    Insensitive,
}

fn text_column(field: TextField) -> &'static str {
    match field {
        TextField::AuthSubject => "auth_subject",
        TextField::Salutation => "salutation",
        TextField::FirstName => "first_name",
        TextField::MiddleName => "middle_name",
        TextField::LastName => "last_name",
        TextField::FullName => "full_name",
        TextField::Abbreviation => "abbreviation",
        TextField::Phone => "phone",
        TextField::Mobile => "mobile",
        TextField::Locale => "locale",
        TextField::CompanyName => "company_name",
        TextField::Login => "login",
        TextField::DebtorId => "debtor_id",
        TextField::TaxNumber => "tax_number",
        TextField::CocNumber => "coc_number",
        TextField::Bio => "bio",
        TextField::Note => "note",
    }
}

fn time_column(field: TimeField) -> &'static str {
    match field {
        TimeField::CreatedAt => "created_at",
        TimeField::UpdatedAt => "updated_at",
        TimeField::LastLoginAt => "last_login_at",
        TimeField::DeletedAt => "deleted_at",
    }
}

fn address_column(field: AddressField) -> (&'static str, Case) {
    match field {
        AddressField::Type => ("e.type", Case::Exact),
        AddressField::Country => ("e.country_code", Case::Exact),
        AddressField::Code => ("e.code", Case::Insensitive),
        AddressField::Company => ("e.company", Case::Insensitive),
        AddressField::Street => ("e.street", Case::Insensitive),
        AddressField::PostalCode => ("e.postal_code", Case::Insensitive),
        AddressField::City => ("e.city", Case::Insensitive),
        AddressField::Region => ("e.region", Case::Insensitive),
    }
}

/// A LIKE pattern for `co`/`sw`/`ew`, with the value's own wildcards escaped.
fn like_pattern(op: Op, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    match op {
        Op::Co => format!("%{escaped}%"),
        Op::Sw => format!("{escaped}%"),
        _ => format!("%{escaped}"),
    }
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => " = ",
        Op::Ne => " <> ",
        Op::Gt => " > ",
        Op::Ge => " >= ",
        Op::Lt => " < ",
        Op::Le => " <= ",
        Op::Co | Op::Sw | Op::Ew => " LIKE ",
    }
}

/// Compiles filters of one project's users.
pub struct Compiler<'a> {
    pub flavor: Flavor,
    /// The project whose users are filtered (subqueries on tables that index by project name it).
    pub project: &'a str,
    /// Write `created_at` and `updated_at` as `+column`, which no index serves (SQLite, for a time range too wide
    /// for its index to beat a walk in list order; see `user_list::RangePlan`).
    pub unindexed_times: bool,
    /// The substring comparisons served by SQLite's trigram tables (`sql/substring.rs`; `substring::NONE` on
    /// PostgreSQL, whose trigram index needs no help).
    pub substrings: &'a Substrings,
}

/// Where a condition stands: directly in a WHERE clause (under ANDs, ORs and EXISTS only), where NULL filters
/// like false, or under a NOT, where it must be two-valued.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Where,
    Negated,
}

impl<'a> Compiler<'a> {
    /// Appends the condition for `filter` (parenthesised), for a WHERE clause.
    pub fn push<S: SqlSink<'a>>(&self, qb: &mut S, filter: &'a Filter) {
        self.push_in(qb, filter, Context::Where);
    }

    fn push_in<S: SqlSink<'a>>(&self, qb: &mut S, filter: &'a Filter, cx: Context) {
        match filter {
            Filter::And(parts) | Filter::Or(parts) => {
                let joiner = if matches!(filter, Filter::And(_)) { " AND " } else { " OR " };
                push_joined(qb, parts, joiner, |qb, part| self.push_in(qb, part, cx));
            }
            Filter::Not(inner) => {
                qb.push("(NOT ");
                self.push_in(qb, inner, Context::Negated);
                qb.push(")");
            }
            Filter::Present(attr) => self.push_present(qb, attr),
            // `ne` is `not eq`: a user without the attribute is not equal to the value.
            Filter::Compare { attr, op: Op::Ne, value } => {
                qb.push("(NOT COALESCE(");
                self.push_scalar_compare(qb, attr, Op::Eq, value);
                qb.push(", FALSE))");
            }
            Filter::Compare { attr, op, value } if cx == Context::Where => {
                self.push_scalar_compare(qb, attr, *op, value);
            }
            Filter::Compare { attr, op, value } => {
                qb.push("COALESCE(");
                self.push_scalar_compare(qb, attr, *op, value);
                qb.push(", FALSE)");
            }
            Filter::NotEmpty(collection) => {
                qb.push("EXISTS (SELECT 1 FROM ");
                self.push_elements_from(qb, *collection);
                qb.push(")");
            }
            // A ref named by its id: the few users holding it, found through the refs' index (an EXISTS per
            // user would walk the project's users in list order until enough matched).
            Filter::Any { collection: Collection::ExternalRefs, filter } if names_source_id(filter) => {
                qb.push("users.id IN (SELECT e.user_id FROM user_external_refs e WHERE e.project_id = ");
                qb.push_bind(self.project).push(" AND ");
                self.push_element(qb, filter, Context::Where);
                qb.push(")");
            }
            Filter::Any { collection, filter } => {
                qb.push("EXISTS (SELECT 1 FROM ");
                self.push_elements_from(qb, *collection);
                qb.push(" AND ");
                // The subquery's own WHERE: EXISTS is two-valued whatever its conditions give.
                self.push_element(qb, filter, Context::Where);
                qb.push(")");
            }
        }
    }

    /// `FROM <elements> e WHERE <belongs to the user>`, leaving the WHERE open for more conditions.
    fn push_elements_from<S: SqlSink<'a>>(&self, qb: &mut S, collection: Collection) {
        let json_column = match collection {
            Collection::Tags => "users.tags",
            Collection::Roles => "users.roles",
            Collection::ExternalRefs => {
                qb.push("user_external_refs e WHERE e.user_id = users.id");
                return;
            }
            Collection::Addresses => {
                qb.push("addresses e WHERE e.user_id = users.id");
                return;
            }
        };
        match self.flavor {
            Flavor::Sqlite => qb.push(format!("json_each({json_column}) e WHERE TRUE")),
            Flavor::Postgres => qb.push(format!("jsonb_array_elements_text({json_column}) AS e(value) WHERE TRUE")),
        };
    }

    fn push_element<S: SqlSink<'a>>(&self, qb: &mut S, filter: &'a ElementFilter, cx: Context) {
        match filter {
            ElementFilter::And(parts) | ElementFilter::Or(parts) => {
                let joiner = if matches!(filter, ElementFilter::And(_)) { " AND " } else { " OR " };
                push_joined(qb, parts, joiner, |qb, part| self.push_element(qb, part, cx));
            }
            ElementFilter::Not(inner) => {
                qb.push("(NOT ");
                self.push_element(qb, inner, Context::Negated);
                qb.push(")");
            }
            ElementFilter::Present(field) => {
                let (column, _) = element_column(*field);
                qb.push(format!("({column} IS NOT NULL AND {column} <> '')"));
            }
            ElementFilter::Compare { field, op, value } => {
                let (column, case) = element_column(*field);
                let (negate, op) = if *op == Op::Ne { (true, Op::Eq) } else { (false, *op) };
                let wrap = negate || cx == Context::Negated;
                qb.push(match (negate, wrap) {
                    (true, _) => "(NOT COALESCE(",
                    (false, true) => "COALESCE(",
                    (false, false) => "",
                });
                if let Value::Text(v) = value {
                    push_text_compare(qb, column, case, op, v);
                } else {
                    qb.push("FALSE");
                }
                qb.push(match (negate, wrap) {
                    (true, _) => ", FALSE))",
                    (false, true) => ", FALSE)",
                    (false, false) => "",
                });
            }
        }
    }

    fn push_present<S: SqlSink<'a>>(&self, qb: &mut S, attr: &'a Scalar) {
        match attr {
            Scalar::Metadata(key) => {
                qb.push("(");
                self.push_metadata(qb, key);
                qb.push(" IS NOT NULL)");
            }
            Scalar::Id | Scalar::ObjectId | Scalar::HumanId | Scalar::NumericId | Scalar::EmailVerified => {
                qb.push("TRUE");
            }
            other => {
                let column = scalar_column(other);
                if matches!(other, Scalar::Time(_) | Scalar::BirthDate) {
                    qb.push(format!("({column} IS NOT NULL)"));
                } else {
                    qb.push(format!("({column} IS NOT NULL AND {column} <> '')"));
                }
            }
        }
    }

    fn push_metadata<S: SqlSink<'a>>(&self, qb: &mut S, key: &'a str) {
        match self.flavor {
            // json_each, not a JSON path: keys may hold any character.
            Flavor::Sqlite => {
                qb.push("(SELECT m.value FROM json_each(users.metadata) m WHERE m.key = ").push_bind(key).push(")")
            }
            Flavor::Postgres => qb.push("(users.metadata ->> ").push_bind(key).push(")"),
        };
    }

    /// A comparison of one attribute; a substring one that a trigram table serves is narrowed to its candidates
    /// first (the comparison itself still decides).
    fn push_scalar_compare<S: SqlSink<'a>>(&self, qb: &mut S, attr: &'a Scalar, op: Op, value: &'a Value) {
        let searched = match value {
            Value::Text(v) => self.substrings.search(attr, op, v),
            _ => None,
        };
        if let (Op::Sw, Value::Text(v), true) = (op, value, self.substrings.ranges_prefixes()) {
            if let Some((expr, low, high)) = substring::prefix_range(attr, v) {
                // The prefix as a range of the field's sort index; the comparison itself still decides.
                qb.push(format!("({expr} >= ")).push_bind(low);
                if let Some(high) = high {
                    qb.push(format!(" AND {expr} < ")).push_bind(high);
                }
                qb.push(" AND ");
                self.push_value_compare(qb, attr, op, value);
                qb.push(")");
                return;
            }
        }
        let Some((table, query)) = searched else {
            return self.push_value_compare(qb, attr, op, value);
        };
        qb.push(format!("(users.id IN (SELECT rowid FROM {table} WHERE {table} MATCH "));
        qb.push_bind(query).push(") AND ");
        self.push_value_compare(qb, attr, op, value);
        qb.push(")");
    }

    fn push_value_compare<S: SqlSink<'a>>(&self, qb: &mut S, attr: &'a Scalar, op: Op, value: &'a Value) {
        match (attr, value) {
            (Scalar::Metadata(key), Value::Text(v)) => {
                let is_like = matches!(op, Op::Co | Op::Sw | Op::Ew);
                self.push_metadata(qb, key);
                qb.push(sql_op(op));
                if is_like {
                    qb.push_bind(like_pattern(op, v)).push(" ESCAPE '\\'");
                } else {
                    qb.push_bind(v.as_str());
                }
            }
            // A suffix is a prefix of the reversed email, which PostgreSQL's reversed-email index serves
            // (migration 0013).
            (Scalar::Email, Value::Text(v)) if op == Op::Ew && self.flavor == Flavor::Postgres => {
                let reversed: String = v.to_lowercase().chars().rev().collect();
                qb.push("reverse(email_normalized) LIKE ").push_bind(like_pattern(Op::Sw, &reversed));
                qb.push(" ESCAPE '\\'");
            }
            // Stored lowercased by the same Rust code, so the index serves `eq`.
            (Scalar::Email, Value::Text(v)) => {
                push_text_compare_owned(qb, email_column(op, v), op, v.to_lowercase());
            }
            // Only users with a subject are in its index (migration 0011); saying so lets the planner use it.
            (Scalar::Text(TextField::AuthSubject), Value::Text(v)) if op == Op::Eq => {
                qb.push("(auth_subject IS NOT NULL AND ");
                push_text_compare(qb, "auth_subject", Case::Insensitive, op, v);
                qb.push(")");
            }
            (
                Scalar::Text(_)
                | Scalar::Status
                | Scalar::Gender
                | Scalar::Country
                | Scalar::Id
                | Scalar::ObjectId
                | Scalar::HumanId,
                Value::Text(v),
            ) => {
                let case = if matches!(attr, Scalar::Text(_)) { Case::Insensitive } else { Case::Exact };
                push_text_compare(qb, scalar_column(attr), case, op, v);
            }
            (Scalar::NumericId, Value::Int(n)) => {
                qb.push("id").push(sql_op(op)).push_bind(*n);
            }
            (Scalar::EmailVerified, Value::Bool(b)) => {
                qb.push("email_verified").push(sql_op(op)).push_bind(*b);
            }
            (Scalar::Time(field), Value::Time(t)) => {
                let indexed = matches!(field, TimeField::CreatedAt | TimeField::UpdatedAt);
                if indexed && self.unindexed_times {
                    qb.push("+");
                }
                qb.push(time_column(*field)).push(sql_op(op)).push_bind(DbTime(*t));
            }
            (Scalar::BirthDate, Value::Date(d)) => {
                qb.push("birth_date").push(sql_op(op)).push_bind(*d);
            }
            // The parser only pairs attributes with values of their kind.
            _ => {
                qb.push("FALSE");
            }
        }
    }
}

/// Whether an element filter of external refs requires `source_id eq <value>` of every match (a conjunct at its
/// top), so that the refs' `(project_id, source_id)` index finds the matches.
fn names_source_id(filter: &ElementFilter) -> bool {
    match filter {
        ElementFilter::Compare { field: ElementField::RefSourceId, op: Op::Eq, .. } => true,
        ElementFilter::And(parts) => parts.iter().any(names_source_id),
        _ => false,
    }
}

/// `(a JOINER b JOINER c)`, each part written by `push`.
fn push_joined<'a, S: SqlSink<'a>, T>(qb: &mut S, parts: &'a [T], joiner: &str, mut push: impl FnMut(&mut S, &'a T)) {
    qb.push("(");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            qb.push(joiner);
        }
        push(qb, part);
    }
    qb.push(")");
}

/// The email as `eq` compares it: through the expression of the email sort index, which serves lookups too
/// (`COALESCE(email_normalized, '') = 'x'` is `email_normalized = 'x'` for any `x` but the empty one, which
/// keeps the bare column so that it matches no one). Other operators compare the column itself, as the trigram
/// index has it.
pub(crate) fn email_column(op: Op, value: &str) -> &'static str {
    if op == Op::Eq && !value.is_empty() {
        EMAIL_KEY
    } else {
        "email_normalized"
    }
}

/// The expression of `users_project_email_sort_idx` (migration 0002), the one index on emails for lookups.
pub(crate) const EMAIL_KEY: &str = "COALESCE(email_normalized, '')";

fn scalar_column(attr: &Scalar) -> &'static str {
    match attr {
        Scalar::Id => "public_id",
        Scalar::ObjectId => "object_id",
        Scalar::HumanId => "human_id",
        Scalar::NumericId => "id",
        Scalar::Email => "email_normalized",
        Scalar::EmailVerified => "email_verified",
        Scalar::Text(f) => text_column(*f),
        Scalar::Status => "status",
        Scalar::Gender => "gender",
        Scalar::Country => "country_code",
        Scalar::Time(f) => time_column(*f),
        Scalar::BirthDate => "birth_date",
        Scalar::Metadata(_) => "metadata",
    }
}

fn element_column(field: ElementField) -> (&'static str, Case) {
    match field {
        ElementField::Value => ("e.value", Case::Exact),
        ElementField::RefSource => ("e.source", Case::Exact),
        ElementField::RefSourceId => ("e.source_id", Case::Exact),
        ElementField::Address(f) => address_column(f),
    }
}

fn push_text_compare<'a, S: SqlSink<'a>>(qb: &mut S, column: &str, case: Case, op: Op, value: &'a str) {
    let is_like = matches!(op, Op::Co | Op::Sw | Op::Ew);
    // Both sides go through the database's lower(), so folding is the same on both (ASCII-only on SQLite).
    let wrap = |qb: &mut S, open: bool| {
        if case == Case::Insensitive {
            qb.push(if open { "lower(" } else { ")" });
        }
    };
    wrap(qb, true);
    qb.push(column);
    wrap(qb, false);
    qb.push(sql_op(op));
    wrap(qb, true);
    if is_like {
        qb.push_bind(like_pattern(op, value));
    } else {
        qb.push_bind(value);
    }
    wrap(qb, false);
    if is_like {
        qb.push(" ESCAPE '\\'");
    }
}

fn push_text_compare_owned<'a, S: SqlSink<'a>>(qb: &mut S, column: &str, op: Op, value: String) {
    qb.push(column).push(sql_op(op));
    if matches!(op, Op::Co | Op::Sw | Op::Ew) {
        qb.push_bind(like_pattern(op, &value)).push(" ESCAPE '\\'");
    } else {
        qb.push_bind(value);
    }
}
