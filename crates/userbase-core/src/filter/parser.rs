//! Recursive-descent parser from tokens to a type-checked `Filter`.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::attrs::{element_field, resolve, Collection, ElementField, Kind, Resolved, Scalar};
use super::lexer::{tokenize, Token};
use super::{ElementFilter, Filter, FilterError, Op, Value};

/// Longest expression accepted, in characters; with the limits below it bounds the SQL a filter becomes.
pub const MAX_FILTER_CHARS: usize = 4_000;
const MAX_DEPTH: usize = 16;
const MAX_COMPARISONS: usize = 64;

/// Parses and type-checks a filter expression.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.chars().count() > MAX_FILTER_CHARS {
        return Err(FilterError::at(MAX_FILTER_CHARS, format!("a filter is at most {MAX_FILTER_CHARS} characters")));
    }
    let tokens = tokenize(input)?;
    let mut p = Parser { tokens, pos: 0, end: input.chars().count(), depth: 0, comparisons: 0 };
    if p.tokens.is_empty() {
        return Err(FilterError::at(0, "the filter is empty"));
    }
    let filter = match p.or_expr(None)? {
        Node::User(f) => f,
        Node::Element(_) => return Err(FilterError::at(0, "expected a condition on users")),
    };
    match p.tokens.get(p.pos) {
        None => Ok(filter),
        Some((at, _)) => Err(FilterError::at(*at, "expected 'and', 'or' or the end of the filter")),
    }
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    end: usize,
    depth: usize,
    comparisons: usize,
}

/// A node in either the user scope or an element scope; unified so one parser serves both.
enum Node {
    User(Filter),
    Element(ElementFilter),
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

fn op(word: &str) -> Option<Op> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "co" => Op::Co,
        "sw" => Op::Sw,
        "ew" => Op::Ew,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

impl Parser {
    fn here(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(at, _)| *at)
    }

