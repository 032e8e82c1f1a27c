//! References to a user in other systems (`source`, `source_id`), unique per project among live users, and
//! references to a parent group.

use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalRef {
    source: String,
    source_id: String,
}

const MAX_REFS: usize = 20;

impl ExternalRef {
    pub fn parse(field: &str, source: &str, source_id: &str) -> Result<Self, FieldError> {
        let ok = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
        if !ok(source, 64) {
            return Err(FieldError::new(
                format!("{field}.source"),
                "invalid_external_ref",
                "A source is 1 to 64 characters without control characters.",
            ));
        }
        if !ok(source_id, 255) {
            return Err(FieldError::new(
                format!("{field}.source_id"),
                "invalid_external_ref",
                "A source id is 1 to 255 characters without control characters.",
            ));
        }
        Ok(Self { source: source.to_owned(), source_id: source_id.to_owned() })
    }

    /// A whole list: each item valid, at most 20, no pair twice.
    pub fn parse_list(field: &str, items: Vec<(String, String)>) -> Result<Vec<Self>, FieldError> {
        if items.len() > MAX_REFS {
            return Err(FieldError::new(field, "too_many_items", format!("At most {MAX_REFS} external references.")));
        }
        let mut out: Vec<Self> = Vec::with_capacity(items.len());
        for (i, (source, source_id)) in items.iter().enumerate() {
            let r = Self::parse(&format!("{field}[{i}]"), source, source_id)?;
            if out.contains(&r) {
                return Err(FieldError::new(
                    format!("{field}[{i}]"),
                    "duplicate_external_ref",
                    "The same (source, source_id) pair is listed twice.",
                ));
            }
            out.push(r);
        }
        Ok(out)
    }

    pub fn from_stored(source: String, source_id: String) -> Self {
        Self { source, source_id }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn source_id(&self) -> &str {
        &self.source_id
    }
}

/// A parent group (Propeller usergroup), by organization id or by external reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum GroupRef {
    Id { id: i64 },
    External { source: String, source_id: String },
}
