use userbase_core::error::Conflict;
use userbase_core::page::{PageRequest, Position, SortField, SortKey, SortValue};
use userbase_core::store::{RefsChange, StoreError, UniqueClaims, UserFilter};
use userbase_core::time_util::now_utc;
use userbase_core::user::{User, UserKey, UserStatus};
use userbase_core::values::{CountryCode, ExternalRef, Gender, Locale, Metadata, MetadataLimits};
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

async fn a_user_round_trips_every_field(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut rec = new_user(&p, Some("Jerry@Example.com"));
    let pr = &mut rec.profile;
    pr.auth_subject = Some("sub-1".into());
    pr.first_name = Some("Jerry".into());
    pr.middle_name = Some("M".into());
    pr.last_name = Some("Seinfeld".into());
    pr.birth_date = Some(time::macros::date!(1954 - 04 - 29));
    pr.gender = Some(Gender::Male);
    pr.locale = Some(Locale::parse("locale", "en-US").unwrap());
    pr.country = Some(CountryCode::parse("country", "US").unwrap());
    pr.external_refs = vec![ExternalRef::parse("r", "erp", "42").unwrap()];
    pr.metadata = Metadata::parse([("plan".into(), "gold".into())].into(), MetadataLimits::DEFAULT).unwrap();
    pr.tags = vec!["vip".into()];
    pr.roles = vec!["user".into()];
    pr.bio = Some("line one\nline two".into());
    let user = f.store.insert_user(&rec).await.unwrap();
    assert!(user.numeric_id > 0);
    assert_eq!(user.version, 1);
    assert_eq!(user.profile, rec.profile);
    assert_eq!(user.builton, rec.builton);
    assert_eq!(user.created_at, rec.created_at);
    for key in [
        UserKey::Public(user.public_id.clone()),
        UserKey::Object(user.object_id.clone()),
        UserKey::Numeric(user.numeric_id),
        UserKey::AuthSubject("sub-1".into()),
    ] {
        assert_eq!(f.store.find_user(&p.id, &key).await.unwrap().as_ref(), Some(&user), "{key:?}");
    }
}

async fn users_are_invisible_to_other_projects(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (a, b) = (project("a"), project("b"));
    f.store.insert_project(&a).await.unwrap();
    f.store.insert_project(&b).await.unwrap();
    let user = f.store.insert_user(&new_user(&a, Some("x@example.com"))).await.unwrap();
    // The same email in another project is no conflict.
    f.store.insert_user(&new_user(&b, Some("x@example.com"))).await.unwrap();
    assert!(f.store.find_user(&b.id, &UserKey::Public(user.public_id.clone())).await.unwrap().is_none());
    assert!(f.store.find_user(&b.id, &UserKey::Numeric(user.numeric_id)).await.unwrap().is_none());
    let page = f.store.list_users(&b.id, &UserFilter::default(), first(50)).await.unwrap();
    assert!(page.items.iter().all(|u| u.project_id == b.id));
    assert_eq!(page.items.len(), 1);
}

async fn unique_claims_are_enforced_by_the_database(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let first_user = f.store.insert_user(&new_user(&p, Some("a@example.com"))).await.unwrap();
    let dup = f.store.insert_user(&new_user(&p, Some("A@EXAMPLE.com"))).await;
    assert!(matches!(dup, Err(StoreError::Conflict(Conflict::Email))), "{dup:?}");

    // A row that does not claim its email (project setting off) may share it.
    let mut unclaimed = new_user(&p, Some("a@example.com"));
    unclaimed.claims.email = false;
    f.store.insert_user(&unclaimed).await.unwrap();

    let mut with_ref = new_user(&p, None);
    with_ref.profile.external_refs = vec![ExternalRef::parse("r", "erp", "1").unwrap()];
    f.store.insert_user(&with_ref).await.unwrap();
    let mut same_ref = new_user(&p, None);
    same_ref.profile.external_refs = with_ref.profile.external_refs.clone();
    let dup = f.store.insert_user(&same_ref).await;
    assert!(matches!(dup, Err(StoreError::Conflict(Conflict::ExternalRef))), "{dup:?}");

    let mut with_sub = new_user(&p, None);
    with_sub.profile.auth_subject = Some("s".into());
    f.store.insert_user(&with_sub).await.unwrap();
    let mut same_sub = new_user(&p, None);
    same_sub.profile.auth_subject = Some("s".into());
    let dup = f.store.insert_user(&same_sub).await;
    assert!(matches!(dup, Err(StoreError::Conflict(Conflict::AuthSubject))), "{dup:?}");

    // A failed insert leaves nothing behind.
    let page = f.store.list_users(&p.id, &UserFilter::default(), first(50)).await.unwrap();
    assert_eq!(page.items.len(), 4);
    assert!(page.items.iter().any(|u| u.public_id == first_user.public_id));
}

