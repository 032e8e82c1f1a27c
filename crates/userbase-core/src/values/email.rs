//! Email addresses: a valid addr-spec, kept as spelled; compared case-insensitively through `normalized`.

use std::str::FromStr;

use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    const MAX_LEN: usize = 254;

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let trimmed = s.trim();
        if trimmed.len() > Self::MAX_LEN {
            return Err(FieldError::new(field, "invalid_email", "An email address is at most 254 characters."));
        }
        match email_address::EmailAddress::from_str(trimmed) {
            // Display names ("Jerry <j@x>") parse too; only a bare addr-spec is an email here.
            Ok(addr) if addr.as_str() == trimmed && !trimmed.contains(['<', '>', ' ']) => Ok(Self(trimmed.to_owned())),
            _ => Err(FieldError::new(field, "invalid_email", "Not a valid email address.")),
        }
    }

    /// For values read back from the store, which only holds parsed emails.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and lookups compare: lowercase, as spelled otherwise.
    pub fn normalized(&self) -> String {
        normalize_email(&self.0)
    }
}

/// Lowercases an email for comparison; used for both stored values and search input.
pub fn normalize_email(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addr_specs_and_keeps_their_spelling() {
        let e = Email::parse("email", "Jerry@Example.com").unwrap();
        assert_eq!(e.as_str(), "Jerry@Example.com");
        assert_eq!(e.normalized(), "jerry@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_email() {
        for bad in ["", "jerry", "jerry@", "@example.com", "Jerry <j@example.com>", "a b@example.com"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }
}
