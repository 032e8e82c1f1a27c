//! Permanent erase and retention purge: every row that refers to a removed user is gone, as the database
//! itself shows (counted by SQL, not only through the store); others' rows stay; concurrent purgers remove
//! each user once.

use std::collections::BTreeMap;

use time::Duration;
use userbase_core::address::{AddressFields, AddressType};
use userbase_core::api_key::{KeyKind, NewKey};
use userbase_core::erasure::ErasedCounts;
use userbase_core::idempotency::StoredResponse;
use userbase_core::ids::{AddressId, OrganizationId};
use userbase_core::organization::OrganizationFields;
use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
use userbase_core::project::Project;
use userbase_core::record::{RecordKind, UserRecord};
use userbase_core::store::{NewAddressRecord, NewOrganizationRecord, RefsChange, StoreError, UniqueClaims};
use userbase_core::time_util::now_utc;
use userbase_core::user::{User, UserStatus};
use userbase_core::values::ExternalRef;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project, Fixture};

/// Rows per table that refer to the user with integer id `user`, counted in the database.
const TABLES: [(&str, &str); 8] = [
    ("users", "id"),
    ("addresses", "user_id"),
    ("memberships", "user_id"),
    ("user_records", "user_id"),
    ("user_pricing", "user_id"),
    ("user_external_refs", "user_id"),
    ("api_keys", "user_id"),
    ("user_attributes", "user_id"),
];

/// One number from the database, by SQL of its own (not through the store).
async fn scalar(f: &Fixture, sql: &str) -> i64 {
    if f.url().starts_with("postgres") {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let conn = rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap();
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }
}

/// A blank home address for the user.
fn home_address(p: &Project, user: &User) -> NewAddressRecord {
    let now = now_utc();
    NewAddressRecord {
        project_id: p.id.clone(),
        user_id: user.numeric_id,
        public_id: AddressId::generate(now),
        fields: AddressFields::blank(AddressType::Home),
        created_at: now,
    }
}

/// How many rows of each table refer to the user.
async fn rows_of(f: &Fixture, user: i64) -> BTreeMap<&'static str, i64> {
    let mut rows = BTreeMap::new();
    for (table, column) in TABLES {
        rows.insert(table, scalar(f, &format!("SELECT count(*) FROM {table} WHERE {column} = {user}")).await);
    }
    rows
}

async fn idempotency_records(f: &Fixture) -> i64 {
    scalar(f, "SELECT count(*) FROM idempotency_keys").await
}