async fn a_colliding_human_id_is_replaced(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let a = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let mut b = new_user(&p, None);
    b.human_id = a.human_id.clone();
    let b = f.store.insert_user(&b).await.unwrap();
    assert_ne!(a.human_id, b.human_id);
}

async fn updates_are_versioned_and_release_claims_when_deleted(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut rec = new_user(&p, Some("a@example.com"));
    rec.profile.external_refs = vec![ExternalRef::parse("r", "erp", "1").unwrap()];
    let mut user = f.store.insert_user(&rec).await.unwrap();

    user.profile.first_name = Some("Ann".into());
    user.updated_at = now_utc();
    let claims = UniqueClaims { email: true, live: true };
    let updated = f.store.update_user(&user, claims, RefsChange::Unchanged).await.unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.profile.first_name.as_deref(), Some("Ann"));
    let stale = f.store.update_user(&user, claims, RefsChange::Unchanged).await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{stale:?}");
    let stale = f.store.update_user(&user, claims, RefsChange::Rewrite).await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{stale:?}");

    // Soft delete: the row stays, its claims go.
    let mut deleted = updated.clone();
    deleted.status = UserStatus::Deleted;
    deleted.deleted_at = Some(now_utc());
    let released = UniqueClaims { email: false, live: false };
    let deleted = f.store.update_user(&deleted, released, RefsChange::Rewrite).await.unwrap();
    let mut reuse = new_user(&p, Some("a@example.com"));
    reuse.profile.external_refs = rec.profile.external_refs.clone();
    f.store.insert_user(&reuse).await.unwrap();

    // Restoring would claim them again: refused, and nothing changes.
    let mut restored = deleted.clone();
    restored.status = UserStatus::Active;
    restored.deleted_at = None;
    let refused = f.store.update_user(&restored, claims, RefsChange::Rewrite).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
    let still = f.store.find_user(&p.id, &UserKey::Numeric(deleted.numeric_id)).await.unwrap().unwrap();
    assert_eq!(still, deleted);
}

fn first(limit: u32) -> PageRequest {
    PageRequest { position: Position::First, limit, sort: vec![] }
}

fn ids(users: &[User]) -> Vec<i64> {
    users.iter().map(|u| u.numeric_id).collect()
}

async fn pages_are_newest_first_with_flags_on_both_sides(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(f.store.insert_user(&new_user(&p, Some(&format!("u{i}@example.com")))).await.unwrap().numeric_id);
    }
    all.reverse(); // newest first
    let none = UserFilter::default();
    let p1 = f.store.list_users(&p.id, &none, first(3)).await.unwrap();
    assert_eq!(ids(&p1.items), all[0..3]);
    assert!(p1.more_after && !p1.more_before);
    let p2 = f
        .store
        .list_users(&p.id, &none, PageRequest { position: Position::After(all[2]), limit: 3, sort: vec![] })
        .await
        .unwrap();
    assert_eq!(ids(&p2.items), all[3..6]);
    assert!(p2.more_after && p2.more_before);
    let p3 = f
        .store
        .list_users(&p.id, &none, PageRequest { position: Position::After(all[5]), limit: 3, sort: vec![] })
        .await
        .unwrap();
    assert_eq!(ids(&p3.items), all[6..7]);
    assert!(!p3.more_after && p3.more_before);
    let back = f
        .store
        .list_users(&p.id, &none, PageRequest { position: Position::Before(all[3]), limit: 2, sort: vec![] })
        .await
        .unwrap();
    assert_eq!(ids(&back.items), all[1..3]);
    assert!(back.more_after && back.more_before);
    let zero = f.store.list_users(&p.id, &none, first(0)).await.unwrap();
    assert!(zero.items.is_empty() && !zero.more_after && !zero.more_before);
    let by_email = UserFilter::by_email("U3@Example.com");
    let found = f.store.list_users(&p.id, &by_email, first(10)).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].profile.email.as_ref().unwrap().as_str(), "u3@example.com");
}

