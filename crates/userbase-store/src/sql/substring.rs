//! Substring and suffix filters (`co`, `ew`) on `email`, `first_name` and `last_name`, served on SQLite by the
//! trigram tables of migration 0013 (README "Limits"). The filter compiler keeps the LIKE it always wrote and
//! adds `users.id IN (<the ids whose column holds the value's trigrams>)`, which the index answers: the LIKE
//! then checks only those candidates, so the meaning (case folding, escaping, `not`) is the LIKE's, unchanged.
//!
//! A trigram shared by many users costs in proportion to them (its whole list of ids is read) and narrows
//! little, so the store first asks the value's trigrams (`PROBED` of them, from both ends) for up to `SELECTIVE` ids each and
//! keeps those that have fewer (`Substrings::probe`), up to `ENOUGH` of them. A value with no such trigram
//! matches many users in all likelihood: its LIKE alone is checked while the project is walked in list order, as
//! before, but only through a window of the project (`user_list::Source::Window`): when the window holds fewer
//! matches than the page, the value is rare after all (every trigram common, the whole not: "annar" among first
//! names like "Anna" and "Lars"), and its probed trigrams are searched together (`Substrings::with_common`), which
//! FTS5 does at the pace of the shortest list. Values shorter than three characters have no trigram and are
//! always walked.

use userbase_core::filter::{Collection, Filter, Op, Scalar, TextField, Value};

use userbase_core::page::SortField;

use crate::sql::filter::{Flavor, EMAIL_KEY};
use crate::sql::user_list::sort_expr;

/// Trigrams in the index of fewer users (of every project) than this narrow the search. Reading this many
/// ids takes about a millisecond; a trigram of digits is held by about 5,000 of a million generated users.
pub const SELECTIVE: u64 = 20_000;

/// At most this many trigrams of a value are probed (a long value's first and last ones), bounding the probe's
/// time.
const PROBED: usize = 8;

/// The search ANDs at most this many selective trigrams; more would read more ids and rarely remove any.
const ENOUGH: usize = 4;

/// The trigram tables of migration 0013 and the `users` column each indexes: email, first name, last name.
pub const TRIGRAM_TABLES: [(&str, &str); 3] = [
    ("users_email_trigrams", "email_normalized"),
    ("users_first_name_trigrams", "first_name"),
    ("users_last_name_trigrams", "last_name"),
];

/// The trigram table (migration 0013) of a substring or suffix comparison, if it has one.
fn trigram_table(attr: &Scalar, op: Op) -> Option<&'static str> {
    if !matches!(op, Op::Co | Op::Ew) {
        return None;
    }
    let [email, first_name, last_name] = TRIGRAM_TABLES;
    match attr {
        Scalar::Email => Some(email.0),
        Scalar::Text(TextField::FirstName) => Some(first_name.0),
        Scalar::Text(TextField::LastName) => Some(last_name.0),
        _ => None,
    }
}

/// The distinct trigrams of `value`, each as an FTS5 string (the tokenizer folds their case as it folded the
/// indexed text); none when it is shorter than three characters.
fn trigrams(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for window in chars.windows(3) {
        let quoted = format!("\"{}\"", window.iter().collect::<String>().replace('"', "\"\""));
        if !out.contains(&quoted) {
            out.push(quoted);
        }
    }
    out
}

/// The trigrams first, last, second, second to last, ...: what sets a long value apart is as often at its end
/// (`email co "example.comx"`) as at its start.
fn from_both_ends(trigrams: Vec<String>) -> impl Iterator<Item = String> {
    let mut rest = std::collections::VecDeque::from(trigrams);
    let mut front = false;
    std::iter::from_fn(move || {
        front = !front;
        if front {
            rest.pop_front()
        } else {
            rest.pop_back()
        }
    })
}

/// A comparison the index may serve: its table, its value, and the FTS5 query of its selective trigrams, or
/// when it has none, of its first (common) trigrams.
#[derive(Clone)]
struct Served {
    table: &'static str,
    value: String,
    query: String,
    selective: bool,
}

/// The substring comparisons of one filter that the trigram tables serve (SQLite; none on PostgreSQL).
#[derive(Default, Clone)]
pub struct Substrings {
    served: Vec<Served>,
    /// The filter has a prefix (`sw`) comparison on a field with a sort index (`prefix_range`).
    prefixes: bool,
    /// Comparisons of common trigrams only, and prefixes as ranges of their index, are served too
    /// (`with_common`).
    common_too: bool,
}

/// No comparison served by trigram tables: PostgreSQL, or a SQLite query not probed.
pub static NONE: Substrings = Substrings { served: Vec::new(), prefixes: false, common_too: false };

