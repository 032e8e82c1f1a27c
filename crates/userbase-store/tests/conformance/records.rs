//! Records (orders, payment methods, subscriptions): offset pages in a timestamp order, filters, totals.

use userbase_core::page::{PageRequest, Position, SortField, SortKey};
use userbase_core::record::{RecordFilter, RecordKind, UserRecord};
use userbase_core::time_util::now_utc;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project};

fn order(p: &userbase_core::project::Project, user_id: i64, status: &str) -> UserRecord {
    let now = now_utc();
    UserRecord {
        numeric_id: 0,
        public_id: RecordKind::Order.new_public_id(),
        project_id: p.id.clone(),
        user_id,
        kind: RecordKind::Order,
        status: status.to_owned(),
        delivery_status: None,
        details: Default::default(),
        created_at: now,
        updated_at: now,
        deleted_at: None,
        version: 1,
    }
}

async fn record_pages_skip_by_offset_and_count_what_matches(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    let user = f.store.insert_user(&new_user(&p, None)).await.unwrap().numeric_id;
    let mut all = Vec::new();
    for i in 0..5 {
        let status = if i % 2 == 0 { "CREATED" } else { "SUCCESS" };
        all.push(f.store.insert_record(&order(&p, user, status)).await.unwrap().public_id);
    }
    let everything = RecordFilter::default();
    let newest = |offset| PageRequest {
        position: Position::Offset(offset),
        limit: 2,
        sort: vec![SortKey { field: SortField::CreatedAt, descending: true }],
    };
    let ids = |page: &userbase_core::page::Page<UserRecord>| {
        page.items.iter().map(|r| r.public_id.clone()).collect::<Vec<_>>()
    };
    let expected: Vec<String> = all.iter().rev().cloned().collect();
    let p0 = f.store.list_records(&p.id, user, RecordKind::Order, &everything, &newest(0)).await.unwrap();
    assert_eq!(ids(&p0), expected[0..2]);
    assert!(p0.more_after && !p0.more_before);
    let p2 = f.store.list_records(&p.id, user, RecordKind::Order, &everything, &newest(4)).await.unwrap();
    assert_eq!(ids(&p2), expected[4..5]);
    assert!(!p2.more_after && p2.more_before);
    let oldest =
        PageRequest::at(Position::First, 10).sorted(vec![SortKey { field: SortField::CreatedAt, descending: false }]);
    assert_eq!(ids(&f.store.list_records(&p.id, user, RecordKind::Order, &everything, &oldest).await.unwrap()), all);
    let created = RecordFilter { statuses: vec!["CREATED".into()], ..RecordFilter::default() };
    assert_eq!(f.store.count_records(&p.id, user, RecordKind::Order, &created).await.unwrap(), 3);
    assert_eq!(f.store.count_records(&p.id, user, RecordKind::Subscription, &everything).await.unwrap(), 0);
    let q = project("beta");
    f.store.insert_project(&q).await.unwrap();
    assert_eq!(f.store.count_records(&q.id, user, RecordKind::Order, &everything).await.unwrap(), 0);
}

backend_tests!(record_pages_skip_by_offset_and_count_what_matches);
