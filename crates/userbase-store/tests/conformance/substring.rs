//! Substring and suffix filters (`co`, `ew`) on the email and the names answer exactly what their LIKE
//! always did (case folded, the value's `%`, `_` and `\` literal, `not` two-valued, other projects never
//! matched) now that an index serves them (SQLite's trigram tables and PostgreSQL's reversed-email index,
//! migration 0013), and every write is reflected at once. Their plans are checked in `plans.rs`.

use userbase_core::error::Conflict;
use userbase_core::filter::parse;
use userbase_core::page::PageRequest;
use userbase_core::store::{InsertOutcome, NewUserRecord, RefsChange, UniqueClaims, UserFilter};
use userbase_core::time_util::now_utc;
use userbase_core::user::{User, UserStatus};
use userbase_core::values::{Email, ExternalRef};
use userbase_store::query::{self, Flavor};
use userbase_testing::{backend_tests, Backend};

use super::{fixture, new_user, project, Fixture};

fn live(expr: &str) -> UserFilter {
    UserFilter::live().matching(Some(parse(expr).unwrap()))
}

fn named(p: &userbase_core::project::Project, email: Option<&str>, first: &str, last: &str) -> NewUserRecord {
    let mut rec = new_user(p, email);
    rec.profile.first_name = Some(first.into()).filter(|s: &String| !s.is_empty());
    rec.profile.last_name = Some(last.into()).filter(|s: &String| !s.is_empty());
    rec
}

async fn count(f: &Fixture, project: &str, filter: &UserFilter) -> u64 {
    f.store.count_users(&super::project(project).id, filter).await.unwrap()
}

/// The numeric ids of a page of 20 matching `expr` (newest first).
async fn listed(f: &Fixture, expr: &str) -> Vec<i64> {
    let page = f.store.list_users(&project("acme").id, &live(expr), PageRequest::first(20)).await.unwrap();
    page.items.iter().map(|u| u.numeric_id).collect()
}

/// Whether the count the store runs for `expr` goes through the index of migration 0013.
fn served_by_index(f: &Fixture, backend: Backend, expr: &str) -> bool {
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap();
            query::sqlite_count_users(&conn, "acme", &live(expr)).unwrap().sql.contains("_trigrams")
        }
        Backend::Postgres => query::count_users(Flavor::Postgres, "acme", &live(expr)).sql.contains("reverse("),
    }
}

async fn update(f: &Fixture, mut user: User, change: impl FnOnce(&mut User)) -> User {
    change(&mut user);
    user.updated_at = now_utc();
    let claims = UniqueClaims { email: user.profile.email.is_some(), live: user.deleted_at.is_none() };
    f.store.update_user(&user, claims, RefsChange::Unchanged).await.unwrap()
}