impl Substrings {
    /// Probes each substring comparison of `filter` on an indexed field: `count(sql, query)` runs `sql` (one
    /// count of at most `SELECTIVE` rows, its FTS5 query bound at `?1`).
    pub fn probe<E>(filter: Option<&Filter>, mut count: impl FnMut(&str, &str) -> Result<u64, E>) -> Result<Self, E> {
        let mut served = Vec::new();
        let mut found = Vec::new();
        if let Some(filter) = filter {
            comparisons(filter, &mut found);
        }
        for (table, value) in found {
            if served.iter().any(|s: &Served| s.table == table && s.value == value) {
                continue;
            }
            let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ?1 LIMIT {SELECTIVE})");
            let (mut selective, mut common) = (Vec::new(), Vec::new());
            for trigram in from_both_ends(trigrams(&value)).take(PROBED) {
                if count(&sql, &trigram)? < SELECTIVE {
                    selective.push(trigram);
                    if selective.len() == ENOUGH {
                        break;
                    }
                } else if common.len() < ENOUGH {
                    common.push(trigram);
                }
            }
            if !selective.is_empty() {
                served.push(Served { table, value, query: selective.join(" AND "), selective: true });
            } else if !common.is_empty() {
                served.push(Served { table, value, query: common.join(" AND "), selective: false });
            }
        }
        let prefixes = filter.is_some_and(has_prefix);
        Ok(Self { served, prefixes, common_too: false })
    }

    /// The table and FTS5 query that serve the comparison of `attr` with `value`, if the probe chose to.
    pub fn search(&self, attr: &Scalar, op: Op, value: &str) -> Option<(&'static str, &str)> {
        let table = trigram_table(attr, op)?;
        let value = folded(attr, value);
        self.served
            .iter()
            .find(|s| s.table == table && s.value == value && (s.selective || self.common_too))
            .map(|s| (s.table, s.query.as_str()))
    }

    /// Whether a comparison has trigrams, all of them common, or is a prefix: its page walks a window of the
    /// project first (when `window_first` allows).
    pub fn walks_common(&self) -> bool {
        !self.common_too && (self.prefixes || self.served.iter().any(|s| !s.selective))
    }

    /// These comparisons, with those of common trigrams searched too, and prefixes read as ranges.
    pub fn with_common(&self) -> Self {
        Self { served: self.served.clone(), prefixes: self.prefixes, common_too: true }
    }

    /// Whether prefix comparisons are read as ranges of their sort index (`prefix_range`).
    pub fn ranges_prefixes(&self) -> bool {
        self.common_too && self.prefixes
    }
}

/// Whether `filter` has a `sw` comparison with a `prefix_range`.
fn has_prefix(filter: &Filter) -> bool {
    match filter {
        Filter::And(parts) | Filter::Or(parts) => parts.iter().any(has_prefix),
        Filter::Not(inner) => has_prefix(inner),
        Filter::Compare { attr, op: Op::Sw, value: Value::Text(v) } => prefix_range(attr, v).is_some(),
        _ => false,
    }
}

/// The value as the compiler compares it (emails lowercased, like the column).
fn folded(attr: &Scalar, value: &str) -> String {
    match attr {
        Scalar::Email => value.to_lowercase(),
        _ => value.to_owned(),
    }
}

/// Whether a page of `filter` is read through a window first (`user_list::Source::Window`): text patterns
/// (`co`, `sw`, `ew`) on fields with a trigram index (email, first name, last name) that an index can read (`co`
/// and `ew` of three characters or more, a prefix of one or more) can lead the read (one must hold, or each
/// branch of an `or` is one), and no part of the filter that every match must meet is an equality an index of
/// its own finds (`email eq`, ids, the auth subject, an external ref), which the planners read first whatever
/// the pattern. On PostgreSQL not for `email ew`: a suffix is a prefix of its reversed-email btree, whose
/// statistics estimate prefixes well.
pub fn window_first(filter: Option<&Filter>, flavor: Flavor) -> bool {
    let Some(filter) = filter else { return false };
    let parts = match filter {
        Filter::And(parts) => parts.iter().collect(),
        other => vec![other],
    };
    patterns_lead(filter, flavor) && !parts.into_iter().any(is_indexed_equality)
}

/// Whether an index of text patterns can find every match of `filter`: a read through it would otherwise
/// scan the project, no better than the walk.
fn patterns_lead(filter: &Filter, flavor: Flavor) -> bool {
    match filter {
        Filter::And(parts) => parts.iter().any(|p| patterns_lead(p, flavor)),
        Filter::Or(parts) => parts.iter().all(|p| patterns_lead(p, flavor)),
        Filter::Compare { attr: Scalar::Email, op: Op::Ew, .. } if flavor == Flavor::Postgres => false,
        // Shorter values have no trigram: an index read of them would read the whole index.
        Filter::Compare { attr, op: Op::Co | Op::Ew, value: Value::Text(v) } => {
            is_pattern_field(attr) && v.chars().count() >= 3
        }
        Filter::Compare { attr, op: Op::Sw, value: Value::Text(v) } => is_pattern_field(attr) && !v.is_empty(),
        _ => false,
    }
}

fn is_pattern_field(attr: &Scalar) -> bool {
    matches!(attr, Scalar::Email | Scalar::Text(TextField::FirstName | TextField::LastName))
}

