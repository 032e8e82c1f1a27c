//! Identifiers. Every user gets three at creation, whatever surface creates it: a time-ordered public id
//! (`usr_` + 28 base62), a 24-hex ObjectId (BuiltOn) and a positive integer (Propeller, BoltonSea; assigned by
//! the store). Projects have short, path-safe ids chosen by the operator.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use rand::Rng;
use time::OffsetDateTime;

use crate::error::FieldError;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `bytes` (big-endian) as exactly `width` base62 digits, left-padded with `0`.
/// The alphabet is in ASCII order, so string order equals numeric order.
fn base62_fixed(bytes: &[u8], width: usize) -> String {
    // Long division by 62 per digit, over 32-bit limbs (most significant first): a quarter of the divisions
    // of byte limbs, on the path of every user created.
    let mut limbs: Vec<u32> =
        bytes.rchunks(4).rev().map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))).collect();
    let mut digits = vec![b'0'; width];
    let mut pos = width;
    while limbs.iter().any(|&l| l != 0) && pos > 0 {
        let mut rem: u64 = 0;
        for limb in limbs.iter_mut() {
            let acc = (rem << 32) | u64::from(*limb);
            *limb = (acc / 62) as u32;
            rem = acc % 62;
        }
        pos -= 1;
        digits[pos] = BASE62[rem as usize];
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// Random base62 text of `len` characters.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| BASE62[rng.gen_range(0..62)] as char).collect()
}

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

const TIME_ID_BODY_LEN: usize = 28;

/// 28 base62 characters: 48 bits of milliseconds then 112 random bits, so that lexicographic order is
/// creation order.
fn time_ordered_body(at: OffsetDateTime) -> String {
    let millis = (at.unix_timestamp_nanos() / 1_000_000) as u64;
    let mut raw = [0u8; 20];
    raw[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    rand::thread_rng().fill(&mut raw[6..]);
    base62_fixed(&raw, TIME_ID_BODY_LEN)
}

/// Declares a public id type: a prefix plus a time-ordered base62 body.
macro_rules! time_ordered_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate(at: OffsetDateTime) -> Self {
                Self(format!("{}{}", Self::PREFIX, time_ordered_body(at)))
            }

            /// Accepts only the exact shape userbase generates; anything else is not an id of ours.
            pub fn parse(s: &str) -> Option<Self> {
                let body = s.strip_prefix(Self::PREFIX)?;
                (body.len() == TIME_ID_BODY_LEN && is_base62(body)).then(|| Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

time_ordered_id!(
    /// A user's public id, `usr_` + 28 base62 characters.
    PublicUserId,
    "usr_"
);
time_ordered_id!(
    /// An address's public id, `adr_` + 28 base62 characters.
    AddressId,
    "adr_"
);
time_ordered_id!(
    /// An organization's public id, `org_` + 28 base62 characters.
    OrganizationId,
    "org_"
);

/// A MongoDB-style ObjectId: 4 bytes of UNIX seconds, 5 random bytes, a 3-byte counter; 24 lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

static OBJECT_ID_COUNTER: AtomicU32 = AtomicU32::new(0);

impl ObjectId {
    pub fn generate(at: OffsetDateTime) -> Self {
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&(at.unix_timestamp() as u32).to_be_bytes());
        rand::thread_rng().fill(&mut raw[4..9]);
        let count = OBJECT_ID_COUNTER.fetch_add(1, Ordering::Relaxed);
        raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        Self(raw.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// BuiltOn's human id: 6 characters of `[0-9A-Z]`, unique within a project (regenerated on collision).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HumanId(String);

impl HumanId {
    const ALPHABET: &'static [u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        Self((0..6).map(|_| Self::ALPHABET[rng.gen_range(0..36)] as char).collect())
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A project's short id, usable in paths: 1 to 63 of `[a-z0-9-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectId(String);

impl ProjectId {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                "project_id",
                "invalid_project_id",
                "A project id is 1 to 63 characters of a-z, 0-9 and '-', not starting with '-'.",
            ))
        }
    }

    /// For values read back from the store, which only ever holds parsed ids.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn public_ids_have_the_documented_shape_and_sort_by_time() {
        let a = PublicUserId::generate(datetime!(2021-01-21 19:38:34 UTC));
        let b = PublicUserId::generate(datetime!(2021-01-21 19:38:35 UTC));
        assert_eq!(a.as_str().len(), 4 + 28);
        assert!(PublicUserId::parse(a.as_str()).is_some());
        assert!(a < b);
    }

    #[test]
    fn public_id_parse_rejects_other_shapes() {
        for bad in ["", "usr_", "usr_abc", "usr_0SNlurA049MEWV4OpCwsNyC9Kn2-", "org_0SNlurA049MEWV4OpCwsNyC9Kn2d"] {
            assert!(PublicUserId::parse(bad).is_none(), "{bad}");
        }
        assert!(PublicUserId::parse("usr_0SNlurA049MEWV4OpCwsNyC9Kn2d").is_some());
    }

    #[test]
    fn base62_is_fixed_width_and_order_preserving() {
        assert_eq!(base62_fixed(&[0, 0], 4), "0000");
        assert_eq!(base62_fixed(&[0, 61], 4), "000z");
        assert_eq!(base62_fixed(&[0, 62], 4), "0010");
        assert!(base62_fixed(&[1, 0], 4) < base62_fixed(&[1, 1], 4));
        // Lengths that are not a multiple of four bytes, and all 160 bits of a public id's body.
        assert_eq!(base62_fixed(&[7, 0, 0, 0, 0, 1], 9), "02BVA7Ahd");
        assert_eq!(base62_fixed(&[0xff; 20], 28), "0aWgEPTl1tmebfsQzFP4bxwgy80V");
        let counting: Vec<u8> = (1..=20).collect();
        assert_eq!(base62_fixed(&counting, 28), "008umpsRGMi9hXbwR6pXWz2Ckob6");
    }

    #[test]
    fn object_ids_are_24_lowercase_hex_and_unique() {
        let now = OffsetDateTime::now_utc();
        let a = ObjectId::generate(now);
        let b = ObjectId::generate(now);
        assert!(ObjectId::parse(a.as_str()).is_some());
        assert_ne!(a, b);
    }

    #[test]
    fn project_ids_are_path_safe() {
        assert!(ProjectId::parse("acme-prod").is_ok());
        assert!(ProjectId::parse("gigs").is_ok());
        for bad in ["", "-x", "Acme", "a b", "a/b", &"x".repeat(64)] {
            assert!(ProjectId::parse(bad).is_err(), "{bad}");
        }
    }
}