    fn peek_word(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some((_, Token::Word(w))) if is_keyword(w, keyword))
    }

    fn next(&mut self) -> Option<(usize, Token)> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::at(self.here(), format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// `scope` is the collection whose elements are being filtered, or `None` for users.
    fn or_expr(&mut self, scope: Option<Collection>) -> Result<Node, FilterError> {
        let mut items = vec![self.and_expr(scope)?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and_expr(scope)?);
        }
        Ok(combine(items, false))
    }

    fn and_expr(&mut self, scope: Option<Collection>) -> Result<Node, FilterError> {
        let mut items = vec![self.factor(scope)?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.factor(scope)?);
        }
        Ok(combine(items, true))
    }

    fn factor(&mut self, scope: Option<Collection>) -> Result<Node, FilterError> {
        self.enter()?;
        let node = self.factor_inner(scope);
        self.depth -= 1;
        node
    }

    fn factor_inner(&mut self, scope: Option<Collection>) -> Result<Node, FilterError> {
        let at = self.here();
        match self.next() {
            Some((_, Token::Word(w))) if is_keyword(&w, "not") => Ok(match self.factor(scope)? {
                Node::User(f) => Node::User(Filter::Not(Box::new(f))),
                Node::Element(f) => Node::Element(ElementFilter::Not(Box::new(f))),
            }),
            Some((_, Token::Open)) => {
                let inner = self.or_expr(scope)?;
                match self.next() {
                    Some((_, Token::Close)) => Ok(inner),
                    _ => Err(FilterError::at(self.here(), "expected ')'")),
                }
            }
            Some((_, Token::Word(path))) => self.attribute_expr(scope, at, &path),
            _ => Err(FilterError::at(at, "expected an attribute, 'not' or '('")),
        }
    }

    fn attribute_expr(&mut self, scope: Option<Collection>, at: usize, path: &str) -> Result<Node, FilterError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(FilterError::at(at, format!("more than {MAX_COMPARISONS} comparisons")));
        }
        let unknown = || FilterError::at(at, format!("unknown attribute '{path}'"));
        if let Some(collection) = scope {
            let field = element_field(collection, path).ok_or_else(unknown)?;
            return Ok(Node::Element(self.element_condition(field)?));
        }
        match resolve(path).ok_or_else(unknown)? {
            Resolved::Scalar(attr) => {
                if self.peek_word("pr") {
                    self.pos += 1;
                    return Ok(Node::User(Filter::Present(attr)));
                }
                let (op_at, op) = self.operator()?;
                let kind = attr.kind();
                if !kind.allows(op) {
                    return Err(FilterError::at(op_at, format!("'{path}' does not support this operator")));
                }
                let value = self.value(kind, &attr)?;
                Ok(Node::User(Filter::Compare { attr, op, value }))
            }
            Resolved::Element(collection, field) => {
                let inner = self.element_condition(field)?;
                Ok(Node::User(Filter::Any { collection, filter: Box::new(inner) }))
            }
            Resolved::Collection(collection) => {
                if self.peek_word("pr") {
                    self.pos += 1;
                    return Ok(Node::User(Filter::NotEmpty(collection)));
                }
                if matches!(self.tokens.get(self.pos), Some((_, Token::OpenBracket))) {
                    self.pos += 1;
                    let inner = match self.or_expr(Some(collection))? {
                        Node::Element(f) => f,
                        Node::User(_) => return Err(FilterError::at(at, "expected a condition on the elements")),
                    };
                    return match self.next() {
                        Some((_, Token::CloseBracket)) => {
                            Ok(Node::User(Filter::Any { collection, filter: Box::new(inner) }))
                        }
                        _ => Err(FilterError::at(self.here(), "expected ']'")),
                    };
                }
                // `tags eq "vip"`: a condition on the elements' values.
                match element_field(collection, "value") {
                    Some(field) => {
                        let inner = self.element_condition(field)?;
                        Ok(Node::User(Filter::Any { collection, filter: Box::new(inner) }))
                    }
                    None => Err(FilterError::at(at, format!("name a field of '{path}', e.g. '{path}[...]'"))),
                }
            }
        }
    }

    fn element_condition(&mut self, field: ElementField) -> Result<ElementFilter, FilterError> {
        if self.peek_word("pr") {
            self.pos += 1;
            return Ok(ElementFilter::Present(field));
        }
        let (_, op) = self.operator()?;
        let value = self.value(field.kind(), &Scalar::Email)?;
        Ok(ElementFilter::Compare { field, op, value })
    }

    fn operator(&mut self) -> Result<(usize, Op), FilterError> {
        let at = self.here();
        match self.next() {
            Some((_, Token::Word(w))) => op(&w).map(|o| (at, o)),
            _ => None,
        }
        .ok_or_else(|| FilterError::at(at, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"))
    }

    /// A literal of `kind`; `attr` refines text values (gender words, country case).
    fn value(&mut self, kind: Kind, attr: &Scalar) -> Result<Value, FilterError> {
        let at = self.here();
        let token = self.next().map(|(_, t)| t);
        let wrong = |what: &str| FilterError::at(at, format!("expected {what}"));
        match (kind, token) {
            (Kind::Text, Some(Token::Str(s))) => Ok(Value::Text(match attr {
                Scalar::Gender => match s.as_str() {
                    "male" => "M".to_owned(),
                    "female" => "F".to_owned(),
                    "unknown" => "U".to_owned(),
                    _ => return Err(wrong("\"male\", \"female\" or \"unknown\"")),
                },
                Scalar::Country => s.to_ascii_uppercase(),
                _ => s,
            })),
            (Kind::Text, _) => Err(wrong("a quoted string")),
            (Kind::Int, Some(Token::Number(n))) => Ok(Value::Int(n)),
            (Kind::Int, _) => Err(wrong("a whole number")),
            (Kind::Bool, Some(Token::Word(w))) if is_keyword(&w, "true") => Ok(Value::Bool(true)),
            (Kind::Bool, Some(Token::Word(w))) if is_keyword(&w, "false") => Ok(Value::Bool(false)),
            (Kind::Bool, _) => Err(wrong("true or false")),
            (Kind::Time, Some(Token::Str(s))) => OffsetDateTime::parse(&s, &Rfc3339)
                .map(Value::Time)
                .map_err(|_| wrong("an RFC 3339 timestamp such as \"2024-01-31T12:00:00Z\"")),
            (Kind::Time, _) => Err(wrong("a quoted RFC 3339 timestamp")),
            (Kind::Date, Some(Token::Str(s))) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                Date::parse(&s, &format).map(Value::Date).map_err(|_| wrong("a date such as \"1990-12-31\""))
            }
            (Kind::Date, _) => Err(wrong("a quoted date")),
        }
    }
}