fn is_indexed_equality(filter: &Filter) -> bool {
    match filter {
        Filter::Compare { attr, op: Op::Eq, .. } => matches!(
            attr,
            Scalar::Email
                | Scalar::Id
                | Scalar::ObjectId
                | Scalar::HumanId
                | Scalar::NumericId
                | Scalar::Text(TextField::AuthSubject)
        ),
        Filter::Any { collection: Collection::ExternalRefs, .. } => true,
        _ => false,
    }
}

/// The index expression and the lowest and the next value past every value that `sw` of `value` on `attr`
/// matches (SQLite): the prefix as a range of the field's sort index (migration 0002), which holds what the LIKE
/// compares, lowercased by SQLite's ASCII-only `lower()` (emails are stored lowercased). `None` when the field
/// has no such index or the prefix is empty; no upper value when none is past it.
pub fn prefix_range(attr: &Scalar, value: &str) -> Option<(&'static str, String, Option<String>)> {
    let (expr, low) = match attr {
        Scalar::Email => (EMAIL_KEY, value.to_lowercase()),
        Scalar::Text(TextField::FirstName) => (sort_expr(SortField::FirstName), value.to_ascii_lowercase()),
        Scalar::Text(TextField::LastName) => (sort_expr(SortField::LastName), value.to_ascii_lowercase()),
        _ => return None,
    };
    if low.is_empty() {
        return None;
    }
    let high = past_prefix(&low);
    Some((expr, low, high))
}

/// The least string greater than every string that starts with `prefix` (strings compare as UTF-8 bytes, which
/// is code point order): the prefix with its last character raised by one, dropping characters that cannot be.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Every substring comparison in `filter` on a field with a trigram table, wherever it stands.
fn comparisons(filter: &Filter, out: &mut Vec<(&'static str, String)>) {
    match filter {
        Filter::And(parts) | Filter::Or(parts) => parts.iter().for_each(|p| comparisons(p, out)),
        Filter::Not(inner) => comparisons(inner, out),
        Filter::Compare { attr, op, value: Value::Text(v) } => {
            if let Some(table) = trigram_table(attr, *op) {
                out.push((table, folded(attr, v)));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_distinct_quoted_and_need_three_characters() {
        assert_eq!(trigrams("ab"), Vec::<String>::new());
        assert_eq!(trigrams("aaaa"), vec!["\"aaa\""]);
        assert_eq!(trigrams("a\"bc"), vec!["\"a\"\"b\"", "\"\"\"bc\""]);
        assert_eq!(trigrams("é%_x"), vec!["\"é%_\"", "\"%_x\""]);
    }

    #[test]
    fn a_prefix_range_ends_past_every_value_with_the_prefix() {
        assert_eq!(past_prefix("lund12345").as_deref(), Some("lund12346"));
        assert_eq!(past_prefix("ab\u{D7FF}").as_deref(), Some("ab\u{E000}"));
        assert_eq!(past_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(past_prefix("\u{10FFFF}"), None);
        let (expr, low, high) = prefix_range(&Scalar::Text(TextField::LastName), "LUND1é").unwrap();
        assert_eq!((expr, low.as_str(), high.as_deref()), ("COALESCE(lower(last_name), '')", "lund1é", Some("lund1ê")));
        assert!(prefix_range(&Scalar::Email, "").is_none());
        assert!(prefix_range(&Scalar::Text(TextField::CompanyName), "a").is_none());
    }

    #[test]
    fn a_window_comes_first_where_patterns_lead_and_no_indexed_equality_does() {
        let first = |expr: &str, flavor| window_first(Some(&userbase_core::filter::parse(expr).unwrap()), flavor);
        for flavor in [Flavor::Sqlite, Flavor::Postgres] {
            assert!(first(r#"last_name co "und99""#, flavor));
            assert!(first(r#"first_name sw "A""#, flavor));
            assert!(first(r#"tags eq "vip" and last_name co "und99""#, flavor));
            assert!(first(r#"last_name co "und99" or first_name sw "Ann""#, flavor));
            assert!(!first(r#"last_name co "nd""#, flavor), "no trigram");
            assert!(!first(r#"last_name co "und99" or human_id co "ABC""#, flavor), "a branch no index reads");
            assert!(!first(r#"not (last_name co "und99")"#, flavor));
            assert!(!first(r#"email eq "a@b.example" and last_name co "und99""#, flavor));
            assert!(!first(r#"external_refs.source_id eq "7" and last_name co "und99""#, flavor));
            assert!(!first(r#"company_name co "acme""#, flavor));
        }
        assert!(first(r#"email ew "example.com""#, Flavor::Sqlite));
        assert!(!first(r#"email ew "example.com""#, Flavor::Postgres), "the reversed-email index");
    }

    #[test]
    fn trigrams_are_probed_from_both_ends() {
        let order: Vec<String> = from_both_ends(trigrams("abcdefg")).collect();
        assert_eq!(order, ["\"abc\"", "\"efg\"", "\"bcd\"", "\"def\"", "\"cde\""]);
        let order: Vec<String> = from_both_ends(trigrams("abcdef")).collect();
        assert_eq!(order, ["\"abc\"", "\"def\"", "\"bcd\"", "\"cde\""]);
    }
}
