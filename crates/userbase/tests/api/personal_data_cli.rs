//! The retention purge from the command line (`userbase purge`, for cron) and in `serve` (the background
//! task), and an erase reaching another server's key cache: the real binary, on both backends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use userbase_core::ids::{HumanId, ObjectId, ProjectId, PublicUserId};
use userbase_core::store::{NewUserRecord, RefsChange, Store, UniqueClaims, UserFilter};
use userbase_core::time_util::now_utc;
use userbase_core::user::{BuiltonExtras, Profile, User, UserKey, UserStatus};
use userbase_core::values::Email;
use userbase_store::OpenOptions;
use userbase_testing::{backend_tests, Backend, TestDatabase};

use crate::cli::{stdout, userbase, Server};

async fn open(db: &TestDatabase) -> Arc<dyn Store> {
    userbase_store::open(&db.url, &OpenOptions { max_connections: Some(2), ..OpenOptions::default() }).await.unwrap()
}

fn acme() -> ProjectId {
    ProjectId::parse("acme").unwrap()
}

/// A user of `acme` with this email, deleted `ago` if given.
async fn user(store: &Arc<dyn Store>, email: &str, deleted_ago: Option<time::Duration>) -> User {
    let now = now_utc();
    let profile = Profile { email: Some(Email::parse("email", email).unwrap()), ..Profile::default() };
    let record = NewUserRecord {
        project_id: acme(),
        public_id: PublicUserId::generate(now),
        object_id: ObjectId::generate(now),
        human_id: HumanId::generate(),
        claims: UniqueClaims { email: true, live: true },
        profile,
        builton: BuiltonExtras::default(),
        status: UserStatus::Active,
        created_at: now,
        last_login_at: None,
    };
    let mut user = store.insert_user(&record).await.unwrap();
    if let Some(ago) = deleted_ago {
        user.status = UserStatus::Deleted;
        user.deleted_at = Some(now - ago);
        user = store.update_user(&user, UniqueClaims { email: false, live: false }, RefsChange::Rewrite).await.unwrap();
    }
    user
}

async fn exists(store: &Arc<dyn Store>, user: &User) -> bool {
    store.find_user(&acme(), &UserKey::Numeric(user.numeric_id)).await.unwrap().is_some()
}

async fn purge_dry_run_counts_and_removes_nothing_then_purge_removes_what_is_due(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let store = open(&db).await;
    let old = user(&store, "old@example.com", Some(time::Duration::days(40))).await;
    let recent = user(&store, "recent@example.com", Some(time::Duration::days(1))).await;
    let live = user(&store, "live@example.com", None).await;

    let dry = userbase(&db, &["purge", "--project", "acme", "--dry-run"]);
    assert!(dry.status.success());
    let line = stdout(&dry);
    assert!(line.starts_with("acme would remove: users=1 addresses=0"), "{line}");
    assert!(line.contains("idempotency_records=0"), "{line}");
    assert!(!line.contains("old@example.com"), "counts only: {line}");
    assert!(exists(&store, &old).await, "a dry run removes nothing");

    let purge = userbase(&db, &["purge", "--project", "acme"]);
    assert!(purge.status.success());
    assert!(stdout(&purge).starts_with("acme removed: users=1 "), "{}", stdout(&purge));
    assert!(!exists(&store, &old).await, "deleted 40 days ago: purged");
    assert!(exists(&store, &recent).await && exists(&store, &live).await, "newer and live users stay");
    let again = userbase(&db, &["purge", "--dry-run"]);
    assert!(stdout(&again).starts_with("acme would remove: users=0 "), "{}", stdout(&again));
    assert!(!userbase(&db, &["purge", "--project", "nope"]).status.success());

    let set = userbase(&db, &["projects", "update", "acme", "--deleted-retention-days", "0"]);
    assert!(set.status.success());
    let due = userbase(&db, &["purge", "--project", "acme", "--dry-run"]);
    assert!(stdout(&due).starts_with("acme would remove: users=1 "), "retention 0: {}", stdout(&due));
}

