//! Filters built from query languages simpler than the expression grammar: a tag expression (BuiltOn's
//! `tags` parameter), a quick text search and a time window. They build the same tree the parser does, so
//! the store compiles them the same way on both backends.

use time::OffsetDateTime;

use super::{Collection, ElementField, ElementFilter, Filter, FilterError, Op, Scalar, TextField, TimeField, Value};

fn tag_is(op: Op, tag: &str) -> ElementFilter {
    ElementFilter::Compare { field: ElementField::Value, op, value: Value::Text(tag.to_owned()) }
}

fn has_tag(tag: &str) -> Filter {
    Filter::Any { collection: Collection::Tags, filter: Box::new(tag_is(Op::Eq, tag)) }
}

/// All of `parts`: `None` when there are none, the part itself when there is one.
pub fn all_of(mut parts: Vec<Filter>) -> Option<Filter> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Filter::And(parts)),
    }
}

/// A tag expression: `,` separates alternatives (any may match), `+` joins tags that must all be present,
/// and a trailing `+` means "these tags and no other" (`a+` is "only the tag `a`"). A space counts as `+`
/// (an unencoded `+` in a query string decodes to a space); spaces after a comma are ignored. An empty
/// expression filters nothing (`None`).
pub fn tag_expression(text: &str) -> Result<Option<Filter>, FilterError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut alternatives = Vec::new();
    let mut offset = 0;
    for raw in text.split(',') {
        let expr = raw.trim_start();
        let at = offset + (raw.len() - expr.len());
        offset += raw.len() + 1;
        let exact = expr.ends_with(['+', ' ']);
        let body = expr.trim_end_matches(['+', ' ']);
        let tags: Vec<&str> = body.split(['+', ' ']).collect();
        if let Some(i) = tags.iter().position(|t| t.is_empty()) {
            return Err(FilterError::at(at, format!("Tag {} of this expression is empty.", i + 1)));
        }
        let mut all: Vec<Filter> = tags.iter().map(|t| has_tag(t)).collect();
        if exact {
            let other = ElementFilter::And(tags.iter().map(|t| tag_is(Op::Ne, t)).collect());
            all.push(Filter::Not(Box::new(Filter::Any { collection: Collection::Tags, filter: Box::new(other) })));
        }
        alternatives.extend(all_of(all));
    }
    Ok(match alternatives.len() {
        1 => alternatives.pop(),
        _ => Some(Filter::Or(alternatives)),
    })
}

fn contains(attr: Scalar, text: &str) -> Filter {
    Filter::Compare { attr, op: Op::Co, value: Value::Text(text.to_owned()) }
}

/// A quick search: users whose first name, last name or email contains `text` (case-insensitively), whose
/// human id contains it (human ids are uppercase), or whose object id is exactly `text`. An empty text
/// filters nothing (`None`).
pub fn quick_search(text: &str) -> Option<Filter> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(Filter::Or(vec![
        contains(Scalar::Text(TextField::FirstName), text),
        contains(Scalar::Text(TextField::LastName), text),
        contains(Scalar::Email, text),
        contains(Scalar::HumanId, &text.to_uppercase()),
        Filter::Compare { attr: Scalar::ObjectId, op: Op::Eq, value: Value::Text(text.to_lowercase()) },
    ]))
}

/// Users whose `field` lies between `from` and `to`, both inclusive; either bound may be open.
pub fn time_window(field: TimeField, from: Option<OffsetDateTime>, to: Option<OffsetDateTime>) -> Option<Filter> {
    let bound = |op, t| Filter::Compare { attr: Scalar::Time(field), op, value: Value::Time(t) };
    all_of(from.map(|t| bound(Op::Ge, t)).into_iter().chain(to.map(|t| bound(Op::Le, t))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags_of(f: &Filter) -> String {
        match f {
            Filter::Or(p) => p.iter().map(tags_of).collect::<Vec<_>>().join(" | "),
            Filter::And(p) => p.iter().map(tags_of).collect::<Vec<_>>().join(" & "),
            Filter::Not(_) => "only".to_owned(),
            Filter::Any { filter, .. } => match filter.as_ref() {
                ElementFilter::Compare { value: Value::Text(t), .. } => t.clone(),
                _ => "?".to_owned(),
            },
            _ => "?".to_owned(),
        }
    }

    #[test]
    fn commas_are_or_and_pluses_are_and() {
        let f = tag_expression("tag_1+tag_2, tag_4").unwrap().unwrap();
        assert_eq!(tags_of(&f), "tag_1 & tag_2 | tag_4");
        assert_eq!(tags_of(&tag_expression("a").unwrap().unwrap()), "a");
    }

    #[test]
    fn a_trailing_plus_or_space_means_only_these_tags() {
        assert_eq!(tags_of(&tag_expression("a+").unwrap().unwrap()), "a & only");
        assert_eq!(tags_of(&tag_expression("a b ").unwrap().unwrap()), "a & b & only");
    }

    #[test]
    fn empty_tags_are_refused_and_an_empty_expression_filters_nothing() {
        assert!(tag_expression("a++b").is_err());
        assert!(tag_expression("a,,b").is_err());
        assert!(tag_expression("+").is_err());
        assert_eq!(tag_expression("").unwrap(), None);
        assert_eq!(tag_expression("  ").unwrap(), None);
    }

    #[test]
    fn windows_with_no_bound_filter_nothing() {
        assert_eq!(time_window(TimeField::CreatedAt, None, None), None);
        assert!(matches!(
            time_window(TimeField::CreatedAt, Some(OffsetDateTime::UNIX_EPOCH), None),
            Some(Filter::Compare { op: Op::Ge, .. })
        ));
        assert!(matches!(
            time_window(TimeField::UpdatedAt, Some(OffsetDateTime::UNIX_EPOCH), Some(OffsetDateTime::UNIX_EPOCH)),
            Some(Filter::And(_))
        ));
    }

    #[test]
    fn an_empty_search_filters_nothing() {
        assert_eq!(quick_search(" "), None);
        assert!(matches!(quick_search("ann"), Some(Filter::Or(p)) if p.len() == 5));
    }
}
