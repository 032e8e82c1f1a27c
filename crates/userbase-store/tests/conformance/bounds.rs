//! Bounds on expensive reads: the query time bound, turns for expensive reads per project, and plans that use
//! the project's index from the first requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use userbase_core::filter::parse;
use userbase_core::ids::ProjectId;
use userbase_core::page::{PageRequest, SortField, SortKey};
use userbase_core::project::Project;
use userbase_core::store::{NewUserRecord, Store, StoreError, UserFilter};
use userbase_core::user::UserKey;
use userbase_store::OpenOptions;
use userbase_testing::{backend_tests, Backend};

use super::{fixture, fixture_with, new_user, project};

/// Users whose `note` is 4 KiB of text, so that every substring comparison on it costs microseconds.
fn heavy_users(p: &Project, n: usize) -> Vec<NewUserRecord> {
    let note: String = (0..700).map(|i| format!("w{i} ")).collect::<String>().chars().take(4096).collect();
    (0..n)
        .map(|_| {
            let mut rec = new_user(p, None);
            rec.profile.note = Some(note.clone());
            rec
        })
        .collect()
}

/// 64 OR-ed substring comparisons no user matches: each row is compared 64 times, to the end of its note.
fn pathological() -> UserFilter {
    let expr = (0..64).map(|i| format!("note co \"zq{i}x\"")).collect::<Vec<_>>().join(" or ");
    UserFilter::live().matching(Some(parse(&expr).unwrap()))
}

fn bounded(ms: u64) -> OpenOptions {
    OpenOptions { max_connections: Some(4), query_timeout: Some(Duration::from_millis(ms)), ..OpenOptions::default() }
}

