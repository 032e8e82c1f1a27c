use userbase_core::ids::OrganizationId;
use userbase_core::organization::{OrganizationFields, OrganizationKey};
use userbase_core::store::{NewOrganizationRecord, StoreError};
use userbase_core::time_util::now_utc;
use userbase_core::values::ExternalRef;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

fn record(p: &userbase_core::project::Project, name: &str, parent: Option<i64>) -> NewOrganizationRecord {
    NewOrganizationRecord {
        project_id: p.id.clone(),
        public_id: OrganizationId::generate(now_utc()),
        fields: OrganizationFields {
            name: name.into(),
            parent_id: parent,
            external_ref: None,
            plan: None,
            metadata: Default::default(),
        },
        created_at: now_utc(),
    }
}

async fn organizations_memberships_and_their_cascades(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut root = record(&p, "Root", None);
    root.fields.external_ref = Some(ExternalRef::parse("r", "erp", "1").unwrap());
    let root = f.store.insert_organization(&root).await.unwrap();
    let child = f.store.insert_organization(&record(&p, "Child", Some(root.numeric_id))).await.unwrap();
    assert_eq!(child.parent_public_id.as_ref(), Some(&root.public_id));
    let mut dup = record(&p, "Dup", None);
    dup.fields.external_ref = root.fields.external_ref.clone();
    assert!(matches!(f.store.insert_organization(&dup).await, Err(StoreError::Conflict(_))));

    let mut renamed = root.clone();
    renamed.fields.name = "Renamed".into();
    let renamed = f.store.update_organization(&renamed).await.unwrap();
    assert_eq!((renamed.fields.name.as_str(), renamed.version), ("Renamed", 2));
    assert!(matches!(f.store.update_organization(&root).await, Err(StoreError::VersionMismatch)));

    let user = f.store.insert_user(&new_user(&p, None)).await.unwrap();
    let m = f.store.put_membership(&p.id, root.numeric_id, user.numeric_id, "Owner", now_utc()).await.unwrap();
    assert_eq!((m.role.as_str(), &m.user_public_id), ("Owner", &user.public_id));
    let m = f.store.put_membership(&p.id, root.numeric_id, user.numeric_id, "Viewer", now_utc()).await.unwrap();
    assert_eq!(m.role, "Viewer");
    assert_eq!(f.store.list_memberships(&p.id, None, Some(user.numeric_id)).await.unwrap().len(), 1);

    let (page, more) = f.store.list_organizations(&p.id, None, 1).await.unwrap();
    assert_eq!((page[0].numeric_id, more), (child.numeric_id, true));
    assert!(f.store.delete_organization(&p.id, root.numeric_id, None).await.unwrap());
    let orphan = f.store.find_organization(&p.id, &OrganizationKey::Numeric(child.numeric_id)).await.unwrap().unwrap();
    assert_eq!(orphan.fields.parent_id, None);
    assert!(f.store.list_memberships(&p.id, None, Some(user.numeric_id)).await.unwrap().is_empty());
    let other = project("beta");
    f.store.insert_project(&other).await.unwrap();
    assert!(f.store.find_organization(&other.id, &OrganizationKey::Numeric(child.numeric_id)).await.unwrap().is_none());
}

/// A user, its own organization and its membership are inserted together, the organization as its default;
/// a user refused by a uniqueness rule (email, external ref) leaves no organization behind.
async fn a_user_is_inserted_with_its_own_organization_in_one_transaction(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let mut rec = new_user(&p, Some("a@example.com"));
    rec.profile.external_refs = vec![ExternalRef::parse("r", "other_id", "x1").unwrap()];
    let (user, m) =
        f.store.insert_user_with_organization(&rec, &record(&p, "Default Profile", None), "Owner").await.unwrap();
    assert_eq!(user.profile.default_organization_id, Some(m.organization_id));
    assert_eq!(
        (m.user_id, m.role.as_str(), m.organization_name.as_str()),
        (user.numeric_id, "Owner", "Default Profile")
    );
    assert_eq!(user.profile.external_refs, rec.profile.external_refs);
    let stored = f.store.find_user(&p.id, &userbase_core::user::UserKey::Numeric(user.numeric_id)).await.unwrap();
    assert_eq!(stored.unwrap().profile.default_organization_id, Some(m.organization_id));
    assert_eq!(f.store.list_memberships(&p.id, Some(m.organization_id), None).await.unwrap(), vec![m]);

    let taken_email = new_user(&p, Some("A@example.com"));
    let mut taken_ref = new_user(&p, Some("b@example.com"));
    taken_ref.profile.external_refs = rec.profile.external_refs.clone();
    for refused in [taken_email, taken_ref] {
        let result =
            f.store.insert_user_with_organization(&refused, &record(&p, "Default Profile", None), "Owner").await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    let (orgs, _) = f.store.list_organizations(&p.id, None, 10).await.unwrap();
    assert_eq!(orgs.len(), 1, "refused users left no organization behind");
    assert!(f
        .store
        .find_user(&p.id, &userbase_core::user::UserKey::Public(rec.public_id.clone()))
        .await
        .unwrap()
        .is_some());
}

backend_tests!(
    organizations_memberships_and_their_cascades,
    a_user_is_inserted_with_its_own_organization_in_one_transaction
);
