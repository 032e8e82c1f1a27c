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
    fn rejects_unassigned_or_malformed_codes() {
        for bad in ["", "N", "NLD", "XX", "ZZ", "12"] {
            assert!(CountryCode::parse("country", bad).is_err(), "{bad}");
        }
    }
}
