//! What the Propeller dialect needs of the store: users by integer id and by a source id of any source,
//! organizations by external reference, batched address writes, and user attributes.

use serde_json::json;
use userbase_core::address::{AddressFields, AddressType};
use userbase_core::ids::{AddressId, OrganizationId};
use userbase_core::organization::{OrganizationFields, OrganizationKey};
use userbase_core::store::{NewAddressRecord, NewOrganizationRecord, StoreError, UpsertKey};
use userbase_core::time_util::now_utc;
use userbase_core::values::ExternalRef;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

fn address(p: &userbase_core::project::Project, user_id: i64, code: &str, default: bool) -> NewAddressRecord {
    let mut fields = AddressFields::blank(AddressType::Delivery);
    fields.code = Some(code.into());
    fields.is_default = default;
    NewAddressRecord {
        project_id: p.id.clone(),
        user_id,
        public_id: AddressId::generate(now_utc()),
        fields,
        created_at: now_utc(),
    }
}

async fn users_are_found_by_integer_id_and_by_source_id_of_any_source(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("globex"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let mut a = new_user(&p, None);
    a.profile.external_refs = vec![ExternalRef::parse("r", "erp", "42").unwrap()];
    let mut b = new_user(&p, None);
    b.profile.external_refs = vec![ExternalRef::parse("r", "crm", "42").unwrap()];
    let mut theirs = new_user(&q, None);
    theirs.profile.external_refs = vec![ExternalRef::parse("r", "erp", "42").unwrap()];
    let (a, b, theirs) = (
        f.store.insert_user(&a).await.unwrap(),
        f.store.insert_user(&b).await.unwrap(),
        f.store.insert_user(&theirs).await.unwrap(),
    );
    let found = f.store.find_users_by(&p.id, &UpsertKey::AnyExternalRef, &["42".into()]).await.unwrap();
    assert_eq!(found.iter().map(|u| u.numeric_id).collect::<Vec<_>>(), [a.numeric_id, b.numeric_id]);
    let values = [a.numeric_id.to_string(), theirs.numeric_id.to_string(), "x".into(), "99999999999999999999".into()];
    let by_id = f.store.find_users_by(&p.id, &UpsertKey::NumericId, &values).await.unwrap();
    assert_eq!(by_id.iter().map(|u| u.numeric_id).collect::<Vec<_>>(), [a.numeric_id], "only this project's");
    let none = f.store.find_users_by(&p.id, &UpsertKey::NumericId, &["x".into()]).await.unwrap();
    assert!(none.is_empty());
}

async fn organizations_are_found_by_external_ref(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("globex"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let r = ExternalRef::parse("r", "ERP", "G1").unwrap();
    let org = f
        .store
        .insert_organization(&NewOrganizationRecord {
            project_id: p.id.clone(),
            public_id: OrganizationId::generate(now_utc()),
            fields: OrganizationFields {
                name: "G".into(),
                parent_id: None,
                external_ref: Some(r.clone()),
                plan: None,
                metadata: Default::default(),
            },
            created_at: now_utc(),
        })
        .await
        .unwrap();
    let found = f.store.find_organization(&p.id, &OrganizationKey::External(r.clone())).await.unwrap();
    assert_eq!(found.map(|o| o.numeric_id), Some(org.numeric_id));
    assert!(f.store.find_organization(&q.id, &OrganizationKey::External(r)).await.unwrap().is_none());
}

async fn addresses_of_many_users_are_written_in_one_call(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let u1 = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let u2 = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let old_default = f.store.insert_address(&address(&p, u1, "old", true)).await.unwrap();
    let inserts: Vec<_> =
        (0..700).map(|i| address(&p, if i % 2 == 0 { u1 } else { u2 }, &format!("c{i}"), false)).collect();
    let mut changed = old_default.clone();
    changed.fields.city = Some("Oslo".into());
    changed.fields.is_default = false;
    let mut new_default = address(&p, u1, "new", true);
    new_default.fields.city = Some("Bergen".into());
    let mut all_inserts = inserts.clone();
    all_inserts.push(new_default);
    let written = f.store.write_addresses(&p.id, &all_inserts, std::slice::from_ref(&changed)).await.unwrap();
    assert_eq!(written.len(), 702);
    let codes: Vec<_> = written.iter().map(|a| a.fields.code.clone().unwrap()).collect();
    let mut expected: Vec<String> = (0..700).map(|i| format!("c{i}")).collect();
    expected.extend(["new".into(), "old".into()]);
    assert_eq!(codes, expected, "inserts in order, then updates");
    assert_eq!(written[701].version, old_default.version + 1);
    let of_u1 = f.store.list_addresses(&p.id, u1, None).await.unwrap();
    assert_eq!(of_u1.len(), 352);
    assert_eq!(of_u1.iter().filter(|a| a.fields.is_default).count(), 1, "one default per type");
    // A stale update writes nothing at all.
    let before = f.store.count_addresses(&p.id, u2).await.unwrap();
    let stale = f.store.write_addresses(&p.id, &[address(&p, u2, "late", false)], &[changed]).await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{stale:?}");
    assert_eq!(f.store.count_addresses(&p.id, u2).await.unwrap(), before);
}

async fn attributes_are_kept_per_user(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (p, q) = (project("acme"), project("globex"));
    f.store.insert_project(&p).await.unwrap();
    f.store.insert_project(&q).await.unwrap();
    let u1 = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let u2 = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    assert_eq!(f.store.get_attributes(&p.id, u1).await.unwrap(), None);
    let items = vec![(u1, json!([{"name": "a"}])), (u2, json!({"b": 1})), (u1, json!([{"name": "last"}]))];
    f.store.put_attributes(&p.id, &items).await.unwrap();
    assert_eq!(f.store.get_attributes(&p.id, u1).await.unwrap(), Some(json!([{"name": "last"}])));
    assert_eq!(f.store.get_attributes(&p.id, u2).await.unwrap(), Some(json!({"b": 1})));
    f.store.put_attributes(&p.id, &[(u2, json!(null))]).await.unwrap();
    assert_eq!(f.store.get_attributes(&p.id, u2).await.unwrap(), Some(json!(null)));
    assert_eq!(f.store.get_attributes(&q.id, u1).await.unwrap(), None, "scoped by project");
}

fn organization(p: &userbase_core::project::Project, name: &str) -> NewOrganizationRecord {
    NewOrganizationRecord {
        project_id: p.id.clone(),
        public_id: OrganizationId::generate(now_utc()),
        fields: OrganizationFields {
            name: name.into(),
            parent_id: None,
            external_ref: None,
            plan: None,
            metadata: Default::default(),
        },
        created_at: now_utc(),
    }
}

/// Bulk items' parents: memberships added for many users at once, an existing one keeping its role, a pair
/// listed twice added once; nothing of another project's listing changes.
async fn memberships_of_many_users_are_added_in_one_call(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let org = f.store.insert_organization(&organization(&p, "Shops")).await.unwrap();
    let other = f.store.insert_organization(&organization(&p, "Others")).await.unwrap();
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id);
    }
    f.store.put_membership(&p.id, org.numeric_id, users[0], "Owner", now_utc()).await.unwrap();
    let pairs = [
        (org.numeric_id, users[0]),
        (org.numeric_id, users[1]),
        (org.numeric_id, users[1]),
        (other.numeric_id, users[2]),
    ];
    f.store.add_memberships(&p.id, &pairs, "member", now_utc()).await.unwrap();
    let held = f.store.list_memberships(&p.id, Some(org.numeric_id), None).await.unwrap();
    let roles: Vec<&str> = held.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(held.len(), 2, "{roles:?}");
    assert!(held.iter().any(|m| m.role == "Owner") && held.iter().any(|m| m.role == "member"), "{roles:?}");
    assert_eq!(f.store.list_memberships(&p.id, Some(other.numeric_id), None).await.unwrap().len(), 1);
    // Again: nothing changes.
    f.store.add_memberships(&p.id, &pairs, "member", now_utc()).await.unwrap();
    assert_eq!(f.store.list_memberships(&p.id, None, None).await.unwrap().len(), 3);
    f.store.add_memberships(&p.id, &[], "member", now_utc()).await.unwrap();
}

