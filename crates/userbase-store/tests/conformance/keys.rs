use userbase_core::api_key::{KeyId, KeyKind, NewKey};
use userbase_core::time_util::now_utc;
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

backend_tests!(keys_are_found_with_their_hash_and_project_and_revoked_once, listed_keys_name_their_users);
