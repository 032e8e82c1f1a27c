use userbase_core::api_key::{KeyId, KeyKind, NewKey};
use userbase_core::time_util::now_utc;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, project};

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
    assert_eq!(f.store.list_keys(&p.id).await.unwrap(), vec![key.record.clone()]);

    let first = f.store.revoke_key(&key.record.id, now_utc()).await.unwrap().unwrap();
    let second = f.store.revoke_key(&key.record.id, now_utc()).await.unwrap().unwrap();
    assert!(first.revoked_at.is_some());
    assert_eq!(first.revoked_at, second.revoked_at, "a second revoke keeps the first time");
    let unknown = KeyId::parse("key_0000000000000000").unwrap();
    assert!(f.store.revoke_key(&unknown, now_utc()).await.unwrap().is_none());
    assert!(f.store.find_key(&unknown).await.unwrap().is_none());
}

backend_tests!(keys_are_found_with_their_hash_and_project_and_revoked_once);