/// Bulk items' pricing: many users in one call; an item replaces the user's item for the same target (stored
/// or earlier in the same call), items for other targets or other users stay, in the order given.
async fn pricing_of_many_users_is_stored_in_one_call(backend: Backend) {
    use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let a = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let b = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let item = |kind, target: PricingTarget, price: f64| PricingItem {
        target_kind: kind,
        target,
        rule: PricingRule::Net { price },
        shop_id: Some(3),
        updated_at: now_utc(),
    };
    let external = || PricingTarget::External { source: "erp".into(), source_id: "X1".into() };
    f.store.put_pricing(&p.id, a, &[item(PricingTargetKind::Category, PricingTarget::Id(7), 1.0)]).await.unwrap();
    let batch = vec![
        (
            a,
            vec![
                item(PricingTargetKind::Category, PricingTarget::Id(7), 2.0),
                item(PricingTargetKind::Product, external(), 3.0),
                item(PricingTargetKind::Product, PricingTarget::Id(7), 4.0),
                item(PricingTargetKind::Product, external(), 5.0),
            ],
        ),
        (b, vec![item(PricingTargetKind::Category, PricingTarget::Id(7), 6.0)]),
    ];
    f.store.put_pricing_of_users(&p.id, &batch).await.unwrap();
    let price = |i: &PricingItem| match i.rule {
        PricingRule::Net { price } => price,
        _ => f64::NAN,
    };
    let of_a: Vec<f64> = f.store.list_pricing(&p.id, a).await.unwrap().iter().map(price).collect();
    assert_eq!(of_a, vec![2.0, 4.0, 5.0]);
    let of_b = f.store.list_pricing(&p.id, b).await.unwrap();
    assert_eq!((of_b.len(), of_b[0].shop_id, price(&of_b[0])), (1, Some(3), 6.0));
    assert_eq!(of_b[0].target, PricingTarget::Id(7));
    f.store.put_pricing_of_users(&p.id, &[]).await.unwrap();
}

backend_tests!(
    users_are_found_by_integer_id_and_by_source_id_of_any_source,
    organizations_are_found_by_external_ref,
    addresses_of_many_users_are_written_in_one_call,
    attributes_are_kept_per_user,
    memberships_of_many_users_are_added_in_one_call,
    pricing_of_many_users_is_stored_in_one_call,
);