async fn substring_filters_match_exactly_and_follow_every_write(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    let (acme, other) = (project("acme"), project("other"));
    f.store.insert_project(&acme).await.unwrap();
    f.store.insert_project(&other).await.unwrap();
    let insert = |rec: NewUserRecord| {
        let store = f.store.clone();
        async move { store.insert_user(&rec).await.unwrap() }
    };
    let anna = insert(named(&acme, Some("Anna.Lund@Example.com"), "Anna", "Lundqvist")).await;
    let bob = insert(named(&acme, Some("bob@shop.example.org"), "Bob", "50%_off\\deal")).await;
    // Would match `co "0%_o"` if `%` and `_` were wildcards.
    let carl = insert(named(&acme, Some("carl@example.com"), "Carl", "50xyoff")).await;
    let nobody = insert(named(&acme, None, "", "")).await;
    insert(named(&other, Some("anna.lund@example.com"), "Anna", "Lundqvist")).await;

    let cases: &[(&str, &[i64])] = &[
        (r#"last_name co "UNDQ""#, &[anna.numeric_id]),
        (r#"last_name ew "QVIST""#, &[anna.numeric_id]),
        (r#"last_name co "0%_""#, &[bob.numeric_id]),
        (r#"last_name co "0%_o""#, &[bob.numeric_id]),
        (r#"last_name co "f\\de""#, &[bob.numeric_id]),
        (r#"last_name co "x_o""#, &[]),
        (r#"first_name co "nna""#, &[anna.numeric_id]),
        (r#"email ew "@EXAMPLE.COM""#, &[carl.numeric_id, anna.numeric_id]),
        (r#"email ew "example.org""#, &[bob.numeric_id]),
        (r#"email ew "example""#, &[]),
        (r#"email co "SHOP.ex""#, &[bob.numeric_id]),
        (r#"not last_name co "und""#, &[nobody.numeric_id, carl.numeric_id, bob.numeric_id]),
        (r#"not email ew ".com""#, &[nobody.numeric_id, bob.numeric_id]),
        (r#"first_name co "nna" or last_name co "xyo""#, &[carl.numeric_id, anna.numeric_id]),
        (r#"first_name co "nna" and email ew ".com""#, &[anna.numeric_id]),
        (r#"first_name co "nna" and email ew ".org""#, &[]),
        // Shorter than a trigram: read by walking the project, the same answers.
        (r#"last_name co "50""#, &[carl.numeric_id, bob.numeric_id]),
        (r#"email ew "om""#, &[carl.numeric_id, anna.numeric_id]),
    ];
    for (expr, expected) in cases {
        assert_eq!(listed(&f, expr).await, expected.to_vec(), "{expr}");
        assert_eq!(count(&f, "acme", &live(expr)).await, expected.len() as u64, "count of {expr}");
    }
    assert!(served_by_index(&f, backend, r#"email ew "@example.com""#));
    if backend == Backend::Sqlite {
        assert!(served_by_index(&f, backend, r#"last_name co "UNDQ""#));
    }
    assert_eq!(count(&f, "other", &live(r#"last_name co "undq""#)).await, 1, "each project its own");

    // An update is reflected at once: the old value no longer matches, the new one does.
    let anna = update(&f, anna, |u| {
        u.profile.last_name = Some("Berg".into());
        u.profile.email = Some(Email::parse("email", "anna@else.net").unwrap());
    })
    .await;
    assert_eq!(listed(&f, r#"last_name co "undq""#).await, Vec::<i64>::new());
    assert_eq!(listed(&f, r#"last_name co "ERG""#).await, vec![anna.numeric_id]);
    assert_eq!(listed(&f, r#"email ew "example.com""#).await, vec![carl.numeric_id]);
    assert_eq!(listed(&f, r#"email ew "else.net""#).await, vec![anna.numeric_id]);
    assert_eq!(count(&f, "other", &live(r#"last_name co "undq""#)).await, 1, "another project's user is kept");

    // A soft delete hides the user from live lists; an erase removes it from every list.
    let carl = update(&f, carl, |u| {
        u.status = UserStatus::Deleted;
        u.deleted_at = Some(now_utc());
    })
    .await;
    assert_eq!(listed(&f, r#"last_name co "xyo""#).await, Vec::<i64>::new());
    let with_deleted = live(r#"last_name co "xyo""#).including_deleted(true);
    assert_eq!(count(&f, "acme", &with_deleted).await, 1);
    f.store.erase_user(&acme.id, carl.numeric_id).await.unwrap().unwrap();
    assert_eq!(count(&f, "acme", &with_deleted).await, 0);
    f.store.erase_user(&acme.id, bob.numeric_id).await.unwrap().unwrap();
    assert_eq!(count(&f, "acme", &live(r#"last_name co "0%_""#)).await, 0);
    assert_eq!(listed(&f, r#"email co "example""#).await, Vec::<i64>::new());

    // A bulk insert's users are found at once; one taken back for an external ref another user holds leaves
    // nothing behind (on SQLite the inserter, not a trigger, fills the trigram tables: migration 0014).
    let held = ExternalRef::parse("r", "erp", "held").unwrap();
    let mut holder = named(&acme, None, "Hal", "Holder");
    holder.profile.external_refs = vec![held.clone()];
    f.store.insert_user(&holder).await.unwrap();
    let mut refused = named(&acme, Some("refused@bulk.io"), "Rita", "Refusedqq");
    refused.profile.external_refs = vec![held];
    let records = [
        named(&acme, Some("one@bulk.io"), "Olle", "Bulkqq"),
        refused,
        named(&acme, Some("two@bulk.io"), "Tove", "Bulkqq"),
    ];
    let outcomes = f.store.insert_users(&records).await.unwrap();
    assert_eq!(outcomes[1], InsertOutcome::Conflict(Conflict::ExternalRef));
    assert_eq!(count(&f, "acme", &live(r#"last_name co "ULKQ""#)).await, 2);
    assert_eq!(count(&f, "acme", &live(r#"email ew "@bulk.io""#)).await, 2);
    assert_eq!(count(&f, "acme", &live(r#"last_name co "efusedq""#)).await, 0);
    if backend == Backend::Sqlite {
        // FTS5 compares each trigram table with the rows of `users` (rank 1: against the external content).
        let conn = rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap();
        for table in ["users_email_trigrams", "users_first_name_trigrams", "users_last_name_trigrams"] {
            let check = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
            conn.execute(&check, []).unwrap_or_else(|e| panic!("{table}: {e}"));
        }
    }
}

/// A store whose connections loaded the schema keeps writing users after another connection changed the schema
/// (`userbase import` runs `ANALYZE`): the triggers' trigram tables are connected again on the way.
async fn writes_go_on_after_another_connection_changes_the_schema(backend: Backend) {
    let Some(f) = fixture(backend).await else { return };
    if backend != Backend::Sqlite {
        return;
    }
    let acme = project("acme");
    f.store.insert_project(&acme).await.unwrap();
    let conn = rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap();
    conn.execute_batch("CREATE TABLE schema_change (x INTEGER); ANALYZE users").unwrap();
    let user = f.store.insert_user(&named(&acme, Some("a@example.com"), "Ann", "Lundqvist")).await.unwrap();
    conn.execute_batch("DROP TABLE schema_change").unwrap();
    let user = update(&f, user, |u| u.profile.last_name = Some("Berg".into())).await;
    assert_eq!(listed(&f, r#"last_name co "ERG""#).await, vec![user.numeric_id]);
    f.store.erase_user(&acme.id, user.numeric_id).await.unwrap().unwrap();
}

/// Many users updated in one call (`update_users`, a bulk upsert's changed users): each item on its own (a
/// stale version, a taken email and a listed-twice user fail or win alone), refs rewritten where they changed,
/// and every change in the substring index. 3,000 users: on SQLite more savepoints than FTS5 takes segments
/// in one transaction (it refused 5,000 with "database or disk is full").
async fn many_users_are_updated_in_one_call_each_on_its_own(backend: Backend) {
    use userbase_core::store::UserUpdate;
    let Some(f) = fixture(backend).await else { return };
    let acme = project("acme");
    f.store.insert_project(&acme).await.unwrap();
    let records: Vec<NewUserRecord> =
        (0..3_000).map(|i| named(&acme, Some(&format!("u{i}@many.io")), "Ann", "Before")).collect();
    let outcomes = f.store.insert_users(&records).await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, InsertOutcome::Inserted(_))));
    let ids: Vec<i64> = outcomes.iter().map(|o| if let InsertOutcome::Inserted(id) = o { *id } else { 0 }).collect();
    let mut users = Vec::new();
    for id in &ids {
        users.push(f.store.find_user(&acme.id, &userbase_core::user::UserKey::Numeric(*id)).await.unwrap().unwrap());
    }
    let claims = UniqueClaims { email: true, live: true };
    let mut updates: Vec<UserUpdate> = users
        .iter()
        .map(|u| {
            let mut to = u.clone();
            to.profile.last_name = Some("Afterzz".into());
            UserUpdate { user: to, claims, refs: RefsChange::Unchanged }
        })
        .collect();
    // Item 10: a stale version. Item 20: the email of user 21. Item 30: new refs. Item 40: user 41 again.
    updates[10].user.version += 5;
    updates[20].user.profile.email = Some(Email::parse("email", "u21@many.io").unwrap());
    updates[30].user.profile.external_refs = vec![ExternalRef::parse("r", "erp", "X30").unwrap()];
    updates[30].refs = RefsChange::Rewrite;
    let mut again = updates[41].clone();
    again.user.profile.first_name = Some("Again".into());
    updates.insert(42, again);
    let done = f.store.update_users(&updates).await.unwrap();
    assert_eq!(done.len(), 3_001);
    assert!(matches!(done[10], Err(userbase_core::store::StoreError::VersionMismatch)), "{:?}", done[10]);
    assert!(matches!(done[20], Err(userbase_core::store::StoreError::Conflict(Conflict::Email))), "{:?}", done[20]);
    assert!(matches!(done[42], Err(userbase_core::store::StoreError::VersionMismatch)), "listed again: {:?}", done[42]);
    let updated = done.iter().filter(|d| d.is_ok()).count();
    assert_eq!(updated, 2_998);
    assert_eq!(done[0].as_ref().unwrap().version, users[0].version + 1);
    assert_eq!(count(&f, "acme", &live(r#"last_name co "fterz""#)).await, 2_998);
    assert_eq!(count(&f, "acme", &live(r#"last_name co "efor""#)).await, 2);
    assert_eq!(count(&f, "acme", &live(r#"external_refs.source_id eq "X30""#)).await, 1);
    assert_eq!(count(&f, "acme", &live(r#"email eq "u20@many.io""#)).await, 1, "the refused item changed nothing");
    // Without a conflict (PostgreSQL: multi-row statements, more than one), a user listed twice still loses
    // its second item to the first.
    let mut second: Vec<UserUpdate> = done[100..700]
        .iter()
        .map(|u| {
            let mut to = u.as_ref().unwrap().clone();
            to.profile.first_name = Some("Secondyy".into());
            UserUpdate { user: to, claims, refs: RefsChange::Unchanged }
        })
        .collect();
    second.push(second[0].clone());
    // A user whose refs change, then listed again: the first item is written first, the second finds it stale.
    let mut with_refs = done[800].as_ref().unwrap().clone();
    with_refs.profile.external_refs = vec![ExternalRef::parse("r", "erp", "X800").unwrap()];
    second.push(UserUpdate { user: with_refs.clone(), claims, refs: RefsChange::Rewrite });
    with_refs.profile.first_name = Some("Later".into());
    second.push(UserUpdate { user: with_refs, claims, refs: RefsChange::Unchanged });
    let done = f.store.update_users(&second).await.unwrap();
    assert_eq!(done.iter().filter(|d| d.is_ok()).count(), 601);
    assert!(matches!(done[600], Err(userbase_core::store::StoreError::VersionMismatch)), "{:?}", done[600]);
    assert!(done[601].is_ok(), "{:?}", done[601]);
    assert!(matches!(done[602], Err(userbase_core::store::StoreError::VersionMismatch)), "{:?}", done[602]);
    assert_eq!(count(&f, "acme", &live(r#"external_refs.source_id eq "X800""#)).await, 1);
    assert_eq!(count(&f, "acme", &live(r#"first_name co "econdy""#)).await, 600);
    if backend == Backend::Sqlite {
        let conn = rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap();
        for table in ["users_email_trigrams", "users_first_name_trigrams", "users_last_name_trigrams"] {
            let check = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
            conn.execute(&check, []).unwrap_or_else(|e| panic!("{table}: {e}"));
        }
    }
}

backend_tests!(
    substring_filters_match_exactly_and_follow_every_write,
    writes_go_on_after_another_connection_changes_the_schema,
    many_users_are_updated_in_one_call_each_on_its_own
);