async fn a_read_past_the_time_bound_fails_with_timeout_and_the_store_stays_usable(backend: Backend) {
    let Some(f) = fixture_with(backend, bounded(200)).await else { return };
    let p = project("acme");
    f.store.insert_project(&p).await.unwrap();
    // Seeded without the bound: on a loaded machine the 4,000-user insert itself may take longer than 200 ms.
    let unbounded = userbase_store::open(f.url(), &bounded(0)).await.unwrap();
    unbounded.insert_users(&heavy_users(&p, 4_000)).await.unwrap();
    drop(unbounded);
    let someone = f.store.insert_user(&new_user(&p, Some("a@example.com"))).await.unwrap();

    let started = Instant::now();
    let listed = f.store.list_users(&p.id, &pathological(), PageRequest::first(20)).await;
    assert!(matches!(listed, Err(StoreError::Timeout)), "{listed:?}");
    let counted = f.store.count_users(&p.id, &pathological()).await;
    assert!(matches!(counted, Err(StoreError::Timeout)), "{counted:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());

    let found = f.store.find_user(&p.id, &UserKey::Public(someone.public_id.clone())).await.unwrap();
    assert_eq!(found.map(|u| u.numeric_id), Some(someone.numeric_id));
    let page = f.store.list_users(&p.id, &UserFilter::live(), PageRequest::first(5)).await.unwrap();
    assert_eq!(page.items.len(), 5);
}

async fn expensive_reads_of_one_project_leave_connections_for_another_projects_lookups(backend: Backend) {
    // Four connections: without turns, a dozen slow reads would hold all of them until they time out.
    let Some(f) = fixture_with(backend, bounded(2_000)).await else { return };
    let (a, b) = (project("busy"), project("calm"));
    f.store.insert_project(&a).await.unwrap();
    f.store.insert_project(&b).await.unwrap();
    f.store.insert_users(&heavy_users(&a, 4_000)).await.unwrap();
    let calm = f.store.insert_user(&new_user(&b, Some("calm@example.com"))).await.unwrap();

    let slow: Vec<_> = (0..12)
        .map(|_| {
            let (store, project): (Arc<dyn Store>, ProjectId) = (f.store.clone(), a.id.clone());
            tokio::spawn(async move { store.list_users(&project, &pathological(), PageRequest::first(20)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let started = Instant::now();
        let found = f.store.find_user(&b.id, &UserKey::Public(calm.public_id.clone())).await.unwrap();
        assert!(found.is_some());
        assert!(started.elapsed() < Duration::from_millis(500), "get by id took {:?}", started.elapsed());
    }
    for read in slow {
        match read.await.unwrap() {
            Ok(_) | Err(StoreError::Timeout) => {}
            Err(e) => panic!("an expensive read failed otherwise: {e:?}"),
        }
    }
}

async fn list_plans_use_the_project_index_without_waiting_for_autovacuum(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (small, big) = (project("small"), project("big"));
    f.store.insert_project(&small).await.unwrap();
    f.store.insert_project(&big).await.unwrap();
    for _ in 0..20 {
        f.store.insert_user(&new_user(&small, None)).await.unwrap();
    }
    // Single creates, as an application signing users up makes them (coalesced on PostgreSQL).
    let creates: Vec<_> = (0..10_000)
        .map(|_| {
            let (store, rec) = (f.store.clone(), new_user(&big, None));
            tokio::spawn(async move { store.insert_user(&rec).await.map(drop) })
        })
        .collect();
    for c in creates {
        c.await.unwrap().unwrap();
    }
    let newest_first = "SELECT id FROM users WHERE project_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 21";
    let by_last_name = "SELECT id FROM users WHERE project_id = $1 AND deleted_at IS NULL \
                        ORDER BY COALESCE(lower(last_name), '') DESC, id DESC LIMIT 21";
    match backend {
        Backend::Postgres => {
            use sqlx::{Connection, Executor, Row};
            let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
            // The store refreshes statistics itself, in the background: no ANALYZE here, no autovacuum needed.
            let deadline = Instant::now() + Duration::from_secs(10);
            let stats = "SELECT count(*) FROM pg_stats WHERE tablename = 'users' AND attname = 'project_id'";
            while sqlx::query_scalar::<_, i64>(stats).fetch_one(&mut conn).await.unwrap() == 0 {
                assert!(Instant::now() < deadline, "no planner statistics after 10,020 creates");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // One plan for every project (sqlx keeps statements prepared; PostgreSQL switches to a generic plan).
            conn.execute("SET plan_cache_mode = force_generic_plan").await.unwrap();
            for (name, sql, index) in
                [("q", newest_first, "users_project_page_idx"), ("n", by_last_name, "users_project_last_name_sort_idx")]
            {
                conn.execute(format!("PREPARE {name}(text) AS {sql}").as_str()).await.unwrap();
                for p in ["small", "big"] {
                    let plan: Vec<String> = sqlx::query(&format!("EXPLAIN EXECUTE {name}('{p}')"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| r.get::<String, _>(0))
                        .collect();
                    let plan = plan.join("\n");
                    assert!(plan.contains(index) && !plan.contains("Sort"), "{name} for {p}:\n{plan}");
                }
            }
            // Substring filters: the trigram index of migration 0011, checked in `plans.rs`.
        }
        Backend::Sqlite => {
            let path = f.url().trim_start_matches("sqlite://").to_owned();
            let conn = rusqlite::Connection::open(path).unwrap();
            for (sql, index) in
                [(newest_first, "users_project_page_idx"), (by_last_name, "users_project_last_name_sort_idx")]
            {
                let sql = format!("EXPLAIN QUERY PLAN {}", sql.replace("$1", "?1"));
                for p in ["small", "big"] {
                    let mut stmt = conn.prepare(&sql).unwrap();
                    let plan: Vec<String> =
                        stmt.query_map([p], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect();
                    let plan = plan.join("\n");
                    assert!(plan.contains(index) && !plan.contains("TEMP B-TREE"), "{sql} for {p}:\n{plan}");
                }
            }
        }
    }
    // And the store's own pages answer.
    let sort = vec![SortKey { field: SortField::LastName, descending: true }];
    let page = f.store.list_users(&small.id, &UserFilter::live(), PageRequest::first(21).sorted(sort)).await.unwrap();
    assert_eq!(page.items.len(), 20);
}

backend_tests!(
    a_read_past_the_time_bound_fails_with_timeout_and_the_store_stays_usable,
    expensive_reads_of_one_project_leave_connections_for_another_projects_lookups,
    list_plans_use_the_project_index_without_waiting_for_autovacuum,
);
