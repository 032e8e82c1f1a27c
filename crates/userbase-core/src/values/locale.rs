//! Locales: well-formed BCP 47 language tags, kept in their canonical case (`en-US`).

use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "invalid_locale", "Not a valid BCP 47 language tag (e.g. en-US).");
        if s.is_empty() || s.len() > 35 {
            return Err(invalid());
        }
        let tag = language_tags::LanguageTag::parse(s).map_err(|_| invalid())?;
        tag.validate().map_err(|_| invalid())?;
        if tag.primary_language() == "" {
            return Err(invalid());
        }
        Ok(Self(canonical_case(tag.as_str())))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag, e.g. `en` for `en-US`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

/// RFC 5646 case conventions: language lowercase, script title case, region uppercase.
fn canonical_case(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    for (i, part) in tag.split('-').enumerate() {
        if i > 0 {
            out.push('-');
        }
        match (i, part.len()) {
            (0, _) => out.push_str(&part.to_ascii_lowercase()),
            (_, 2) => out.push_str(&part.to_ascii_uppercase()),
            (_, 4) if part.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let lower = part.to_ascii_lowercase();
                out.push_str(&lower[..1].to_ascii_uppercase());
                out.push_str(&lower[1..]);
            }
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_canonicalises_tags() {
        assert_eq!(Locale::parse("locale", "en-US").unwrap().as_str(), "en-US");
        assert_eq!(Locale::parse("locale", "en-us").unwrap().as_str(), "en-US");
        assert_eq!(Locale::parse("locale", "zh-hant-tw").unwrap().as_str(), "zh-Hant-TW");
        assert_eq!(Locale::parse("locale", "nl").unwrap().language(), "nl");
    }

    #[test]
    fn rejects_malformed_tags() {
        for bad in ["", "english", "en_US", "e", "en-", "-US", "123"] {
            assert!(Locale::parse("locale", bad).is_err(), "{bad}");
        }
    }
}
