use userbase_core::address::{Address, AddressFields, AddressKey, AddressKind, AddressType};
use userbase_core::ids::AddressId;
use userbase_core::page::{Page, PageRequest, Position};
use userbase_core::store::{NewAddressRecord, StoreError};
use userbase_core::time_util::now_utc;
use userbase_core::values::{CountryCode, Gender};
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

fn record(p: &userbase_core::project::Project, user_id: i64, t: AddressType, default: bool) -> NewAddressRecord {
    let mut fields = AddressFields::blank(t);
    fields.is_default = default;
    NewAddressRecord {
        project_id: p.id.clone(),
        user_id,
        public_id: AddressId::generate(now_utc()),
        fields,
        created_at: now_utc(),
    }
}

async fn addresses_round_trip_and_keep_one_default_per_type(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let mut full = record(&p, user.numeric_id, AddressType::Delivery, true);
    full.fields.street = Some("Main".into());
    full.fields.gender = Some(Gender::Female);
    full.fields.country = Some(CountryCode::parse("c", "NL").unwrap());
    full.fields.geocoder_raw = Some(serde_json::json!({"place_id": "x"}));
    let a = f.store.insert_address(&full).await.unwrap();
    assert_eq!(a.fields, full.fields);
    assert_eq!(a.version, 1);
    let found = f.store.find_address(&p.id, user.numeric_id, &AddressKey::Public(a.public_id.clone())).await.unwrap();
    assert_eq!(found.as_ref(), Some(&a));

    let b = f.store.insert_address(&record(&p, user.numeric_id, AddressType::Delivery, true)).await.unwrap();
    let c = f.store.insert_address(&record(&p, user.numeric_id, AddressType::Invoice, true)).await.unwrap();
    let all = f.store.list_addresses(&p.id, user.numeric_id, None).await.unwrap();
    let defaults: Vec<i64> = all.iter().filter(|x| x.fields.is_default).map(|x| x.numeric_id).collect();
    assert_eq!(defaults, [b.numeric_id, c.numeric_id]);
    let deliveries = f.store.list_addresses(&p.id, user.numeric_id, Some(AddressType::Delivery)).await.unwrap();
    assert_eq!(deliveries.len(), 2);

    let mut again =
        f.store.find_address(&p.id, user.numeric_id, &AddressKey::Numeric(a.numeric_id)).await.unwrap().unwrap();
    again.fields.is_default = true;
    let again = f.store.update_address(&again).await.unwrap();
    assert!(again.fields.is_default);
    let b_now =
        f.store.find_address(&p.id, user.numeric_id, &AddressKey::Numeric(b.numeric_id)).await.unwrap().unwrap();
    assert!(!b_now.fields.is_default);
    let stale = f.store.update_address(&a).await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{stale:?}");
}

