//! The server secret: with one set, access tokens minted as a database reader could (HMAC keyed by the stored
//! hash) are refused while tokens the server issues verify; keys created before the secret keep working, keys
//! created under it need it; during a rotation the previous secret still verifies. Servers with and without
//! the secret share one database here, as a restart with a new setting would.

use reqwest::Method;
use userbase_api::ServerSettings;
use userbase_core::api_key::{mint_access_token, KeyId, KeyKind, NewKey};
use userbase_core::ids::ProjectId;
use userbase_core::server_secret::{HashScheme, ServerSecret, ServerSecrets};
use userbase_testing::{backend_tests, Backend};

use crate::support::{Sibling, TestApp};

fn secret(byte: u8) -> ServerSecret {
    ServerSecret::from_bytes(&[byte; 40]).unwrap()
}

fn with_secrets(secrets: ServerSecrets) -> ServerSettings {
    // No key cache: each request reads the key, as a fresh server would.
    ServerSettings { server_secrets: secrets, key_cache_ttl: std::time::Duration::ZERO, ..ServerSettings::default() }
}

fn key_id(key: &str) -> KeyId {
    KeyId::parse(&format!("key_{}", key.split('_').nth(2).unwrap())).unwrap()
}

async fn status(app: &TestApp, base: &str, bearer: &str) -> u16 {
    TestApp::read(app.http.request(Method::GET, format!("{base}/v1/users")).bearer_auth(bearer)).await.status
}

/// An access token from `base`'s token endpoint.
async fn issued_token(app: &TestApp, base: &str, key: &str) -> String {
    let id = key_id(key);
    let form = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", key)];
    let reply = TestApp::read(app.http.post(format!("{base}/propeller/oauth2/token")).form(&form)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// What anyone who can read `api_keys` can compute: a token whose HMAC is keyed by the stored hash.
async fn token_from_the_database(app: &TestApp, key: &str) -> String {
    let stored = app.state.store.find_key(&key_id(key)).await.unwrap().unwrap();
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    mint_access_token(&stored.key.id, &stored.hash, expires, &ServerSecrets::none()).unwrap()
}

async fn new_secret_key(server: &Sibling) -> String {
    let new = NewKey {
        project_id: ProjectId::parse("acme").unwrap(),
        kind: KeyKind::Secret,
        name: None,
        user_id: None,
        scopes: vec![],
        expires_at: None,
    };
    server.state.keys.create(new).await.unwrap().plaintext
}

async fn with_a_server_secret_tokens_minted_from_the_database_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let old_key = app.key.clone();
    let forged = token_from_the_database(&app, &old_key).await;
    assert_eq!(status(&app, &app.base, &forged).await, 200, "without a server secret, reading the database is enough");

    let peppered = app.sibling(with_secrets(ServerSecrets::new(secret(b's'), None))).await;
    assert_eq!(status(&app, &peppered.base, &forged).await, 401, "with one, it is not");
    let plain_issued = issued_token(&app, &app.base, &old_key).await;
    assert_eq!(status(&app, &peppered.base, &plain_issued).await, 401, "tokens issued before the secret was set");
    let issued = issued_token(&app, &peppered.base, &old_key).await;
    assert_eq!(status(&app, &peppered.base, &issued).await, 200, "tokens the server issues verify");
    assert_eq!(status(&app, &app.base, &issued).await, 401, "and need the secret");
    assert_eq!(status(&app, &peppered.base, &old_key).await, 200, "a key created before the secret still works");
}

async fn keys_created_under_a_server_secret_need_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let peppered = app.sibling(with_secrets(ServerSecrets::new(secret(b's'), None))).await;
    let key = new_secret_key(&peppered).await;
    let stored = app.state.store.find_key(&key_id(&key)).await.unwrap().unwrap();
    assert_eq!(stored.key.hash_scheme, HashScheme::Peppered(secret(b's').id().to_owned()));
    assert_eq!(status(&app, &peppered.base, &key).await, 200);
    let without = app.sibling(with_secrets(ServerSecrets::none())).await;
    assert_eq!(status(&app, &without.base, &key).await, 401, "without the secret the key does not verify");
    let other = app.sibling(with_secrets(ServerSecrets::new(secret(b'o'), None))).await;
    assert_eq!(status(&app, &other.base, &key).await, 401, "nor with another one");
    // Its tokens are signed with the secret like every other.
    let token = issued_token(&app, &peppered.base, &key).await;
    assert_eq!(status(&app, &peppered.base, &token).await, 200);
    assert_eq!(status(&app, &peppered.base, &token_from_the_database(&app, &key).await).await, 401);
}

async fn during_a_rotation_the_previous_secret_still_verifies(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let before = app.sibling(with_secrets(ServerSecrets::new(secret(b'1'), None))).await;
    let old_key = new_secret_key(&before).await;
    let old_token = issued_token(&app, &before.base, &old_key).await;
    let rotating = app.sibling(with_secrets(ServerSecrets::new(secret(b'2'), Some(secret(b'1'))))).await;
    assert_eq!(status(&app, &rotating.base, &old_key).await, 200, "keys hashed under the previous secret");
    assert_eq!(status(&app, &rotating.base, &old_token).await, 200, "tokens signed with it");
    let new_key = new_secret_key(&rotating).await;
    let after = app.sibling(with_secrets(ServerSecrets::new(secret(b'2'), None))).await;
    assert_eq!(status(&app, &after.base, &new_key).await, 200, "new keys use the new secret");
    assert_eq!(status(&app, &after.base, &old_key).await, 401, "once the previous secret is dropped, its keys stop");
}

backend_tests!(
    with_a_server_secret_tokens_minted_from_the_database_are_refused,
    keys_created_under_a_server_secret_need_it,
    during_a_rotation_the_previous_secret_still_verifies,
);
