//! Substring and suffix filters (`co`, `ew`) on `email`, `first_name` and `last_name`, served on SQLite by the
//! trigram tables of migration 0013 (README "Limits"). The filter compiler keeps the LIKE it always wrote and
//! adds `users.id IN (<the ids whose column holds the value's trigrams>)`, which the index answers: the LIKE
//! then checks only those candidates, so the meaning (case folding, escaping, `not`) is the LIKE's, unchanged.
//!
//! A trigram shared by many users costs in proportion to them (its whole list of ids is read) and narrows
//! little, so the store first asks the value's trigrams (the first `PROBED`) for up to `SELECTIVE` ids each and
//! keeps those that have fewer (`Substrings::probe`), up to `ENOUGH` of them. A value with no such trigram
//! matches many users in all likelihood: its LIKE alone is checked while the project is walked in list order, as
//! before, but only through a window of the project (`user_list::Source::Window`): when the window holds fewer
//! matches than the page, the value is rare after all (every trigram common, the whole not: "annar" among first
//! names like "Anna" and "Lars"), and its first trigrams are searched together (`Substrings::with_common`), which
//! FTS5 does at the pace of the shortest list. Values shorter than three characters have no trigram and are
//! always walked.

use userbase_core::filter::{Filter, Op, Scalar, TextField, Value};

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
    /// Comparisons of common trigrams only are served too (`with_common`).
    common_too: bool,
}

/// No comparison served by trigram tables: PostgreSQL, or a SQLite query not probed.
pub static NONE: Substrings = Substrings { served: Vec::new(), common_too: false };

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
        Ok(Self { served, common_too: false })
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

    /// Whether a comparison has trigrams, all of them common: its page walks a window of the project first.
    pub fn walks_common(&self) -> bool {
        !self.common_too && self.served.iter().any(|s| !s.selective)
    }

    /// These comparisons, with those of common trigrams searched too.
    pub fn with_common(&self) -> Self {
        Self { served: self.served.clone(), common_too: true }
    }
}

/// The value as the compiler compares it (emails lowercased, like the column).
fn folded(attr: &Scalar, value: &str) -> String {
    match attr {
        Scalar::Email => value.to_lowercase(),
        _ => value.to_owned(),
    }
}

/// Whether `filter` holds, anywhere, a text pattern (`co`, `sw`, `ew`) on a field PostgreSQL's trigram index
/// covers (email, first name, last name): such a page is read through a window first (`user_list::Source`).
pub fn has_text_pattern(filter: Option<&Filter>) -> bool {
    match filter {
        Some(Filter::And(parts) | Filter::Or(parts)) => parts.iter().any(|p| has_text_pattern(Some(p))),
        Some(Filter::Not(inner)) => has_text_pattern(Some(inner)),
        Some(Filter::Compare { attr, op: Op::Co | Op::Sw | Op::Ew, value: Value::Text(_) }) => {
            matches!(attr, Scalar::Email | Scalar::Text(TextField::FirstName | TextField::LastName))
        }
        _ => false,
    }
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
    fn trigrams_are_probed_from_both_ends() {
        let order: Vec<String> = from_both_ends(trigrams("abcdefg")).collect();
        assert_eq!(order, ["\"abc\"", "\"efg\"", "\"bcd\"", "\"def\"", "\"cde\""]);
        let order: Vec<String> = from_both_ends(trigrams("abcdef")).collect();
        assert_eq!(order, ["\"abc\"", "\"def\"", "\"bcd\"", "\"cde\""]);
    }
}