async fn addresses_belong_to_one_user_of_one_project(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("beta"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let owner = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let other = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let a = f.store.insert_address(&record(&p, owner.numeric_id, AddressType::Home, false)).await.unwrap();
    let key = AddressKey::Numeric(a.numeric_id);
    assert!(f.store.find_address(&p.id, other.numeric_id, &key).await.unwrap().is_none());
    assert!(f.store.find_address(&q.id, owner.numeric_id, &key).await.unwrap().is_none());
    assert!(!f.store.delete_address(&q.id, owner.numeric_id, a.numeric_id, None).await.unwrap());
    assert!(!f.store.delete_address(&p.id, other.numeric_id, a.numeric_id, None).await.unwrap());
    // A delete at a version the address no longer has deletes nothing.
    assert!(!f.store.delete_address(&p.id, owner.numeric_id, a.numeric_id, Some(a.version + 1)).await.unwrap());
    assert!(f.store.delete_address(&p.id, owner.numeric_id, a.numeric_id, Some(a.version)).await.unwrap());
    assert!(f.store.list_addresses(&p.id, owner.numeric_id, None).await.unwrap().is_empty());
}

async fn address_pages_are_newest_first_by_place_or_offset(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let owner = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let other = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let mut all = Vec::new();
    for _ in 0..5 {
        all.push(
            f.store.insert_address(&record(&p, owner.numeric_id, AddressType::Home, false)).await.unwrap().numeric_id,
        );
        f.store.insert_address(&record(&p, other.numeric_id, AddressType::Home, false)).await.unwrap();
    }
    all.reverse(); // newest first
    let ids = |page: &Page<Address>| page.items.iter().map(|a| a.numeric_id).collect::<Vec<_>>();
    let page = |position| PageRequest::at(position, 2);
    let user = owner.numeric_id;
    let first = f.store.page_addresses(&p.id, user, &page(Position::First)).await.unwrap();
    assert_eq!(ids(&first), all[0..2]);
    assert!(first.more_after && !first.more_before);
    let after = f.store.page_addresses(&p.id, user, &page(Position::After(all[1]))).await.unwrap();
    assert_eq!(ids(&after), all[2..4]);
    assert!(after.more_after && after.more_before);
    let before = f.store.page_addresses(&p.id, user, &page(Position::Before(all[3]))).await.unwrap();
    assert_eq!(ids(&before), all[1..3]);
    assert!(before.more_after && before.more_before);
    let start = f.store.page_addresses(&p.id, user, &page(Position::Before(all[1]))).await.unwrap();
    assert_eq!(ids(&start), all[0..1]);
    assert!(start.more_after && !start.more_before);
    let offset = f.store.page_addresses(&p.id, user, &page(Position::Offset(4))).await.unwrap();
    assert_eq!(ids(&offset), all[4..5]);
    assert!(!offset.more_after && offset.more_before);
    assert_eq!(f.store.count_addresses(&p.id, user).await.unwrap(), 5);
    // Another project sees none of them.
    let q = project("beta");
    f.store.insert_project(&q).await.unwrap();
    assert!(f.store.page_addresses(&q.id, user, &page(Position::First)).await.unwrap().items.is_empty());
    assert_eq!(f.store.count_addresses(&q.id, user).await.unwrap(), 0);
}

fn of_kind(
    p: &userbase_core::project::Project,
    user_id: i64,
    kind: AddressKind,
    t: AddressType,
    default: bool,
    city: &str,
) -> NewAddressRecord {
    let mut r = record(p, user_id, t, default);
    r.fields.kind = kind;
    r.fields.city = Some(city.into());
    r
}

fn cities(addresses: &[Address]) -> Vec<(AddressKind, String)> {
    addresses.iter().map(|a| (a.fields.kind, a.fields.city.clone().unwrap_or_default())).collect()
}

async fn a_replace_swaps_one_kind_whole_and_a_failed_one_changes_nothing(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let uid = user.numeric_id;
    use AddressKind::{Billing, List};
    // An invoice default of the list kind; the billing replace below takes its default flag.
    f.store.insert_address(&of_kind(&p, uid, List, AddressType::Invoice, true, "Bergen")).await.unwrap();
    f.store.insert_address(&of_kind(&p, uid, Billing, AddressType::Invoice, false, "Old bill")).await.unwrap();

    let new_list = [
        of_kind(&p, uid, List, AddressType::Delivery, false, "Oslo"),
        of_kind(&p, uid, List, AddressType::Delivery, false, "Trondheim"),
    ];
    let stored = f.store.replace_addresses(&p.id, uid, List, &new_list).await.unwrap();
    assert_eq!(cities(&stored), [(List, "Oslo".into()), (List, "Trondheim".into())]);
    let all = f.store.list_addresses(&p.id, uid, None).await.unwrap();
    assert_eq!(cities(&all), [(Billing, "Old bill".into()), (List, "Oslo".into()), (List, "Trondheim".into())]);

    let bill = of_kind(&p, uid, Billing, AddressType::Invoice, true, "New bill");
    f.store.replace_addresses(&p.id, uid, Billing, std::slice::from_ref(&bill)).await.unwrap();
    let all = f.store.list_addresses(&p.id, uid, None).await.unwrap();
    assert_eq!(cities(&all), [(List, "Oslo".into()), (List, "Trondheim".into()), (Billing, "New bill".into())]);
    let defaults: Vec<&str> =
        all.iter().filter(|a| a.fields.is_default).map(|a| a.fields.city.as_deref().unwrap()).collect();
    assert_eq!(defaults, ["New bill"], "one default per type, as every address write keeps it");

    // The second record reuses the first one's public id: its insert fails, after the delete and the
    // first insert ran. Nothing of the replace may stay.
    let before = f.store.list_addresses(&p.id, uid, None).await.unwrap();
    let mut clash = of_kind(&p, uid, List, AddressType::Delivery, false, "Stavanger");
    let first = of_kind(&p, uid, List, AddressType::Delivery, false, "Tromsø");
    clash.public_id = first.public_id.clone();
    let failed = f.store.replace_addresses(&p.id, uid, List, &[first, clash]).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(f.store.list_addresses(&p.id, uid, None).await.unwrap(), before);
    // A default insert that fails takes no flag away either.
    let mut bad = of_kind(&p, uid, Billing, AddressType::Invoice, true, "Broken");
    bad.public_id = before[0].public_id.clone();
    assert!(f.store.replace_addresses(&p.id, uid, Billing, &[bad]).await.is_err());
    assert_eq!(f.store.list_addresses(&p.id, uid, None).await.unwrap(), before);

    // Emptying a kind.
    assert!(f.store.replace_addresses(&p.id, uid, List, &[]).await.unwrap().is_empty());
    assert_eq!(cities(&f.store.list_addresses(&p.id, uid, None).await.unwrap()), [(Billing, "New bill".into())]);
}

async fn addresses_of_many_users_come_in_one_read_by_user_and_only_from_the_project(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("beta"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let a = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let b = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let none = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let other = f.store.insert_user(&new_user(&q, None)).await.unwrap().numeric_id;
    // Interleaved inserts: the answer still groups by user.
    let mut want = Vec::new();
    for (user, proj) in [(b, &p), (a, &p), (other, &q), (b, &p), (a, &p)] {
        let stored = f.store.insert_address(&record(proj, user, AddressType::Home, false)).await.unwrap();
        want.push((user, stored.numeric_id));
    }
    let got = f.store.addresses_of_users(&p.id, &[b, none, a]).await.unwrap();
    let got: Vec<(i64, i64)> = got.iter().map(|x| (x.user_id, x.numeric_id)).collect();
    let mut expected: Vec<(i64, i64)> = want.iter().copied().filter(|(u, _)| *u != other).collect();
    expected.sort();
    assert_eq!(got, expected, "by user id, then oldest first");
    // Another project's user ids give nothing, through either project.
    assert!(f.store.addresses_of_users(&p.id, &[other]).await.unwrap().is_empty());
    assert!(f.store.addresses_of_users(&q.id, &[a, b]).await.unwrap().is_empty());
    assert_eq!(f.store.addresses_of_users(&q.id, &[other, a]).await.unwrap().len(), 1);
    assert!(f.store.addresses_of_users(&p.id, &[]).await.unwrap().is_empty());
}

backend_tests!(
    a_replace_swaps_one_kind_whole_and_a_failed_one_changes_nothing,
    addresses_of_many_users_come_in_one_read_by_user_and_only_from_the_project,
    addresses_round_trip_and_keep_one_default_per_type,
    addresses_belong_to_one_user_of_one_project,
    address_pages_are_newest_first_by_place_or_offset,
);
