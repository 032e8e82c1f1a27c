//! Concurrent writes: each caller gets its own answer even when writes are committed together, uniqueness
//! and versions hold under races, and long writes (bulk imports) interleave with short ones without failing.

use std::sync::Arc;

use userbase_core::address::{AddressFields, AddressType};
use userbase_core::error::Conflict;
use userbase_core::ids::AddressId;
use userbase_core::page::{PageRequest, Position};
use userbase_core::store::{InsertOutcome, NewAddressRecord, RefsChange, StoreError, UserFilter};
use userbase_core::time_util::now_utc;
use userbase_core::user::{User, UserKey};
use userbase_core::values::ExternalRef;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

async fn concurrent_writes_each_get_their_own_answer(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let target = f.store.insert_user(&new_user(&p, Some("target@example.com"))).await.unwrap();
    let erp = ExternalRef::parse("r", "erp", "7").unwrap();

    let mut creates = Vec::new();
    for i in 0..60 {
        let mut rec = match i % 3 {
            // Distinct emails: all succeed.
            0 => new_user(&p, Some(&format!("u{i}@example.com"))),
            // One shared email: exactly one succeeds.
            1 => new_user(&p, Some("shared@example.com")),
            // One shared external ref: exactly one succeeds.
            _ => new_user(&p, None),
        };
        if i % 3 == 2 {
            rec.profile.external_refs = vec![erp.clone()];
        }
        let store = Arc::clone(&f.store);
        creates.push(tokio::spawn(async move { (i % 3, store.insert_user(&rec).await) }));
    }
    let mut updates = Vec::new();
    for i in 0..20 {
        let mut user: User = target.clone();
        user.profile.first_name = Some(format!("Name {i}"));
        let store = Arc::clone(&f.store);
        updates.push(tokio::spawn(async move {
            store
                .update_user(
                    &user,
                    userbase_core::store::UniqueClaims { email: true, live: true },
                    RefsChange::Unchanged,
                )
                .await
        }));
    }

    let mut won = [0; 3];
    for task in creates {
        let (group, result) = task.await.unwrap();
        match (group, result) {
            (_, Ok(user)) => {
                won[group] += 1;
                assert_eq!(user.version, 1);
            }
            (1, Err(StoreError::Conflict(Conflict::Email))) | (2, Err(StoreError::Conflict(Conflict::ExternalRef))) => {
            }
            (group, Err(e)) => panic!("group {group}: unexpected {e:?}"),
        }
    }
    assert_eq!(won, [20, 1, 1]);

    let mut updated = Vec::new();
    for task in updates {
        match task.await.unwrap() {
            Ok(user) => updated.push(user),
            Err(StoreError::VersionMismatch) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(updated.len(), 1, "exactly one update of version 1 wins");
    let stored = f.store.find_user(&p.id, &UserKey::Numeric(target.numeric_id)).await.unwrap().unwrap();
    assert_eq!(stored, updated[0]);
    assert_eq!(stored.version, 2);

    // Losers left nothing behind: 1 target + 20 + 1 + 1.
    let page = PageRequest { position: Position::First, limit: 100, sort: vec![] };
    let all = f.store.list_users(&p.id, &UserFilter::default(), page).await.unwrap();
    assert_eq!(all.items.len(), 23);
    let holders = f
        .store
        .find_users_by(&p.id, &userbase_core::store::UpsertKey::ExternalRef("erp".into()), &["7".into()])
        .await
        .unwrap();
    assert_eq!(holders.len(), 1);
}

async fn bulk_imports_interleave_with_single_writes(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let owner = f.store.insert_user(&new_user(&p, None)).await.unwrap();

    let records: Vec<_> = (0..3000).map(|i| new_user(&p, Some(&format!("bulk{i}@example.com")))).collect();
    let store = Arc::clone(&f.store);
    let bulk = tokio::spawn(async move { store.insert_users(&records).await });
    let mut singles = Vec::new();
    for i in 0..30 {
        let store = Arc::clone(&f.store);
        let rec = new_user(&p, Some(&format!("single{i}@example.com")));
        singles.push(tokio::spawn(async move { store.insert_user(&rec).await.map(|_| ()) }));
        // Another resource's writes go through the same database file.
        let store = Arc::clone(&f.store);
        let address = NewAddressRecord {
            project_id: p.id.clone(),
            user_id: owner.numeric_id,
            public_id: AddressId::generate(now_utc()),
            fields: AddressFields::blank(AddressType::Delivery),
            created_at: now_utc(),
        };
        singles.push(tokio::spawn(async move { store.insert_address(&address).await.map(|_| ()) }));
    }
    let outcomes = bulk.await.unwrap().unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, InsertOutcome::Inserted(id) if *id > 0)));
    for task in singles {
        task.await.unwrap().unwrap();
    }
    let count = f.store.count_users(&p.id, &UserFilter::default()).await.unwrap();
    assert_eq!(count, 1 + 3000 + 30);
    assert_eq!(f.store.list_addresses(&p.id, owner.numeric_id, None).await.unwrap().len(), 30);
}

async fn a_refused_update_fails_alone(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut users = Vec::new();
    for i in 0..30 {
        users.push(f.store.insert_user(&new_user(&p, Some(&format!("u{i}@example.com")))).await.unwrap());
    }
    let claims = userbase_core::store::UniqueClaims { email: true, live: true };
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate().skip(1) {
        let mut changed = user.clone();
        if i % 2 == 0 {
            changed.profile.first_name = Some(format!("Name {i}"));
        } else {
            // Taken by u0: refused by the unique index, whichever writes it runs beside.
            changed.profile.email = Some(userbase_core::values::Email::parse("email", "u0@example.com").unwrap());
        }
        let store = Arc::clone(&f.store);
        tasks.push(tokio::spawn(async move { (i, store.update_user(&changed, claims, RefsChange::Unchanged).await) }));
    }
    for task in tasks {
        match task.await.unwrap() {
            (i, Ok(user)) if i % 2 == 0 => assert_eq!(user.version, 2),
            (i, Err(StoreError::Conflict(Conflict::Email))) if i % 2 == 1 => {}
            (i, other) => panic!("update {i}: unexpected {other:?}"),
        }
    }
    for (i, user) in users.iter().enumerate().skip(1) {
        let stored = f.store.find_user(&p.id, &UserKey::Numeric(user.numeric_id)).await.unwrap().unwrap();
        assert_eq!(stored.version, if i % 2 == 0 { 2 } else { 1 }, "user {i}");
    }
}

backend_tests!(
    concurrent_writes_each_get_their_own_answer,
    a_refused_update_fails_alone,
    bulk_imports_interleave_with_single_writes
);
