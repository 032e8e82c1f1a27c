//! API keys: a recognisable prefix, a public key id and 256 bits of randomness. Only a SHA-256 hash of the
//! secret part is stored; a presented key is found by its id and its hash compared in constant time.
//! SHA-256 (not a slow password hash) is right here: the secret has 256 bits of entropy, so there is
//! nothing to brute-force, and verification stays cheap on every request. With a server secret set
//! (`server_secret`), new keys store an HMAC of the secret part keyed by it instead, and access tokens are
//! keyed by it too.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::ids::{random_base62, ProjectId};
use crate::server_secret::{HashScheme, ServerSecret, ServerSecrets};

/// The scopes of a user-bound key (BoltonSea's access flags).
pub const SCOPES: [&str; 5] = ["read", "create", "update", "delete", "manage"];

/// The scope an HTTP method needs (BoltonSea's flags): read→GET/HEAD, create→POST, update→PUT/PATCH,
/// delete→DELETE; any other method needs `manage`.
pub fn required_scope(method: &str) -> &'static str {
    match method {
        "GET" | "HEAD" => "read",
        "POST" => "create",
        "PUT" | "PATCH" => "update",
        "DELETE" => "delete",
        _ => "manage",
    }
}

/// Whether `scopes` allow an HTTP method; `manage` allows every method.
pub fn scope_allows(scopes: &[String], method: &str) -> bool {
    let needed = required_scope(method);
    scopes.iter().any(|s| s == needed || s == "manage")
}

/// What a key may do. See decisions.md, "Tenancy and credentials".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Full admin of its project on every surface.
    Secret,
    /// Identifies a project for end-user calls; grants nothing on its own.
    Publishable,
    /// Acts as one user, within its scopes.
    User,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
            KeyKind::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secret" => Some(KeyKind::Secret),
            "publishable" => Some(KeyKind::Publishable),
            "user" => Some(KeyKind::User),
            _ => None,
        }
    }

    fn token_tag(self) -> &'static str {
        match self {
            KeyKind::Secret => "sk",
            KeyKind::Publishable => "pk",
            KeyKind::User => "uk",
        }
    }

    fn from_token_tag(s: &str) -> Option<Self> {
        match s {
            "sk" => Some(KeyKind::Secret),
            "pk" => Some(KeyKind::Publishable),
            "uk" => Some(KeyKind::User),
            _ => None,
        }
    }
}

/// The public id of a key, `key_` + 16 base62 characters; safe to log and show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    const BODY_LEN: usize = 16;

    fn generate() -> Self {
        Self(format!("key_{}", random_base62(Self::BODY_LEN)))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let body = s.strip_prefix("key_")?;
        (body.len() == Self::BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| Self(s.to_owned()))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn body(&self) -> &str {
        &self.0[4..]
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of a key's secret part.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// The hash of a key's secret part under `scheme`; `None` when it names a server secret this process
    /// does not know (the key cannot be verified here).
    fn under(secret: &str, scheme: &HashScheme, secrets: &ServerSecrets) -> Option<Self> {
        match scheme {
            HashScheme::Sha256 => Some(Self::of(secret)),
            HashScheme::Peppered(id) => secrets.by_id(id).map(|s| Self(s.key_hash(secret))),
        }
    }

    /// Constant-time comparison with a stored hash.
    pub fn matches(&self, stored: &[u8]) -> bool {
        stored.len() == 32 && bool::from(self.0.ct_eq(stored))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// A key as presented by a caller, split into its parts. `Debug` never shows the secret.
pub struct PresentedKey {
    pub kind: KeyKind,
    pub id: KeyId,
    secret: String,
}

impl fmt::Debug for PresentedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PresentedKey({}, {})", self.kind.as_str(), self.id)
    }
}

const SECRET_LEN: usize = 43; // 43 base62 characters carry 256 bits.

impl PresentedKey {
    /// Parses `ub_<sk|pk|uk>_<16 id chars>_<43 secret chars>`; anything else is not a userbase key.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("ub_")?;
        let (tag, rest) = rest.split_once('_')?;
        let kind = KeyKind::from_token_tag(tag)?;
        let (id, secret) = rest.split_once('_')?;
        let id = KeyId::parse(&format!("key_{id}"))?;
        if secret.len() != SECRET_LEN || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        Some(Self { kind, id, secret: secret.to_owned() })
    }

    /// Whether the secret part hashes to `stored` under the stored key's scheme (constant-time comparison).
    /// A key hashed under a server secret this process lacks never matches; an unknown key's stand-in is
    /// compared all the same, so that time does not tell the cases apart.
    pub fn matches(&self, stored: &[u8], scheme: &HashScheme, secrets: &ServerSecrets) -> bool {
        match SecretHash::under(&self.secret, scheme, secrets) {
            Some(hash) => hash.matches(stored),
            None => {
                let _ = SecretHash::of(&self.secret).matches(stored);
                false
            }
        }
    }
}

