//! User metadata: a string-to-string map with per-surface limits, written by key-wise merge.

use std::collections::BTreeMap;

use crate::error::{FieldError, FieldErrors};

/// The limits a surface enforces on metadata; a dialect with tighter limits (Gigs) defines its own.
#[derive(Debug, Clone, Copy)]
pub struct MetadataLimits {
    pub max_keys: usize,
    pub max_key_chars: usize,
    pub max_value_chars: usize,
}

impl MetadataLimits {
    /// userbase's own limits (decisions.md), for v1, imports and organizations: 50 keys, 40-character keys,
    /// 500-character values.
    pub const DEFAULT: Self = Self { max_keys: 50, max_key_chars: 40, max_value_chars: 500 };
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(BTreeMap<String, String>);

/// A merge: `Some(v)` sets a key, `None` deletes it; keys not named are untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataPatch(pub(crate) BTreeMap<String, Option<String>>);

fn check_key(key: &str, limits: MetadataLimits) -> Result<(), FieldError> {
    let field = format!("metadata.{key}");
    if key.is_empty() {
        return Err(FieldError::new("metadata", "invalid_metadata_key", "Metadata keys cannot be empty."));
    }
    if key.chars().count() > limits.max_key_chars {
        return Err(FieldError::new(
            field,
            "invalid_metadata_key",
            format!("Metadata keys are at most {} characters.", limits.max_key_chars),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_metadata_key", "Metadata keys cannot hold control characters."));
    }
    Ok(())
}

fn check_value(key: &str, value: &str, limits: MetadataLimits) -> Result<(), FieldError> {
    if value.chars().count() > limits.max_value_chars {
        return Err(FieldError::new(
            format!("metadata.{key}"),
            "invalid_metadata_value",
            format!("Metadata values are at most {} characters.", limits.max_value_chars),
        ));
    }
    Ok(())
}

impl MetadataPatch {
    /// Checks every key and value against `limits`; the total key count is checked after the merge.
    pub fn parse(entries: BTreeMap<String, Option<String>>, limits: MetadataLimits) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        for (k, v) in &entries {
            errors.take(check_key(k, limits));
            if let Some(v) = v {
                errors.take(check_value(k, v, limits));
            }
        }
        errors.finish()?;
        Ok(Self(entries))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Metadata {
    /// A full map, as given on create.
    pub fn parse(entries: BTreeMap<String, String>, limits: MetadataLimits) -> Result<Self, Vec<FieldError>> {
        let patch = MetadataPatch::parse(entries.into_iter().map(|(k, v)| (k, Some(v))).collect(), limits)?;
        let mut m = Metadata::default();
        m.merge(&patch, limits).map_err(|e| vec![e])?;
        Ok(m)
    }

    pub fn from_stored(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }

    /// Applies a merge, then checks the key count of the result.
    pub fn merge(&mut self, patch: &MetadataPatch, limits: MetadataLimits) -> Result<(), FieldError> {
        for (k, v) in &patch.0 {
            match v {
                Some(v) => {
                    self.0.insert(k.clone(), v.clone());
                }
                None => {
                    self.0.remove(k);
                }
            }
        }
        if self.0.len() > limits.max_keys {
            return Err(FieldError::new(
                "metadata",
                "too_many_metadata_keys",
                format!("Metadata holds at most {} keys.", limits.max_keys),
            ));
        }
        Ok(())
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_KEYS: MetadataLimits = MetadataLimits { max_keys: 10, max_key_chars: 40, max_value_chars: 255 };

    fn patch(entries: &[(&str, Option<&str>)]) -> MetadataPatch {
        MetadataPatch::parse(
            entries.iter().map(|(k, v)| (k.to_string(), v.map(str::to_string))).collect(),
            MetadataLimits::DEFAULT,
        )
        .unwrap()
    }

    #[test]
    fn merge_sets_deletes_and_leaves_other_keys() {
        let mut m = Metadata::default();
        m.merge(&patch(&[("a", Some("1")), ("b", Some("2"))]), MetadataLimits::DEFAULT).unwrap();
        m.merge(&patch(&[("a", None), ("c", Some(""))]), MetadataLimits::DEFAULT).unwrap();
        let keys: Vec<_> = m.as_map().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(keys, ["b=2", "c="]);
    }

    #[test]
    fn limits_are_enforced() {
        let too_long_key = "k".repeat(41);
        assert!(MetadataPatch::parse([(too_long_key, Some("v".into()))].into(), MetadataLimits::DEFAULT).is_err());
        assert!(MetadataPatch::parse([("k".into(), Some("v".repeat(256)))].into(), TEN_KEYS).is_err());
        assert!(MetadataPatch::parse([(String::new(), Some("v".into()))].into(), MetadataLimits::DEFAULT).is_err());
        let mut m = Metadata::default();
        let eleven = MetadataPatch::parse((0..11).map(|i| (format!("k{i}"), Some("v".into()))).collect(), TEN_KEYS);
        assert!(m.merge(&eleven.unwrap(), TEN_KEYS).is_err());
    }
}
