use userbase_core::error::Conflict;
use userbase_core::page::{PageRequest, Position};
use userbase_core::store::{InsertOutcome, UpsertKey, UserFilter};
use userbase_core::values::ExternalRef;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

async fn bulk_inserts_classify_conflicts_and_retry_human_id_collisions(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    // Alone, and behind 600 records that conflict nowhere (a batch PostgreSQL first inserts whole with plain
    // inserts, then again record by record once one conflicts).
    for (project_id, padding) in [("acme", 0), ("big", 600)] {
        classify_conflicts(&f, project_id, padding).await;
    }
    let p = project("clean");
    f.store.insert_project(&p).await.unwrap();
    let first = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let mut records: Vec<_> = (0..1_100).map(|i| new_user(&p, Some(&format!("u{i}@example.com")))).collect();
    // A human id that is taken is drawn again, without giving up the rest of the batch.
    records[700].human_id = first.human_id.clone();
    let outcomes = f.store.insert_users(&records).await.unwrap();
    for (record, outcome) in records.iter().zip(&outcomes) {
        let InsertOutcome::Inserted(id) = outcome else { panic!("{outcome:?}") };
        let stored = f.store.find_user(&p.id, &userbase_core::user::UserKey::Numeric(*id)).await.unwrap().unwrap();
        assert_eq!(stored.public_id, record.public_id);
        assert_ne!(stored.human_id, first.human_id, "{}", record.public_id);
    }
}

async fn classify_conflicts(f: &super::Fixture, project_id: &str, padding: usize) {
    let p = project(project_id);
    f.store.insert_project(&p).await.unwrap();
    let existing = f.store.insert_user(&new_user(&p, Some("old@example.com"))).await.unwrap();
    let mut records = vec![
        new_user(&p, Some("a@example.com")),
        new_user(&p, Some("OLD@example.com")),
        new_user(&p, Some("A@example.com")),
        new_user(&p, None),
        new_user(&p, None),
        new_user(&p, None),
    ];
    records[3].human_id = existing.human_id.clone();
    records[4].profile.external_refs = vec![ExternalRef::parse("r", "erp", "1").unwrap()];
    records[5].profile.external_refs = vec![ExternalRef::parse("r", "erp", "1").unwrap()];
    let padded: Vec<_> = (0..padding).map(|i| new_user(&p, Some(&format!("pad{i}@example.com")))).collect();
    let outcomes = f.store.insert_users(&[padded.clone(), records.clone()].concat()).await.unwrap();
    assert!(outcomes[..padding].iter().all(|o| matches!(o, InsertOutcome::Inserted(_))));
    let outcomes = &outcomes[padding..];
    let all = f
        .store
        .list_users(&p.id, &UserFilter::default(), PageRequest { position: Position::First, limit: 1000, sort: vec![] })
        .await
        .unwrap();
    assert_eq!(all.items.len(), 4 + padding, "conflicting records left nothing behind");
    // Each inserted record's outcome carries the integer id it was stored under.
    let id_of = |n: usize| all.items.iter().find(|u| u.public_id == records[n].public_id).unwrap().numeric_id;
    assert_eq!(
        outcomes,
        [
            InsertOutcome::Inserted(id_of(0)),
            InsertOutcome::Conflict(Conflict::Email),
            InsertOutcome::Conflict(Conflict::Email),
            InsertOutcome::Inserted(id_of(3)),
            InsertOutcome::Inserted(id_of(4)),
            InsertOutcome::Conflict(Conflict::ExternalRef),
        ]
    );
    let collided = all.items.iter().find(|u| u.public_id == records[3].public_id).unwrap();
    assert_ne!(collided.human_id, existing.human_id, "the colliding human id was replaced");
    let by_ref = f.store.find_users_by(&p.id, &UpsertKey::ExternalRef("erp".into()), &["1".into()]).await.unwrap();
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0].public_id, records[4].public_id);
    let by_email = f
        .store
        .find_users_by(&p.id, &UpsertKey::Email, &["a@example.com".into(), "old@example.com".into()])
        .await
        .unwrap();
    assert_eq!(by_email.len(), 2);
    let by_id = f.store.find_users_by(&p.id, &UpsertKey::Id, &[existing.public_id.to_string()]).await.unwrap();
    assert_eq!(by_id.len(), 1);
}

backend_tests!(bulk_inserts_classify_conflicts_and_retry_human_id_collisions);
