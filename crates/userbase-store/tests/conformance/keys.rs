use std::time::Duration;

use userbase_core::api_key::{KeyId, KeyKind, NewKey};
use userbase_core::server_secret::{HashScheme, ServerSecret};
use userbase_core::store::{KeyChange, KeyChanges, RefsChange, UniqueClaims};
use userbase_core::time_util::now_utc;
use userbase_core::user::UserStatus;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

async fn keys_are_found_with_their_hash_and_project_and_revoked_once(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let key = NewKey {
        project_id: p.id.clone(),
        kind: KeyKind::Secret,
        name: Some("ci".into()),
        user_id: None,
        scopes: vec!["read".into()],
        expires_at: None,
    }
    .generate(now_utc());
    f.store.insert_key(&key.record, &key.hash).await.unwrap();

    let found = f.store.find_key(&key.record.id).await.unwrap().unwrap();
    assert_eq!(found.key, key.record);
    assert_eq!(*found.project, p);
    assert!(key.hash.matches(&found.hash));
    let listed = f.store.list_keys(&p.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((&listed[0].key, &listed[0].user), (&key.record, &None));

    let first = f.store.revoke_key(&key.record.id, now_utc()).await.unwrap().unwrap();
    let second = f.store.revoke_key(&key.record.id, now_utc()).await.unwrap().unwrap();
    assert!(first.revoked_at.is_some());
    assert_eq!(first.revoked_at, second.revoked_at, "a second revoke keeps the first time");
    let unknown = KeyId::parse("key_0000000000000000").unwrap();
    assert!(f.store.revoke_key(&unknown, now_utc()).await.unwrap().is_none());
    assert!(f.store.find_key(&unknown).await.unwrap().is_none());
}

/// A list of keys names each bound key's user in the same query; a key of one project never shows another
/// project's user.
async fn listed_keys_name_their_users(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = f.store.insert_user(&new_user(&p, Some("a@example.com"))).await.unwrap();
    let bound = NewKey {
        project_id: p.id.clone(),
        kind: KeyKind::User,
        name: None,
        user_id: Some(user.numeric_id),
        scopes: vec!["read".into()],
        expires_at: None,
    }
    .generate(now_utc());
    f.store.insert_key(&bound.record, &bound.hash).await.unwrap();
    let listed = f.store.list_keys(&p.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].user.as_ref(), Some(&user.public_id));
    let q = project("beta");
    f.store.insert_project(&q).await.unwrap();
    assert!(f.store.list_keys(&q.id).await.unwrap().is_empty());
}

/// A key bound to a deleted user is no key until the user is restored, and every process following key
/// changes hears of both.
async fn a_key_of_a_deleted_user_is_not_found_and_the_change_is_announced(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = f.store.insert_user(&new_user(&p, Some("a@example.com"))).await.unwrap();
    let bound = NewKey {
        project_id: p.id.clone(),
        kind: KeyKind::User,
        name: None,
        user_id: Some(user.numeric_id),
        scopes: vec!["read".into()],
        expires_at: None,
    }
    .generate(now_utc());
    f.store.insert_key(&bound.record, &bound.hash).await.unwrap();
    assert!(f.store.find_key(&bound.record.id).await.unwrap().is_some());

    let mut changes = f.store.key_changes();
    match backend {
        // The listener says `All` once it listens; a notice sent before that would be missed.
        Backend::Postgres => assert_eq!(next_change(&mut changes).await, Some(KeyChange::All)),
        // The watcher must have read the counter once before it changes.
        Backend::Sqlite => tokio::time::sleep(Duration::from_millis(300)).await,
    }
    let announced = match backend {
        Backend::Postgres => KeyChange::Key(bound.record.id.clone()),
        Backend::Sqlite => KeyChange::All,
    };

    let mut deleted = user.clone();
    deleted.status = UserStatus::Deleted;
    deleted.deleted_at = Some(now_utc());
    let deleted = f.store.update_user(&deleted, UniqueClaims { email: false, live: false }, RefsChange::Rewrite).await;
    let deleted = deleted.unwrap();
    assert!(f.store.find_key(&bound.record.id).await.unwrap().is_none(), "a deleted user's key is no key");
    assert_eq!(next_change(&mut changes).await, Some(announced.clone()), "the delete is announced");

    let mut restored = deleted;
    restored.status = UserStatus::Active;
    restored.deleted_at = None;
    f.store.update_user(&restored, UniqueClaims { email: true, live: true }, RefsChange::Rewrite).await.unwrap();
    assert!(f.store.find_key(&bound.record.id).await.unwrap().is_some(), "a restored user's key works again");
    assert_eq!(next_change(&mut changes).await, Some(announced), "the restore is announced");
}

/// The next key change, if one comes within two seconds.
async fn next_change(changes: &mut KeyChanges) -> Option<KeyChange> {
    tokio::time::timeout(Duration::from_secs(2), changes.recv()).await.ok().flatten()
}

/// A key hashed under a server secret is stored with its scheme, which every read gives back; keys made
/// without one read as `sha256`.
async fn keys_keep_the_scheme_of_their_hash(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let secret = ServerSecret::from_bytes(&[b's'; 32]).unwrap();
    let new = |name: &str| NewKey {
        project_id: p.id.clone(),
        kind: KeyKind::Secret,
        name: Some(name.into()),
        user_id: None,
        scopes: vec![],
        expires_at: None,
    };
    let peppered = new("peppered").generate_with(now_utc(), Some(&secret));
    let plain = new("plain").generate(now_utc());
    for key in [&peppered, &plain] {
        f.store.insert_key(&key.record, &key.hash).await.unwrap();
    }
    assert_eq!(peppered.record.hash_scheme, HashScheme::Peppered(secret.id().to_owned()));
    assert_eq!(plain.record.hash_scheme, HashScheme::Sha256);
    for key in [&peppered, &plain] {
        let found = f.store.find_key(&key.record.id).await.unwrap().unwrap();
        assert_eq!(found.key.hash_scheme, key.record.hash_scheme);
        assert!(key.hash.matches(&found.hash));
    }
    let listed: Vec<_> = f.store.list_keys(&p.id).await.unwrap().into_iter().map(|l| l.key.hash_scheme).collect();
    assert!(listed.contains(&peppered.record.hash_scheme) && listed.contains(&HashScheme::Sha256), "{listed:?}");
    let revoked = f.store.revoke_key(&peppered.record.id, now_utc()).await.unwrap().unwrap();
    assert_eq!(revoked.hash_scheme, peppered.record.hash_scheme);
}

backend_tests!(
    keys_are_found_with_their_hash_and_project_and_revoked_once,
    listed_keys_name_their_users,
    a_key_of_a_deleted_user_is_not_found_and_the_change_is_announced,
    keys_keep_the_scheme_of_their_hash
);
