//! The server secret (a "pepper"): an optional secret the operator keeps outside the database. When set, it
//! keys the HMAC of OAuth access tokens (so that reading the database is not enough to mint one) and is mixed
//! into the stored hash of every key created from then on (so that a stolen hash cannot be checked against a
//! guessed key without it). Keys record which scheme made their hash (`HashScheme`), so keys made before the
//! secret was set keep verifying.
//!
//! Two secrets can be known at once: the current one, which makes new keys and tokens, and a previous one,
//! which only verifies, for a rotation (README, "Hardening").

use std::fmt;

use hmac::Mac;
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The shortest server secret accepted, after trailing whitespace is trimmed.
pub const MIN_SERVER_SECRET_BYTES: usize = 32;

/// Which function made a key's stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashScheme {
    /// SHA-256 of the key's secret part: keys created without a server secret.
    Sha256,
    /// HMAC-SHA-256 of the key's secret part, keyed by the server secret with this public id.
    Peppered(String),
}

impl HashScheme {
    const PEPPER_PREFIX: &'static str = "pepper:";

    /// The stored form: `sha256` or `pepper:<secret id>`.
    pub fn to_stored(&self) -> String {
        match self {
            HashScheme::Sha256 => "sha256".to_owned(),
            HashScheme::Peppered(id) => format!("{}{id}", Self::PEPPER_PREFIX),
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "sha256" => Some(HashScheme::Sha256),
            _ => {
                let id = stored.strip_prefix(Self::PEPPER_PREFIX)?;
                (!id.is_empty()).then(|| HashScheme::Peppered(id.to_owned()))
            }
        }
    }
}

/// Why a server secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerSecretError {
    #[error(
        "the server secret is too short ({0} bytes); it must be at least 32 bytes, e.g. the output of \
         `openssl rand -base64 48`"
    )]
    TooShort(usize),
}

/// One server secret, held only as keys derived from it (one per use, so that no use can stand in for
/// another) and a public id. `Debug` shows the id only.
#[derive(Clone)]
pub struct ServerSecret {
    hash_key: [u8; 32],
    token_key: [u8; 32],
    id: String,
}

fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    // HMAC accepts a key of any length, so this cannot fail; the fallback only keeps the type total.
    match <HmacSha256 as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(label);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

impl ServerSecret {
    /// The secret from a file's content; trailing whitespace (a final newline) does not count, so editing
    /// the file does not change the secret by accident.
    pub fn from_bytes(content: &[u8]) -> Result<Self, ServerSecretError> {
        let end = content.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
        let secret = &content[..end];
        if secret.len() < MIN_SERVER_SECRET_BYTES {
            return Err(ServerSecretError::TooShort(secret.len()));
        }
        let id_bytes = derive(secret, b"userbase server secret id");
        let id = id_bytes[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            hash_key: derive(secret, b"userbase key hash"),
            token_key: derive(secret, b"userbase access token"),
            id,
        })
    }

    /// A public id of the secret (16 hex characters), recorded with each key hashed under it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stored hash of a key's secret part under this server secret.
    pub(crate) fn key_hash(&self, key_secret: &str) -> [u8; 32] {
        derive(&self.hash_key, key_secret.as_bytes())
    }

    /// The key of access-token HMACs under this server secret.
    pub(crate) fn token_key(&self) -> &[u8; 32] {
        &self.token_key
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerSecret({})", self.id)
    }
}

/// The server secrets this process knows: none (tokens and hashes as without a pepper), a current one, or a
/// current one and the previous one during a rotation.
#[derive(Debug, Clone, Default)]
pub struct ServerSecrets {
    current: Option<ServerSecret>,
    previous: Option<ServerSecret>,
}

impl ServerSecrets {
    pub const fn none() -> Self {
        Self { current: None, previous: None }
    }

    pub fn new(current: ServerSecret, previous: Option<ServerSecret>) -> Self {
        Self { current: Some(current), previous }
    }

    /// The secret that hashes new keys and signs new tokens.
    pub fn current(&self) -> Option<&ServerSecret> {
        self.current.as_ref()
    }

    /// Every known secret, current first.
    pub fn all(&self) -> impl Iterator<Item = &ServerSecret> {
        self.current.iter().chain(self.previous.iter())
    }

    /// The known secret with this id.
    pub fn by_id(&self, id: &str) -> Option<&ServerSecret> {
        self.all().find(|s| s.id == id)
    }

    pub fn is_set(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_secret_is_refused_and_a_final_newline_does_not_count() {
        assert_eq!(ServerSecret::from_bytes(&[b'x'; 31]).err(), Some(ServerSecretError::TooShort(31)));
        let spaced = format!("{}\n\n", "x".repeat(31));
        assert_eq!(ServerSecret::from_bytes(spaced.as_bytes()).err(), Some(ServerSecretError::TooShort(31)));
        let plain = ServerSecret::from_bytes(&[b'x'; 32]).unwrap();
        let with_newline = ServerSecret::from_bytes(format!("{}\r\n", "x".repeat(32)).as_bytes()).unwrap();
        assert_eq!(plain.id(), with_newline.id());
        assert_eq!(plain.key_hash("s"), with_newline.key_hash("s"));
    }

    #[test]
    fn different_secrets_have_different_ids_and_hashes_and_debug_shows_no_key() {
        let a = ServerSecret::from_bytes(&[b'a'; 40]).unwrap();
        let b = ServerSecret::from_bytes(&[b'b'; 40]).unwrap();
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        assert_ne!(a.key_hash("s"), b.key_hash("s"));
        assert_ne!(a.key_hash("s"), a.token_key()[..], "one key per use");
        assert_eq!(format!("{a:?}"), format!("ServerSecret({})", a.id()));
    }

    #[test]
    fn hash_schemes_round_trip_through_their_stored_form() {
        for scheme in [HashScheme::Sha256, HashScheme::Peppered("0123456789abcdef".into())] {
            assert_eq!(HashScheme::parse(&scheme.to_stored()), Some(scheme));
        }
        assert_eq!(HashScheme::parse("pepper:"), None);
        assert_eq!(HashScheme::parse("md5"), None);
    }
}