async fn offset_pages_skip_rows_in_one_query_in_any_order(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut all = Vec::new();
    for name in ["delta", "Alpha", "charlie", "Bravo", "echo"] {
        let mut rec = new_user(&p, None);
        rec.profile.last_name = Some(name.into());
        all.push(f.store.insert_user(&rec).await.unwrap().numeric_id);
    }
    all.reverse(); // newest first
    let none = UserFilter::default();
    let at = |n| PageRequest::at(Position::Offset(n), 2);
    let p0 = f.store.list_users(&p.id, &none, at(0)).await.unwrap();
    assert_eq!(ids(&p0.items), all[0..2]);
    assert!(p0.more_after && !p0.more_before);
    let p1 = f.store.list_users(&p.id, &none, at(2)).await.unwrap();
    assert_eq!(ids(&p1.items), all[2..4]);
    assert!(p1.more_after && p1.more_before);
    let p2 = f.store.list_users(&p.id, &none, at(4)).await.unwrap();
    assert_eq!(ids(&p2.items), all[4..5]);
    assert!(!p2.more_after && p2.more_before);
    let past = f.store.list_users(&p.id, &none, at(9)).await.unwrap();
    assert!(past.items.is_empty() && !past.more_after && past.more_before);
    // Sorted: the offset counts in the sort order.
    let by_name =
        PageRequest::at(Position::Offset(1), 2).sorted(vec![SortKey { field: SortField::LastName, descending: false }]);
    let names: Vec<String> = f
        .store
        .list_users(&p.id, &none, by_name)
        .await
        .unwrap()
        .items
        .iter()
        .map(|u| u.profile.last_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Bravo", "charlie"]);
    // Deleted users are skipped unless asked for, before the offset applies.
    let mut gone = f.store.find_user(&p.id, &UserKey::Numeric(all[0])).await.unwrap().unwrap();
    gone.status = UserStatus::Deleted;
    gone.deleted_at = Some(now_utc());
    f.store.update_user(&gone, UniqueClaims { email: false, live: false }, RefsChange::Rewrite).await.unwrap();
    let live = f.store.list_users(&p.id, &none, at(0)).await.unwrap();
    assert_eq!(ids(&live.items), all[1..3]);
    let with_deleted = UserFilter::live().including_deleted(true);
    assert_eq!(ids(&f.store.list_users(&p.id, &with_deleted, at(0)).await.unwrap().items), all[0..2]);
}

async fn sorted_pages_continue_from_their_keys(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    for name in ["delta", "Alpha", "charlie", "Bravo", "echo"] {
        let mut rec = new_user(&p, None);
        rec.profile.last_name = Some(name.into());
        f.store.insert_user(&rec).await.unwrap();
    }
    let sort = vec![SortKey { field: SortField::LastName, descending: false }];
    let none = UserFilter::default();
    let request = |position| PageRequest { position, limit: 2, sort: sort.clone() };
    let names = |page: &userbase_core::page::Page<User>| {
        page.items.iter().map(|u| u.profile.last_name.clone().unwrap()).collect::<Vec<_>>()
    };
    let p1 = f.store.list_users(&p.id, &none, request(Position::First)).await.unwrap();
    assert_eq!(names(&p1), ["Alpha", "Bravo"]);
    let last = p1.last_key.clone().unwrap();
    assert_eq!(last.values, [SortValue::Text("bravo".into())], "keys are the database's own sort values");
    let p2 = f.store.list_users(&p.id, &none, request(Position::AfterKey(last))).await.unwrap();
    assert_eq!(names(&p2), ["charlie", "delta"]);
    assert!(p2.more_after && p2.more_before);
    let back = f.store.list_users(&p.id, &none, request(Position::BeforeKey(p2.first_key.unwrap()))).await.unwrap();
    assert_eq!(names(&back), ["Alpha", "Bravo"]);
    assert!(!back.more_before && back.more_after);
}

backend_tests!(
    sorted_pages_continue_from_their_keys,
    a_user_round_trips_every_field,
    users_are_invisible_to_other_projects,
    unique_claims_are_enforced_by_the_database,
    a_colliding_human_id_is_replaced,
    updates_are_versioned_and_release_claims_when_deleted,
    pages_are_newest_first_with_flags_on_both_sides,
    offset_pages_skip_rows_in_one_query_in_any_order,
);