/// The `users=N` count of a `userbase purge` line.
fn users_removed(line: &str) -> u64 {
    let count = line.split_whitespace().find_map(|w| w.strip_prefix("users=")).unwrap_or_else(|| panic!("{line}"));
    count.parse().unwrap()
}

async fn two_purges_at_once_both_succeed_and_remove_each_user_once(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let store = open(&db).await;
    // More than two batches of 500, so that the processes overlap.
    const USERS: u64 = 1_100;
    let mut made = tokio::task::JoinSet::new();
    for i in 0..USERS {
        let store = store.clone();
        made.spawn(async move { user(&store, &format!("u{i}@example.com"), Some(time::Duration::days(31))).await });
    }
    made.join_all().await;
    let purge = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_userbase"))
            .args(["purge", "--project", "acme"])
            .env("USERBASE_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (purge(), purge());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "neither purge fails");
    let (from_a, from_b) = (users_removed(&stdout(&a)), users_removed(&stdout(&b)));
    // A purge that found the rest held by the other stops; the next run takes what is left.
    let rest = users_removed(&stdout(&userbase(&db, &["purge", "--project", "acme"])));
    assert_eq!(from_a + from_b + rest, USERS, "each user removed once: {from_a} + {from_b} + {rest}");
    let left = store.count_users(&acme(), &UserFilter::live().including_deleted(true)).await.unwrap();
    assert_eq!(left, 0);
}

async fn serve_purges_in_the_background_and_counts_it_in_metrics(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let store = open(&db).await;
    let old = user(&store, "old@example.com", Some(time::Duration::days(31))).await;
    let recent = user(&store, "recent@example.com", Some(time::Duration::days(1))).await;
    let mut server = Server::start(&db, &["--no-bootstrap", "--purge-interval-seconds", "1"]);
    let started = Instant::now();
    while exists(&store, &old).await {
        assert!(started.elapsed() < Duration::from_secs(15), "the background purge did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exists(&store, &recent).await);
    let metrics = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("userbase_personal_data_removed_total{cause=\"purge\",kind=\"users\"} 1"), "{metrics}");
    assert!(server.terminate());
}

async fn a_key_of_an_erased_user_stops_working_on_another_caching_server(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let store = open(&db).await;
    let jerry = user(&store, "jerry@example.com", None).await;
    let id = jerry.public_id.as_str();
    let created =
        userbase(&db, &["keys", "create", "--project", "acme", "--kind", "user", "--user", id, "--scopes", "read"]);
    let user_key = stdout(&created).trim().to_owned();
    let admin = userbase(&db, &["keys", "create", "--project", "acme", "--kind", "secret"]);
    let admin = stdout(&admin).trim().to_owned();
    let cache = ["--no-bootstrap", "--key-cache-seconds", "600"];
    let (mut a, mut b) = (Server::start(&db, &cache), Server::start(&db, &cache));
    let me = |base: String, key: String| async move {
        let reply = reqwest::Client::new().get(format!("{base}/v1/me")).bearer_auth(key).send().await.unwrap();
        reply.status().as_u16()
    };
    assert_eq!(me(a.base.clone(), user_key.clone()).await, 200, "the key is cached on A");

    let client = reqwest::Client::new();
    let erased = client.post(format!("{}/v1/users/{id}/erase", b.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(erased.status().as_u16(), 200);
    let started = Instant::now();
    while me(a.base.clone(), user_key.clone()).await != 401 {
        assert!(started.elapsed() < Duration::from_secs(1), "A still honours the erased user's key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(a.terminate() && b.terminate());
}

backend_tests!(
    purge_dry_run_counts_and_removes_nothing_then_purge_removes_what_is_due,
    two_purges_at_once_both_succeed_and_remove_each_user_once,
    serve_purges_in_the_background_and_counts_it_in_metrics,
    a_key_of_an_erased_user_stops_working_on_another_caching_server,
);
