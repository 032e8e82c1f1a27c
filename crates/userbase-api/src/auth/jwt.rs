//! End-user JWT verification against a project's settings (decisions.md: HS256 secret, or RS256/ES256/EdDSA
//! public keys as PEM, a JWKS document or a JWKS URL; `iss`/`aud` when configured; `exp`/`nbf` with a small
//! leeway). The algorithm decides which keys are tried, so an HS256 token is never checked against a public
//! key (no algorithm confusion), and `alg: none` does not parse.

use std::collections::HashSet;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use userbase_core::error::FieldError;
use userbase_core::project::JwtSettings;

use super::jwks::{JwksCache, Lookup};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

fn family(alg: Algorithm) -> Option<Family> {
    match alg {
        Algorithm::HS256 => Some(Family::Hmac),
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => Some(Family::Rsa),
        Algorithm::ES256 | Algorithm::ES384 => Some(Family::Ec),
        Algorithm::EdDSA => Some(Family::Ed),
        // HS384/HS512 are not offered: projects configure HS256 only.
        _ => None,
    }
}

fn pem_key(pem: &str, family: Family) -> Option<DecodingKey> {
    let bytes = pem.as_bytes();
    match family {
        Family::Rsa => DecodingKey::from_rsa_pem(bytes).ok(),
        Family::Ec => DecodingKey::from_ec_pem(bytes).ok(),
        Family::Ed => DecodingKey::from_ed_pem(bytes).ok(),
        Family::Hmac => None,
    }
}

/// The keys of a JWKS of `family`, with `kid` if the token names one.
fn jwks_keys(set: &JwkSet, family: Family, kid: Option<&str>) -> Vec<DecodingKey> {
    set.keys
        .iter()
        .filter(|k| kid.is_none_or(|kid| k.common.key_id.as_deref() == Some(kid)))
        .filter(|k| {
            matches!(
                (&k.algorithm, family),
                (AlgorithmParameters::RSA(_), Family::Rsa)
                    | (AlgorithmParameters::EllipticCurve(_), Family::Ec)
                    | (AlgorithmParameters::OctetKeyPair(_), Family::Ed)
            )
        })
        .filter_map(|k| DecodingKey::from_jwk(k).ok())
        .collect()
}

/// Why a token was refused; the reason is a metrics label, never token content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    Malformed,
    UnsupportedAlgorithm,
    NoKeyConfigured,
    UnknownKey,
    Rejected,
    KeysUnavailable,
}

impl JwtError {
    pub fn reason(self) -> &'static str {
        match self {
            JwtError::Malformed => "jwt_malformed",
            JwtError::UnsupportedAlgorithm => "jwt_algorithm",
            JwtError::NoKeyConfigured => "jwt_no_key",
            JwtError::UnknownKey => "jwt_unknown_kid",
            JwtError::Rejected => "jwt_rejected",
            JwtError::KeysUnavailable => "jwt_keys_unavailable",
        }
    }
}

/// The claims of a verified token, as sent: `exp` and `nbf` are checked for their type here, because the
/// JWT library skips a time claim it cannot read as a number instead of refusing the token.
type Claims = serde_json::Map<String, serde_json::Value>;

/// The subject of verified claims, if they are well-typed: a non-empty string `sub`, and `exp`/`nbf` numbers
/// when present (RFC 7519 4.1.4-5: NumericDate).
fn subject(mut claims: Claims) -> Option<String> {
    let time_claim_ok = |name: &str| claims.get(name).is_none_or(serde_json::Value::is_number);
    if !time_claim_ok("exp") || !time_claim_ok("nbf") {
        return None;
    }
    match claims.remove("sub") {
        Some(serde_json::Value::String(sub)) if !sub.is_empty() => Some(sub),
        _ => None,
    }
}

/// Verifies tokens; holds the per-process JWKS cache.
#[derive(Clone, Default)]
pub struct JwtVerifier {
    jwks: JwksCache,
}