/// How fresh `last_used_at` is kept.
pub const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

/// How long an OAuth2 access token bought with a secret key lives.
pub const ACCESS_TOKEN_SECONDS: i64 = 1800;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The HMAC of a token: keyed by the server secret when there is one (the stored hash is then part of the
/// message, so the token is still bound to the key as it is stored), else by the key's stored hash. The
/// latter is all a database reader needs to mint tokens, which is what a server secret prevents.
fn token_mac(stored_hash: &[u8], key_id: &KeyId, expires: i64, secret: Option<&ServerSecret>) -> Option<HmacSha256> {
    use hmac::Mac;
    let mut mac = match secret {
        Some(secret) => {
            let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.token_key()).ok()?;
            mac.update(stored_hash);
            mac.update(b":");
            mac
        }
        None => <HmacSha256 as Mac>::new_from_slice(stored_hash).ok()?,
    };
    mac.update(key_id.as_str().as_bytes());
    mac.update(b":");
    mac.update(expires.to_string().as_bytes());
    Some(mac)
}

/// An OAuth2 access token: `ub_at_<key id>_<expiry, unix seconds>_<HMAC>`. Stateless, so every server
/// verifies it; the HMAC is keyed by the current server secret (or, without one, by the key's stored
/// secret hash) and verification looks the key up, so revoking the key revokes its tokens at once.
pub fn mint_access_token(key_id: &KeyId, stored_hash: &[u8], expires: i64, secrets: &ServerSecrets) -> Option<String> {
    use base64::Engine;
    use hmac::Mac;
    let tag = token_mac(stored_hash, key_id, expires, secrets.current())?.finalize().into_bytes();
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag);
    Some(format!("ub_at_{}_{expires}_{tag}", key_id.body()))
}

/// An access token as presented; `verify` checks it against the key's stored hash.
pub struct PresentedAccessToken {
    pub key_id: KeyId,
    pub expires: i64,
    tag: Vec<u8>,
}

impl PresentedAccessToken {
    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        let rest = text.strip_prefix("ub_at_")?;
        let mut parts = rest.splitn(3, '_');
        let key_id = KeyId::parse(&format!("key_{}", parts.next()?))?;
        let expires = parts.next()?.parse().ok()?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        Some(Self { key_id, expires, tag })
    }

    /// Genuine (constant-time HMAC check) and not expired at `now` (unix seconds). With server secrets,
    /// only an HMAC under one of them counts (the previous one too, during a rotation); without, only one
    /// keyed by the stored hash.
    pub fn verify(&self, stored_hash: &[u8], now: i64, secrets: &ServerSecrets) -> bool {
        use hmac::Mac;
        let genuine_under = |secret: Option<&ServerSecret>| {
            token_mac(stored_hash, &self.key_id, self.expires, secret)
                .is_some_and(|m| m.verify_slice(&self.tag).is_ok())
        };
        let genuine =
            if secrets.is_set() { secrets.all().any(|s| genuine_under(Some(s))) } else { genuine_under(None) };
        genuine && self.expires > now
    }
}

/// A stored key's public record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: KeyId,
    pub project_id: ProjectId,
    pub kind: KeyKind,
    pub name: Option<String>,
    /// The first characters of the plaintext, to recognise a key in lists (`ub_sk_AbCd1234`).
    pub prefix: String,
    pub user_id: Option<i64>,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    /// How the stored hash of its secret was made.
    pub hash_scheme: HashScheme,
}