/// A user with one row of every related kind: an email and an external ref, an address, a membership, an
/// order, a payment method and a subscription, a pricing item, an attribute document, a bound key, and an idempotency record whose
/// stored answer names it.
async fn user_with_everything(f: &Fixture, p: &Project, email: &str, source_id: &str) -> User {
    let store = &f.store;
    let mut record = new_user(p, Some(email));
    record.profile.external_refs = vec![ExternalRef::parse("external_refs", "erp", source_id).unwrap()];
    let user = store.insert_user(&record).await.unwrap();
    let now = now_utc();
    store.insert_address(&home_address(p, &user)).await.unwrap();
    let org = NewOrganizationRecord {
        project_id: p.id.clone(),
        public_id: OrganizationId::generate(now),
        fields: OrganizationFields {
            name: format!("Org of {email}"),
            parent_id: None,
            external_ref: None,
            plan: None,
            metadata: Default::default(),
        },
        created_at: now,
    };
    let org = store.insert_organization(&org).await.unwrap();
    store.put_membership(&p.id, org.numeric_id, user.numeric_id, "Owner", now).await.unwrap();
    for kind in [RecordKind::Order, RecordKind::PaymentMethod, RecordKind::Subscription] {
        let r = UserRecord {
            numeric_id: 0,
            public_id: kind.new_public_id(),
            project_id: p.id.clone(),
            user_id: user.numeric_id,
            kind,
            status: "CREATED".into(),
            delivery_status: None,
            details: Default::default(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            version: 1,
        };
        store.insert_record(&r).await.unwrap();
    }
    let item = PricingItem {
        target_kind: PricingTargetKind::Category,
        target: PricingTarget::Id(7),
        rule: PricingRule::Net { price: 9.5 },
        shop_id: None,
        updated_at: now,
    };
    store.put_pricing(&p.id, user.numeric_id, &[item]).await.unwrap();
    let attributes = serde_json::json!({"segment": "retail"});
    store.put_attributes(&p.id, &[(user.numeric_id, attributes)]).await.unwrap();
    let key = NewKey {
        project_id: p.id.clone(),
        kind: KeyKind::User,
        name: None,
        user_id: Some(user.numeric_id),
        scopes: vec!["read".into()],
        expires_at: None,
    }
    .generate(now);
    store.insert_key(&key.record, &key.hash).await.unwrap();
    let idem_key = format!("create-{source_id}");
    store.claim_idempotency_key(&p.id, &idem_key, &[1; 32], now, now - Duration::hours(24)).await.unwrap();
    let body = format!(r#"{{"object":"user","id":"{}","email":"{email}"}}"#, user.public_id).into_bytes();
    let response = StoredResponse { status: 201, body, headers: BTreeMap::new() };
    store.complete_idempotency_key(&p.id, &idem_key, &response).await.unwrap();
    user
}

/// Soft-deletes the user as if it had happened `ago`.
async fn delete_ago(f: &Fixture, user: User, ago: Duration) -> User {
    let mut user = user;
    user.status = UserStatus::Deleted;
    user.deleted_at = Some(now_utc() - ago);
    let claims = UniqueClaims { email: false, live: false };
    f.store.update_user(&user, claims, RefsChange::Rewrite).await.unwrap()
}

const ONE_OF_EACH: ErasedCounts = ErasedCounts {
    users: 1,
    addresses: 1,
    memberships: 1,
    orders: 1,
    payment_methods: 1,
    subscriptions: 1,
    pricing: 1,
    external_refs: 1,
    attributes: 1,
    keys: 1,
    idempotency_records: 1,
};

fn every_table(n: i64) -> BTreeMap<&'static str, i64> {
    let counts = [1, 1, 1, 3, 1, 1, 1, 1];
    TABLES.iter().zip(counts).map(|((table, _), c)| (*table, c * n)).collect()
}

async fn erasing_a_user_removes_every_row_that_refers_to_it_and_frees_its_email(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = user_with_everything(&f, &p, "jerry@example.com", "42").await;
    let other = user_with_everything(&f, &p, "elaine@example.com", "43").await;
    assert_eq!(rows_of(&f, user.numeric_id).await, every_table(1));
    assert_eq!(idempotency_records(&f).await, 2);

    let erased = f.store.erase_user(&p.id, user.numeric_id).await.unwrap().unwrap();
    assert_eq!(erased.counts, ONE_OF_EACH);
    assert_eq!(erased.keys.len(), 1);
    assert_eq!(rows_of(&f, user.numeric_id).await, every_table(0), "every row of the erased user is gone");
    assert_eq!(rows_of(&f, other.numeric_id).await, every_table(1), "another user's rows stay");
    assert_eq!(idempotency_records(&f).await, 1, "only the record naming the erased user is gone");

    assert!(f.store.erase_user(&p.id, user.numeric_id).await.unwrap().is_none(), "a second erase finds nothing");
    let again = user_with_everything(&f, &p, "jerry@example.com", "42").await;
    assert_ne!(again.numeric_id, user.numeric_id, "the email and the external ref are free");
}

async fn erasing_reaches_deleted_users_and_never_another_projects(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("beta"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let user = user_with_everything(&f, &p, "jerry@example.com", "42").await;
    assert!(f.store.erase_user(&q.id, user.numeric_id).await.unwrap().is_none(), "another project's user");
    assert_eq!(rows_of(&f, user.numeric_id).await, every_table(1));
    let user = delete_ago(&f, user, Duration::minutes(1)).await;
    let memberships = f.store.memberships_of_user(&p.id, user.numeric_id).await.unwrap();
    assert_eq!(memberships.len(), 1, "a deleted user's memberships are found for its export");
    assert!(f.store.memberships_of_user(&q.id, user.numeric_id).await.unwrap().is_empty());
    let erased = f.store.erase_user(&p.id, user.numeric_id).await.unwrap().unwrap();
    assert_eq!(erased.counts, ONE_OF_EACH);
    assert_eq!(rows_of(&f, user.numeric_id).await, every_table(0));
}

/// A service reads the user, then writes: an erase between the two must make the write a clean "gone", not a
/// database error (a 500).
async fn a_write_for_a_user_erased_meanwhile_is_refused_as_gone(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = user_with_everything(&f, &p, "jerry@example.com", "42").await;
    let org = f.store.memberships_of_user(&p.id, user.numeric_id).await.unwrap()[0].organization_id;
    f.store.erase_user(&p.id, user.numeric_id).await.unwrap().unwrap();

    let now = now_utc();
    let written = f.store.insert_address(&home_address(&p, &user)).await;
    assert!(matches!(written, Err(StoreError::Gone("user"))), "{written:?}");
    let membership = f.store.put_membership(&p.id, org, user.numeric_id, "member", now).await;
    assert!(matches!(membership, Err(StoreError::Gone("user"))), "{membership:?}");
    assert_eq!(rows_of(&f, user.numeric_id).await, every_table(0), "nothing was written");
}

async fn the_purge_removes_users_deleted_before_the_cutoff_and_keeps_newer_ones(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("beta"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let old = user_with_everything(&f, &p, "old@example.com", "1").await;
    let old = delete_ago(&f, old, Duration::days(40)).await;
    let recent = user_with_everything(&f, &p, "recent@example.com", "2").await;
    let recent = delete_ago(&f, recent, Duration::days(2)).await;
    let live = user_with_everything(&f, &p, "live@example.com", "3").await;
    let elsewhere = user_with_everything(&f, &q, "old@example.com", "1").await;
    let elsewhere = delete_ago(&f, elsewhere, Duration::days(40)).await;
    let now = now_utc();
    let (cutoff, expired) = (now - Duration::days(30), now - Duration::hours(24));

    let due = f.store.count_purgeable(&p.id, cutoff, expired).await.unwrap();
    assert_eq!(due, ONE_OF_EACH, "the dry run counts what the purge removes");
    assert_eq!(rows_of(&f, old.numeric_id).await, every_table(1), "counting removes nothing");

    let purged = f.store.purge_deleted_users(&p.id, cutoff, 500).await.unwrap();
    assert_eq!(purged.counts, ONE_OF_EACH);
    assert_eq!(rows_of(&f, old.numeric_id).await, every_table(0), "the user deleted 40 days ago is gone");
    assert_eq!(rows_of(&f, recent.numeric_id).await, every_table(1), "the one deleted 2 days ago stays");
    assert_eq!(rows_of(&f, live.numeric_id).await, every_table(1), "live users stay");
    assert_eq!(rows_of(&f, elsewhere.numeric_id).await, every_table(1), "another project's users stay");
    assert_eq!(f.store.purge_deleted_users(&p.id, cutoff, 500).await.unwrap().counts, ErasedCounts::default());
    assert_eq!(f.store.count_purgeable(&p.id, cutoff, expired).await.unwrap(), ErasedCounts::default());
}

async fn two_purgers_at_once_remove_each_user_once_in_bounded_batches(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    const USERS: u64 = 24;
    for i in 0..USERS {
        let user = f.store.insert_user(&new_user(&p, Some(&format!("u{i}@example.com")))).await.unwrap();
        delete_ago(&f, user, Duration::days(31)).await;
    }
    let live = f.store.insert_user(&new_user(&p, Some("live@example.com"))).await.unwrap();
    let cutoff = now_utc() - Duration::days(30);
    let purger = || {
        let (store, project) = (f.store.clone(), p.id.clone());
        tokio::spawn(async move {
            let mut removed = 0;
            loop {
                let batch = store.purge_deleted_users(&project, cutoff, 5).await.unwrap();
                assert!(batch.counts.users <= 5, "a batch is bounded");
                removed += batch.counts.users;
                if batch.counts.users < 5 {
                    return removed;
                }
            }
        })
    };
    let (a, b) = (purger(), purger());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    // A purger that found the rest held by the other stops early; whatever is left, a later run removes.
    let rest = f.store.purge_deleted_users(&p.id, cutoff, 500).await.unwrap().counts.users;
    assert_eq!(a + b + rest, USERS, "each user removed exactly once ({a} + {b} + {rest})");
    assert_eq!(scalar(&f, "SELECT count(*) FROM users").await, 1);
    assert_eq!(rows_of(&f, live.numeric_id).await["users"], 1);
}

async fn expired_idempotency_records_are_purged_in_batches(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let now = now_utc();
    for i in 0..3 {
        let at = now - Duration::hours(30);
        f.store
            .claim_idempotency_key(&p.id, &format!("old-{i}"), &[1; 32], at, at - Duration::hours(24))
            .await
            .unwrap();
    }
    f.store.claim_idempotency_key(&p.id, "fresh", &[1; 32], now, now - Duration::hours(24)).await.unwrap();
    let expired = now - Duration::hours(24);
    assert_eq!(f.store.purge_expired_idempotency_records(&p.id, expired, 2).await.unwrap(), 2);
    assert_eq!(f.store.purge_expired_idempotency_records(&p.id, expired, 2).await.unwrap(), 1);
    assert_eq!(f.store.purge_expired_idempotency_records(&p.id, expired, 2).await.unwrap(), 0);
    assert_eq!(idempotency_records(&f).await, 1, "the record within its replay window stays");
}

backend_tests!(
    erasing_a_user_removes_every_row_that_refers_to_it_and_frees_its_email,
    erasing_reaches_deleted_users_and_never_another_projects,
    a_write_for_a_user_erased_meanwhile_is_refused_as_gone,
    the_purge_removes_users_deleted_before_the_cutoff_and_keeps_newer_ones,
    two_purgers_at_once_remove_each_user_once_in_bounded_batches,
    expired_idempotency_records_are_purged_in_batches,
);
