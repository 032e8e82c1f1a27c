//! Tags and roles: short labels, deduplicated in the order given.

use crate::error::FieldError;

/// Which list a label belongs to; names the field in errors.
#[derive(Debug, Clone, Copy)]
pub enum LabelKind {
    Tag,
    Role,
}

impl LabelKind {
    fn field(self) -> &'static str {
        match self {
            LabelKind::Tag => "tags",
            LabelKind::Role => "roles",
        }
    }
}

const MAX_LABELS: usize = 100;
const MAX_LABEL_CHARS: usize = 64;

/// Each label is 1 to 64 characters with no control characters, commas or `+` (BuiltOn's tag query grammar
/// uses those as operators, so a tag holding one could never be searched).
pub fn parse_labels(kind: LabelKind, labels: Vec<String>) -> Result<Vec<String>, FieldError> {
    let field = kind.field();
    if labels.len() > MAX_LABELS {
        return Err(FieldError::new(field, "too_many_items", format!("At most {MAX_LABELS} items.")));
    }
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for (i, label) in labels.into_iter().enumerate() {
        let ok = !label.is_empty()
            && label.chars().count() <= MAX_LABEL_CHARS
            && !label.chars().any(|c| c.is_control() || c == ',' || c == '+');
        if !ok {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "invalid_label",
                format!("Each item is 1 to {MAX_LABEL_CHARS} characters, without control characters, ',' or '+'."),
            ));
        }
        if !out.contains(&label) {
            out.push(label);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_deduplicated_in_order() {
        let v = parse_labels(LabelKind::Tag, vec!["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(v, ["b", "a"]);
    }

    #[test]
    fn operator_characters_and_empty_labels_are_rejected() {
        for bad in ["", "a,b", "a+b", "a\nb"] {
            assert!(parse_labels(LabelKind::Tag, vec![bad.into()]).is_err(), "{bad:?}");
        }
    }
}