/// Joins sibling nodes with `and`/`or`; a single node stands alone.
fn combine(mut items: Vec<Node>, and: bool) -> Node {
    if items.len() == 1 {
        return items.remove(0);
    }
    if items.iter().all(|n| matches!(n, Node::Element(_))) {
        let parts = items.into_iter().filter_map(|n| if let Node::Element(f) = n { Some(f) } else { None }).collect();
        Node::Element(if and { ElementFilter::And(parts) } else { ElementFilter::Or(parts) })
    } else {
        let parts = items.into_iter().filter_map(|n| if let Node::User(f) = n { Some(f) } else { None }).collect();
        Node::User(if and { Filter::And(parts) } else { Filter::Or(parts) })
    }
}

#[cfg(test)]
mod tests {
    use super::super::attrs::{AddressField, TextField, TimeField};
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let f = parse(r#"email eq "a@b.c" or first_name co "an" and not status eq "blocked""#).unwrap();
        assert_eq!(
            f,
            Filter::Or(vec![
                Filter::Compare { attr: Scalar::Email, op: Op::Eq, value: text("a@b.c") },
                Filter::And(vec![
                    Filter::Compare { attr: Scalar::Text(TextField::FirstName), op: Op::Co, value: text("an") },
                    Filter::Not(Box::new(Filter::Compare { attr: Scalar::Status, op: Op::Eq, value: text("blocked") })),
                ]),
            ])
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_parentheses_group() {
        let f = parse(r#"(tags EQ "vip" OR tags eq "beta") AND created_at GT "2024-01-01T00:00:00Z""#).unwrap();
        let Filter::And(parts) = f else { panic!("expected and") };
        assert!(matches!(parts[0], Filter::Or(_)));
        assert!(matches!(parts[1], Filter::Compare { attr: Scalar::Time(TimeField::CreatedAt), op: Op::Gt, .. }));
    }

    #[test]
    fn collections_take_element_filters() {
        let f = parse(r#"addresses[type eq "invoice" and city eq "Oslo"]"#).unwrap();
        assert_eq!(
            f,
            Filter::Any {
                collection: Collection::Addresses,
                filter: Box::new(ElementFilter::And(vec![
                    ElementFilter::Compare {
                        field: ElementField::Address(AddressField::Type),
                        op: Op::Eq,
                        value: text("invoice")
                    },
                    ElementFilter::Compare {
                        field: ElementField::Address(AddressField::City),
                        op: Op::Eq,
                        value: text("Oslo")
                    },
                ])),
            }
        );
        assert!(matches!(parse("external_refs.source_id eq \"42\"").unwrap(), Filter::Any { .. }));
        assert!(matches!(parse("tags pr").unwrap(), Filter::NotEmpty(Collection::Tags)));
        assert!(matches!(parse("metadata.plan sw \"go\"").unwrap(), Filter::Compare { attr: Scalar::Metadata(_), .. }));
    }

    #[test]
    fn values_are_checked_against_their_attribute() {
        assert_eq!(
            parse(r#"gender eq "female""#).unwrap(),
            Filter::Compare { attr: Scalar::Gender, op: Op::Eq, value: text("F") }
        );
        assert!(parse("numeric_id ge 10").is_ok());
        assert!(parse("email_verified eq true").is_ok());
        assert!(parse(r#"birthday lt "2000-01-01""#).is_ok());
    }

    #[test]
    fn errors_name_their_position() {
        for (input, position) in [
            ("", 0),
            (r#"colour eq "blue""#, 0),
            (r#"email eq"#, 8),
            (r#"email equals "x""#, 6),
            (r#"email eq "x" and"#, 16),
            (r#"(email eq "x""#, 13),
            (r#"email eq "x")"#, 12),
            (r#"created_at co "2024""#, 11),
            (r#"created_at gt "yesterday""#, 14),
            (r#"numeric_id eq "1""#, 14),
            (r#"email eq "unterminated"#, 9),
            (r#"email eq "x" ; drop table users"#, 13),
            (r#"addresses[planet eq "Mars"]"#, 10),
        ] {
            let e = parse(input).unwrap_err();
            assert_eq!(e.position, position, "{input}: {e}");
        }
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let deep = format!("{}email pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).is_err());
        let wide = vec!["email pr"; 100].join(" or ");
        assert!(parse(&wide).is_err());
        assert!(parse(&"x".repeat(MAX_FILTER_CHARS + 1)).is_err());
    }
}