impl ApiKey {
    /// Usable at `now`: neither revoked nor expired.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    /// Whether `last_used_at` is stale enough to be written again: at most once a minute per key, so that
    /// tracking use costs no write per request.
    pub fn needs_touch(&self, now: OffsetDateTime) -> bool {
        self.last_used_at.is_none_or(|t| now - t >= LAST_USED_RESOLUTION)
    }
}

/// A freshly generated key: the record to store, the hash to store, and the plaintext to show once.
pub struct GeneratedKey {
    pub record: ApiKey,
    pub hash: SecretHash,
    pub plaintext: String,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeneratedKey({:?})", self.record)
    }
}

/// The request for a new key.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub project_id: ProjectId,
    pub kind: KeyKind,
    pub name: Option<String>,
    pub user_id: Option<i64>,
    pub scopes: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
}

impl NewKey {
    /// A new key hashed without a server secret.
    pub fn generate(self, now: OffsetDateTime) -> GeneratedKey {
        self.generate_with(now, None)
    }

    /// A new key, its secret part hashed under `server_secret` when given.
    pub fn generate_with(self, now: OffsetDateTime, server_secret: Option<&ServerSecret>) -> GeneratedKey {
        let id = KeyId::generate();
        let secret = random_base62(SECRET_LEN);
        let plaintext = format!("ub_{}_{}_{}", self.kind.token_tag(), id.body(), secret);
        let prefix = plaintext[..14].to_owned();
        let (hash, hash_scheme) = match server_secret {
            Some(s) => (SecretHash(s.key_hash(&secret)), HashScheme::Peppered(s.id().to_owned())),
            None => (SecretHash::of(&secret), HashScheme::Sha256),
        };
        GeneratedKey {
            hash,
            record: ApiKey {
                id,
                project_id: self.project_id,
                kind: self.kind,
                name: self.name,
                prefix,
                user_id: self.user_id,
                scopes: self.scopes,
                created_at: now,
                expires_at: self.expires_at,
                revoked_at: None,
                last_used_at: None,
                hash_scheme,
            },
            plaintext,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key(kind: KeyKind) -> GeneratedKey {
        new_key_with(kind, None)
    }

    fn new_key_with(kind: KeyKind, secret: Option<&ServerSecret>) -> GeneratedKey {
        NewKey {
            project_id: ProjectId::parse("p").unwrap(),
            kind,
            name: None,
            user_id: None,
            scopes: vec![],
            expires_at: None,
        }
        .generate_with(OffsetDateTime::now_utc(), secret)
    }

    fn server_secret(byte: u8) -> ServerSecret {
        ServerSecret::from_bytes(&[byte; 32]).unwrap()
    }

    const NO_SECRETS: ServerSecrets = ServerSecrets::none();

    #[test]
    fn a_generated_key_parses_back_to_its_id_and_hash() {
        let key = new_key(KeyKind::Secret);
        assert!(key.plaintext.starts_with("ub_sk_"));
        let presented = PresentedKey::parse(&key.plaintext).unwrap();
        assert_eq!(presented.kind, KeyKind::Secret);
        assert_eq!(presented.id, key.record.id);
        assert_eq!(key.record.hash_scheme, HashScheme::Sha256);
        assert!(presented.matches(&key.hash.0, &key.record.hash_scheme, &NO_SECRETS));
    }

    #[test]
    fn a_key_hashed_under_a_server_secret_verifies_only_where_that_secret_is_known() {
        let (current, previous, other) = (server_secret(b'c'), server_secret(b'p'), server_secret(b'o'));
        let key = new_key_with(KeyKind::Secret, Some(&previous));
        assert_eq!(key.record.hash_scheme, HashScheme::Peppered(previous.id().to_owned()));
        assert_ne!(key.hash.0, SecretHash::of(key.plaintext.rsplit('_').next().unwrap()).0, "not a plain SHA-256");
        let presented = PresentedKey::parse(&key.plaintext).unwrap();
        let scheme = &key.record.hash_scheme;
        assert!(presented.matches(&key.hash.0, scheme, &ServerSecrets::new(previous.clone(), None)));
        assert!(presented.matches(&key.hash.0, scheme, &ServerSecrets::new(current.clone(), Some(previous))));
        assert!(!presented.matches(&key.hash.0, scheme, &ServerSecrets::new(current, Some(other))));
        assert!(!presented.matches(&key.hash.0, scheme, &NO_SECRETS));
    }

    #[test]
    fn a_tampered_secret_does_not_match() {
        let key = new_key(KeyKind::Publishable);
        let mut tampered = key.plaintext.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'a' { 'b' } else { 'a' });
        let presented = PresentedKey::parse(&tampered).unwrap();
        assert!(!presented.matches(&key.hash.0, &HashScheme::Sha256, &NO_SECRETS));
    }

    #[test]
    fn other_strings_are_not_keys() {
        for bad in ["", "ub_sk_", "sk_live_123", "ub_xx_0123456789abcdef_0123456789012345678901234567890123456789012"] {
            assert!(PresentedKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn access_tokens_verify_only_with_their_key_and_before_expiry() {
        let key = new_key(KeyKind::Secret);
        let token = mint_access_token(&key.record.id, &key.hash.0, 2_000, &NO_SECRETS).unwrap();
        let presented = PresentedAccessToken::parse(&token).unwrap();
        assert_eq!(presented.key_id, key.record.id);
        assert!(presented.verify(&key.hash.0, 1_999, &NO_SECRETS));
        assert!(!presented.verify(&key.hash.0, 2_000, &NO_SECRETS), "expired");
        assert!(!presented.verify(&new_key(KeyKind::Secret).hash.0, 1_000, &NO_SECRETS), "another key's hash");
        let forged = token.replace("_2000_", "_9999_");
        assert!(
            !PresentedAccessToken::parse(&forged).unwrap().verify(&key.hash.0, 1_000, &NO_SECRETS),
            "a changed expiry"
        );
    }

    #[test]
    fn with_a_server_secret_only_tokens_signed_under_it_verify() {
        let key = new_key(KeyKind::Secret);
        let (current, previous) = (server_secret(b'c'), server_secret(b'p'));
        let secrets = ServerSecrets::new(current.clone(), None);
        // What anyone who can read the database can compute: the HMAC keyed by the stored hash.
        let minted_from_the_database = mint_access_token(&key.record.id, &key.hash.0, 2_000, &NO_SECRETS).unwrap();
        let forged = PresentedAccessToken::parse(&minted_from_the_database).unwrap();
        assert!(!forged.verify(&key.hash.0, 1_000, &secrets));
        let issued = mint_access_token(&key.record.id, &key.hash.0, 2_000, &secrets).unwrap();
        let issued = PresentedAccessToken::parse(&issued).unwrap();
        assert!(issued.verify(&key.hash.0, 1_000, &secrets));
        assert!(!issued.verify(&key.hash.0, 1_000, &NO_SECRETS), "not without the secret");
        assert!(!issued.verify(&new_key(KeyKind::Secret).hash.0, 1_000, &secrets), "another key's hash");
        let rotated = ServerSecrets::new(server_secret(b'n'), Some(current));
        assert!(issued.verify(&key.hash.0, 1_000, &rotated), "the previous secret still verifies during a rotation");
        assert!(!issued.verify(&key.hash.0, 1_000, &ServerSecrets::new(previous, None)));
    }

    #[test]
    fn each_scope_allows_exactly_its_methods_and_manage_allows_all() {
        let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let allowed = |scope: &str| -> Vec<&str> {
            methods.iter().copied().filter(|m| scope_allows(&[scope.to_owned()], m)).collect()
        };
        assert_eq!(allowed("read"), ["GET", "HEAD"]);
        assert_eq!(allowed("create"), ["POST"]);
        assert_eq!(allowed("update"), ["PUT", "PATCH"]);
        assert_eq!(allowed("delete"), ["DELETE"]);
        assert_eq!(allowed("manage"), methods);
        assert!(!scope_allows(&[], "GET"), "no scopes allow nothing");
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = new_key(KeyKind::Secret);
        let secret = key.plaintext.rsplit('_').next().unwrap().to_owned();
        assert!(!format!("{key:?}").contains(&secret));
        assert!(!format!("{:?}", PresentedKey::parse(&key.plaintext).unwrap()).contains(&secret));
    }
}
