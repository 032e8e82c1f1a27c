//! Countries: ISO 3166-1 alpha-2 codes, uppercase.

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode(isocountry::CountryCode);

impl CountryCode {
    /// Accepts an assigned alpha-2 code in either case.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        if s.len() == 2 {
            if let Ok(c) = isocountry::CountryCode::for_alpha2_caseless(s) {
                return Ok(Self(c));
            }
        }
        Err(FieldError::new(field, "invalid_country", "Not an ISO 3166-1 alpha-2 country code (e.g. NL)."))
    }

    /// The country with this English short name (`Norway`), compared case-insensitively; `None` for any
    /// other text (names are kept as given beside the code, so nothing is lost when none matches).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        isocountry::CountryCode::iter().find(|c| c.name().eq_ignore_ascii_case(name)).map(|c| Self(*c))
    }

    pub fn as_str(&self) -> &'static str {
        self.0.alpha2()
    }

    /// The English short name, e.g. `Norway`.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_in_any_case() {
        assert_eq!(CountryCode::parse("country", "nl").unwrap().as_str(), "NL");
        assert_eq!(CountryCode::parse("country", "CA").unwrap().as_str(), "CA");
    }

    #[test]
    fn names_give_their_codes() {
        assert_eq!(CountryCode::from_name("Norway").unwrap().as_str(), "NO");
        assert_eq!(CountryCode::from_name(" norway ").unwrap().as_str(), "NO");
        assert!(CountryCode::from_name("Atlantis").is_none());
    }

    #[test]
    fn rejects_unassigned_or_malformed_codes() {
        for bad in ["", "N", "NLD", "XX", "ZZ", "12"] {
            assert!(CountryCode::parse("country", bad).is_err(), "{bad}");
        }
    }
}
