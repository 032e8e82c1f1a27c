use userbase_core::error::Conflict;
use userbase_core::store::StoreError;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, project};

async fn projects_are_stored_listed_and_unique(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    assert!(f.store.list_projects().await.unwrap().is_empty());
    let a = project("acme");
    f.store.insert_project(&a).await.unwrap();
    f.store.insert_project(&project("beta")).await.unwrap();
    assert_eq!(f.store.get_project(&a.id).await.unwrap(), Some(a.clone()));
    let ids: Vec<_> = f.store.list_projects().await.unwrap().into_iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, ["acme", "beta"]);
    let again = f.store.insert_project(&a).await;
    assert!(matches!(again, Err(StoreError::Conflict(Conflict::ProjectId))), "{again:?}");
}

async fn ping_answers(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    f.store.ping().await.unwrap();
}

backend_tests!(projects_are_stored_listed_and_unique, ping_answers);
