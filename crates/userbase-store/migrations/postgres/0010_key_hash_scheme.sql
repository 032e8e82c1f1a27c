-- How each key's secret_hash was computed: 'sha256' (the secret's SHA-256, every key made before a server
-- secret was set) or 'pepper:<id>' (an HMAC-SHA-256 of the secret keyed by the server secret whose public id
-- follows the colon). Verification follows the key's own scheme, so keys made before the server secret was set
-- keep working after it is.
ALTER TABLE api_keys ADD COLUMN hash_scheme TEXT NOT NULL DEFAULT 'sha256';