impl JwtVerifier {
    /// A verifier whose JWKS fetches follow `policy`.
    pub fn new(policy: std::sync::Arc<crate::outbound::OutboundPolicy>) -> Self {
        Self { jwks: JwksCache::new(policy) }
    }

    /// The `sub` of a genuine, current token for these settings.
    pub async fn verify(&self, settings: &JwtSettings, token: &str) -> Result<String, JwtError> {
        let header = decode_header(token).map_err(|_| JwtError::Malformed)?;
        let family = family(header.alg).ok_or(JwtError::UnsupportedAlgorithm)?;
        let kid = header.kid.as_deref();
        let validation = validation(settings, header.alg);
        let mut keys: Vec<DecodingKey> = Vec::new();
        if family == Family::Hmac {
            let secret = settings.hs256_secret.as_ref().ok_or(JwtError::NoKeyConfigured)?;
            keys.push(DecodingKey::from_secret(secret.as_bytes()));
        } else {
            // PEM keys carry no kid, and a token's kid is only a hint (RFC 7515 4.1.4): issuers such as
            // Auth0 always send one, so it cannot rule a configured PEM key out.
            keys.extend(settings.public_keys_pem.iter().filter_map(|pem| pem_key(pem, family)));
            if let Some(doc) = &settings.jwks {
                if let Ok(set) = serde_json::from_str::<JwkSet>(doc) {
                    keys.extend(jwks_keys(&set, family, kid));
                }
            }
        }
        if let Some(sub) = first_subject(&keys, token, &validation) {
            return Ok(sub);
        }
        // The URL is consulted only when the stored keys fail, so a project that also has PEM keys or a
        // JWKS document still follows its issuer's rotations.
        if let (Family::Rsa | Family::Ec | Family::Ed, Some(url)) = (family, &settings.jwks_url) {
            let set = match self.jwks.get(url, kid).await {
                Lookup::Found(set) => set,
                Lookup::Unavailable => return Err(JwtError::KeysUnavailable),
            };
            let fetched = jwks_keys(&set, family, kid);
            if let Some(sub) = first_subject(&fetched, token, &validation) {
                return Ok(sub);
            }
            keys.extend(fetched);
        }
        Err(match (keys.is_empty(), settings.has_keys()) {
            (false, _) => JwtError::Rejected,
            (true, true) => JwtError::UnknownKey,
            (true, false) => JwtError::NoKeyConfigured,
        })
    }
}

fn validation(settings: &JwtSettings, alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    // A configured issuer or audience must be present and equal, not only equal when present.
    let mut required = HashSet::from(["sub".to_owned()]);
    match &settings.audience {
        Some(aud) => {
            validation.set_audience(&[aud]);
            required.insert("aud".to_owned());
        }
        None => validation.validate_aud = false,
    }
    if let Some(iss) = &settings.issuer {
        validation.set_issuer(&[iss]);
        required.insert("iss".to_owned());
    }
    validation.required_spec_claims = required;
    validation
}

/// The subject of the token, if one of `keys` verifies it under `validation` and its claims are well-typed.
fn first_subject(keys: &[DecodingKey], token: &str, validation: &Validation) -> Option<String> {
    keys.iter().find_map(|key| decode::<Claims>(token, key, validation).ok()).and_then(|data| subject(data.claims))
}

/// Checks what only cryptography can: every PEM is a public key of a supported kind and the JWKS parses.
pub fn check_settings(settings: &JwtSettings) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for (i, pem) in settings.public_keys_pem.iter().enumerate() {
        if [Family::Rsa, Family::Ec, Family::Ed].iter().all(|f| pem_key(pem, *f).is_none()) {
            errors.push(FieldError::new(
                format!("jwt.public_keys_pem[{i}]"),
                "invalid_key",
                "Not an RSA, P-256/P-384 or Ed25519 public key in PEM form.",
            ));
        }
    }
    if let Some(doc) = &settings.jwks {
        if serde_json::from_str::<JwkSet>(doc).is_err() {
            errors.push(FieldError::new("jwt.jwks", "invalid_jwks", "Not a JWKS document."));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
