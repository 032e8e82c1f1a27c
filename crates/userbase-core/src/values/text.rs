//! Free-text fields, birth dates and gender.

use time::{Date, OffsetDateTime};

use crate::error::FieldError;

/// Upper bounds for free-text fields, in characters.
#[derive(Debug, Clone, Copy)]
pub enum TextLimit {
    /// Names, phone numbers, codes.
    Short,
    /// Bios and notes.
    Long,
}

impl TextLimit {
    fn max_chars(self) -> usize {
        match self {
            TextLimit::Short => 255,
            TextLimit::Long => 4_000,
        }
    }
}

/// Trims nothing and accepts any text without control characters (tabs and newlines allowed in long text).
pub fn parse_text(field: &str, s: &str, limit: TextLimit) -> Result<String, FieldError> {
    if s.chars().count() > limit.max_chars() {
        return Err(FieldError::new(field, "too_long", format!("At most {} characters.", limit.max_chars())));
    }
    let allowed_control = |c: char| matches!(limit, TextLimit::Long) && matches!(c, '\n' | '\r' | '\t');
    if s.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(FieldError::new(field, "invalid_characters", "Control characters are not allowed."));
    }
    Ok(s.to_owned())
}

/// A birth date: an RFC 3339 full-date (`YYYY-MM-DD`), not in the future, not before 1900.
pub fn parse_birth_date(field: &str, s: &str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(s, &format)
        .map_err(|_| FieldError::new(field, "invalid_date", "Not a valid date in the form YYYY-MM-DD."))?;
    if date > OffsetDateTime::now_utc().date() {
        return Err(FieldError::new(field, "date_in_future", "A birth date cannot be in the future."));
    }
    if date.year() < 1900 {
        return Err(FieldError::new(field, "invalid_date", "A birth date cannot be before 1900."));
    }
    Ok(date)
}

/// The canonical genders (Propeller's `M`/`F`/`U`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

impl Gender {
    /// The canonical one-letter code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
            Gender::Unknown => "U",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "M" | "m" => Some(Gender::Male),
            "F" | "f" => Some(Gender::Female),
            "U" | "u" => Some(Gender::Unknown),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_must_be_real_past_dates() {
        assert!(parse_birth_date("birthday", "2017-07-21").is_ok());
        for bad in ["2017-02-30", "21/07/2017", "2017-7-21", "9999-01-01", "1800-01-01", ""] {
            assert!(parse_birth_date("birthday", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_rejects_control_characters_and_overlong_values() {
        assert!(parse_text("first_name", "Jerry", TextLimit::Short).is_ok());
        assert!(parse_text("first_name", "Je\u{0}rry", TextLimit::Short).is_err());
        assert!(parse_text("bio", "line\nline", TextLimit::Long).is_ok());
        assert!(parse_text("first_name", "line\nline", TextLimit::Short).is_err());
        assert!(parse_text("first_name", &"x".repeat(256), TextLimit::Short).is_err());
    }
}
