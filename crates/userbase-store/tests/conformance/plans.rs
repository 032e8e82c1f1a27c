//! Query plans of the SQL the stores really run (`userbase_store::query`), on a project of a few thousand
//! users with planner statistics: every equality on an indexed attribute searches its own index, not the
//! project's page index (a walk of the whole project in list order), an unfiltered count reads the maintained
//! counts, and substring filters search an index (PostgreSQL: trigram, reversed email; SQLite: trigram tables). PostgreSQL plans are
//! checked as planned for the values, and, for statements the store keeps prepared, once for every value (the
//! generic plan prepared statements switch to).

use sqlx::{Connection, Executor, Row};
use userbase_core::filter::parse;
use userbase_core::page::{parse_sort, PageRequest, Position};
use userbase_core::store::{UpsertKey, UserFilter};
use userbase_store::query::{self, BuiltQuery, Flavor};
use userbase_testing::{backend_tests, Backend};

use super::{fixture, project, Fixture};

/// Users in the big project: enough that the planners prefer an index to a scan, with rows as small as a new
/// user's (its BuiltOn extras stored as `{}`).
const USERS: i64 = 5_000;

/// `USERS` users shaped like the scale run's (bench/scale/gen_users.py): user `i` has email
/// `user{i}@d{i % 50}.example.com`, first name `First{i}`, last name `Lund{i}`, the external ref `erp`/`{i}`, the auth subject
/// `Sub|{i}`; every 500th is blocked and every 500th (another) deleted; the BuiltOn extras are those of
/// a user the store made. Then `ANALYZE`.
const FILL_POSTGRES: &str = "
    INSERT INTO users (project_id, public_id, object_id, human_id, auth_subject, email, email_normalized,
        email_unique, first_name, last_name, tags, builton, status, created_at, updated_at, deleted_at)
    SELECT 'big', 'usr_' || lpad(i::text, 28, '0'), lpad(i::text, 24, '0'), 'H' || i, 'Sub|' || i,
        'user' || i || '@d' || (i % 50) || '.example.com', 'user' || i || '@d' || (i % 50) || '.example.com',
        i % 500 <> 3, 'First' || i, 'Lund' || i,
        CASE WHEN i % 100 = 0 THEN '[\"vip\"]'::jsonb ELSE '[\"customer\"]'::jsonb END,
        (SELECT builton FROM users WHERE project_id = 'small' LIMIT 1),
        CASE WHEN i % 500 = 3 THEN 'deleted' WHEN i % 500 = 7 THEN 'blocked' ELSE 'active' END,
        timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + i * interval '1 minute',
        CASE WHEN i % 500 = 3 THEN timestamptz '2026-06-01' END
    FROM generate_series(0, $1 - 1) i;
    INSERT INTO user_external_refs (user_id, project_id, source, source_id, live)
    SELECT id, project_id, 'erp', substr(public_id, 5)::bigint::text, deleted_at IS NULL FROM users
    WHERE project_id = 'big';
    ANALYZE users;
    ANALYZE user_external_refs;";

const FILL_SQLITE: &str = "
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
    INSERT INTO users (project_id, public_id, object_id, human_id, auth_subject, email, email_normalized,
        email_unique, first_name, last_name, tags, builton, status, created_at, updated_at, deleted_at)
    SELECT 'big', 'usr_' || printf('%028d', i), printf('%024d', i), 'H' || i, 'Sub|' || i,
        'user' || i || '@d' || (i % 50) || '.example.com', 'user' || i || '@d' || (i % 50) || '.example.com',
        i % 500 <> 3, 'First' || i, 'Lund' || i,
        CASE WHEN i % 100 = 0 THEN '[\"vip\"]' ELSE '[\"customer\"]' END,
        (SELECT builton FROM users WHERE project_id = 'small' LIMIT 1),
        CASE WHEN i % 500 = 3 THEN 'deleted' WHEN i % 500 = 7 THEN 'blocked' ELSE 'active' END,
        1767225600000000 + i * 60000000, 1767225600000000 + i * 60000000,
        CASE WHEN i % 500 = 3 THEN 1780272000000000 END
    FROM n";

const REFS_SQLITE: &str = "
    INSERT INTO user_external_refs (user_id, project_id, source, source_id, live)
    SELECT id, project_id, 'erp', CAST(CAST(substr(public_id, 5) AS INTEGER) AS TEXT), deleted_at IS NULL
    FROM users WHERE project_id = 'big'";

/// What the SQLite store's inserter does for the users it inserts (migration 0014), done here for the users
/// filled by SQL: the project's counts and the trigram tables.
const KEEP_SQLITE: &str = "
    UPDATE user_counts SET
        live = (SELECT count(*) FROM users WHERE project_id = 'big' AND deleted_at IS NULL),
        total = (SELECT count(*) FROM users WHERE project_id = 'big')
    WHERE project_id = 'big';
    INSERT INTO users_email_trigrams (rowid, email_normalized)
        SELECT id, email_normalized FROM users WHERE project_id = 'big';
    INSERT INTO users_first_name_trigrams (rowid, first_name) SELECT id, first_name FROM users WHERE project_id = 'big';
    INSERT INTO users_last_name_trigrams (rowid, last_name) SELECT id, last_name FROM users WHERE project_id = 'big';";

async fn filled(backend: Backend) -> Option<Fixture> {
    filled_with(backend, USERS).await
}

/// `filled` with `users` users in the big project.
async fn filled_with(backend: Backend, users: i64) -> Option<Fixture> {
    let f = fixture(backend).await?;
    for p in ["big", "small"] {
        f.store.insert_project(&project(p)).await.unwrap();
    }
    for _ in 0..20 {
        f.store.insert_user(&super::new_user(&project("small"), None)).await.unwrap();
    }
    match backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
            let fill = FILL_POSTGRES.replace("$1", &users.to_string());
            conn.execute(fill.as_str()).await.unwrap();
        }
        Backend::Sqlite => {
            let conn = sqlite(&f);
            conn.execute(FILL_SQLITE, [users]).unwrap();
            conn.execute(REFS_SQLITE, []).unwrap();
            conn.execute_batch(KEEP_SQLITE).unwrap();
            conn.execute_batch("ANALYZE").unwrap();
        }
    }
    Some(f)
}

fn sqlite(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.url().trim_start_matches("sqlite://")).unwrap()
}

/// The plan(s) of `built`: SQLite's `EXPLAIN QUERY PLAN`; on PostgreSQL the plan for its values, and the
/// generic plan when the store keeps the statement prepared.
async fn plans(f: &Fixture, backend: Backend, built: &BuiltQuery) -> Vec<String> {
    match backend {
        Backend::Sqlite => {
            let conn = sqlite(f);
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", built.sql)).unwrap();
            let rows = stmt.query_map(rusqlite::params_from_iter(built.params.iter()), |r| r.get::<_, String>(3));
            vec![rows.unwrap().map(Result::unwrap).collect::<Vec<_>>().join("\n")]
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
            // The store runs them in the read's transaction (`SET LOCAL`); the session is the same here.
            for setting in built.settings {
                conn.execute(setting.replace("SET LOCAL", "SET").as_str()).await.unwrap();
            }
            conn.execute(format!("PREPARE q AS {}", built.sql).as_str()).await.unwrap();
            let values: Vec<String> = built.params.iter().map(|p| p.pg_literal()).collect();
            let mut out = Vec::new();
            let modes: &[&str] =
                if built.prepared { &["force_custom_plan", "force_generic_plan"] } else { &["force_custom_plan"] };
            for mode in modes {
                conn.execute(format!("SET plan_cache_mode = {mode}").as_str()).await.unwrap();
                let explain = format!("EXPLAIN EXECUTE q({})", values.join(", "));
                let rows = sqlx::query(&explain).fetch_all(&mut conn).await.unwrap();
                let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
                out.push(format!("{mode}:\n{}", plan.join("\n")));
            }
            out
        }
    }
}

/// The page query the store runs for `filter` in the big project.
fn page_query(f: &Fixture, backend: Backend, filter: &UserFilter, page: &PageRequest) -> BuiltQuery {
    match backend {
        Backend::Sqlite => query::sqlite_list_users(&sqlite(f), "big", filter, page).unwrap(),
        Backend::Postgres => query::postgres_list_users("big", filter, page),
    }
}

/// The exact count the store runs for `filter` in the big project.
fn count_query(f: &Fixture, backend: Backend, filter: &UserFilter) -> BuiltQuery {
    match backend {
        Backend::Sqlite => query::sqlite_count_users(&sqlite(f), "big", filter).unwrap(),
        Backend::Postgres => query::count_users(Flavor::Postgres, "big", filter),
    }
}

fn flavor(backend: Backend) -> Flavor {
    match backend {
        Backend::Sqlite => Flavor::Sqlite,
        Backend::Postgres => Flavor::Postgres,
    }
}

fn live(expr: &str) -> UserFilter {
    UserFilter::live().matching(Some(parse(expr).unwrap()))
}

/// Whether a plan walks the project's page index (searched by the project alone, not by an id too).
fn walks_the_project(plan: &str) -> bool {
    let lines: Vec<&str> = plan.lines().collect();
    plan.contains("users_project_page_idx (project_id=?)")
        || lines.iter().enumerate().any(|(i, line)| {
            line.contains("using users_project_page_idx") && !lines.get(i + 1).is_some_and(|c| c.contains("(id = "))
        })
}

/// Whether `plan` holds `scan` of the users table itself (not of a table named `users_...`).
fn scans(plan: &str, scan: &str) -> bool {
    plan.match_indices(scan)
        .any(|(i, _)| !plan[i + scan.len()..].starts_with(|c: char| c == '_' || c.is_alphanumeric()))
}

/// Asserts that every plan of `built` names one of `indexes` and never walks or scans the project.
async fn assert_searches(f: &Fixture, backend: Backend, what: &str, built: &BuiltQuery, indexes: &[&str]) {
    for plan in plans(f, backend, built).await {
        assert!(indexes.iter().any(|i| plan.contains(i)), "{what}: expected {indexes:?} in\n{plan}\nfor {}", built.sql);
        assert!(!walks_the_project(&plan), "{what}: walks the project in\n{plan}\nfor {}", built.sql);
        assert!(!scans(&plan, "Seq Scan on users") && !scans(&plan, "SCAN users"), "{what}: scans users in\n{plan}");
    }
}

async fn every_indexed_equality_searches_its_own_index(backend: Backend) {
    let Some(f) = filled(backend).await else { return };
    let fl = flavor(backend);
    let (numeric_id, public_id, object_id): (i64, String, String) = match backend {
        Backend::Sqlite => sqlite(&f)
            .query_row("SELECT id, public_id, object_id FROM users WHERE human_id = 'H2345'", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap(),
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
            sqlx::query_as("SELECT id, public_id, object_id FROM users WHERE human_id = 'H2345'")
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    };
    // The primary key, or the page index searched by the project and the id.
    let pk = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY",
        Backend::Postgres => "users_pkey",
    };
    let pk = &[pk, "users_project_page_idx"][..];
    let cases = [
        (r#"email eq "User2345@d45.example.com""#.to_owned(), &["users_project_email_sort_idx"][..]),
        (format!(r#"id eq "{public_id}""#), &["users_public_id_key"]),
        (format!(r#"object_id eq "{object_id}""#), &["users_object_id_key"]),
        (format!("numeric_id eq {numeric_id}"), pk),
        (r#"human_id eq "H2345""#.to_owned(), &["users_project_human_id_key"]),
        (r#"external_refs[source eq "erp" and source_id eq "2345"]"#.to_owned(), &["user_external_refs_source_id_idx"]),
        (r#"external_refs.source_id eq "2345""#.to_owned(), &["user_external_refs_source_id_idx"]),
        (r#"auth_subject eq "sub|2300""#.to_owned(), &["users_project_auth_subject_lower_idx"]),
        (r#"status eq "blocked""#.to_owned(), &["users_project_status_idx"]),
        (
            r#"created_at ge "2026-01-02T00:00:00Z" and created_at lt "2026-01-02T01:00:00Z""#.to_owned(),
            &["users_project_created_idx"],
        ),
        // The oldest users: a walk from the newest would pass every other user.
        (r#"updated_at le "2026-01-01T00:30:00Z""#.to_owned(), &["users_project_updated_idx"]),
        // Combined with `and`, the most selective index leads.
        (r#"email eq "user2345@d45.example.com" and tags eq "customer""#.to_owned(), &["users_project_email_sort_idx"]),
        (r#"status eq "active" and human_id eq "H2345""#.to_owned(), &["users_project_human_id_key"]),
        (r#"tags eq "vip" and external_refs.source_id eq "2345""#.to_owned(), &["user_external_refs_source_id_idx"]),
    ];
    for (expr, index) in cases {
        let filter = live(&expr);
        let page = page_query(&f, backend, &filter, &PageRequest::first(20));
        assert_searches(&f, backend, &expr, &page, index).await;
        let count = query::count_users(fl, "big", &filter);
        assert_searches(&f, backend, &format!("count of {expr}"), &count, index).await;
    }
    // The dedicated `?email=` parameter too.
    let by_email = UserFilter::live().with_email(Some("user2345@d45.example.com"));
    let page = page_query(&f, backend, &by_email, &PageRequest::first(20));
    assert_searches(&f, backend, "?email=", &page, &["users_project_email_sort_idx"]).await;
    // The lookups of upserts by key (bulk, BoltonSea's email, Propeller's source id).
    let emails = vec!["user2345@d45.example.com".to_owned(), "user17@d17.example.com".to_owned()];
    let lookup = query::users_by_key(fl, "big", &UpsertKey::Email, &emails);
    assert_searches(&f, backend, "upsert by email", &lookup, &["users_project_email_sort_idx"]).await;
    let refs = vec!["2345".to_owned()];
    let lookup = query::users_by_key(fl, "big", &UpsertKey::ExternalRef("erp".into()), &refs);
    let either = ["user_external_refs_live_key", "user_external_refs_source_id_idx"];
    assert_searches(&f, backend, "upsert by external ref", &lookup, &either).await;
    let lookup = query::users_by_key(fl, "big", &UpsertKey::AnyExternalRef, &refs);
    assert_searches(&f, backend, "lookup by source id", &lookup, &["user_external_refs_source_id_idx"]).await;
    // A wide time range: the newest users match at once, so SQLite walks the project in list order (its
    // statistics cannot tell narrow from wide; the store probes the range's size, `push_page`).
    if backend == Backend::Sqlite {
        let wide = live(r#"created_at ge "2026-01-01T00:00:00Z" and created_at le "2027-01-01T00:00:00Z""#);
        let page = page_query(&f, backend, &wide, &PageRequest::first(20));
        let plan = plans(&f, backend, &page).await.join("\n");
        assert!(walks_the_project(&plan) && !plan.contains("TEMP B-TREE"), "{plan}");
    }
}

/// The plans are of the SQL that answers: each filter finds its users through the store.
async fn the_filters_whose_plans_are_checked_find_their_users(backend: Backend) {
    let Some(f) = filled(backend).await else { return };
    let big = project("big").id;
    let count = |expr: &'static str| {
        let store = f.store.clone();
        let big = big.clone();
        async move { store.count_users(&big, &live(expr)).await.unwrap() }
    };
    assert_eq!(count(r#"email eq "User2345@d45.example.com""#).await, 1);
    assert_eq!(count(r#"external_refs[source eq "erp" and source_id eq "2345"]"#).await, 1);
    assert_eq!(count(r#"external_refs[source eq "crm" and source_id eq "2345"]"#).await, 0);
    assert_eq!(count(r#"external_refs.source_id eq "2345""#).await, 1);
    assert_eq!(count(r#"external_refs.source_id eq "2003""#).await, 0, "a deleted user's ref");
    assert_eq!(count(r#"not external_refs.source_id eq "2345""#).await, 4_989);
    assert_eq!(count(r#"auth_subject eq "SUB|2300""#).await, 1, "case-insensitive, as every text attribute");
    assert_eq!(count(r#"status eq "blocked""#).await, 10);
    let page = f.store.list_users(&big, &live(r#"status eq "blocked""#), PageRequest::first(3)).await.unwrap();
    let ids: Vec<i64> = page.items.iter().map(|u| u.numeric_id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]) && page.more_after, "newest first: {ids:?}");
}

/// `include=total` without a filter reads the project's maintained counts, not its users.
async fn an_unfiltered_count_reads_the_maintained_counts(backend: Backend) {
    let Some(f) = filled(backend).await else { return };
    for filter in [UserFilter::live(), UserFilter::live().including_deleted(true)] {
        let built = query::count_users(flavor(backend), "big", &filter);
        for plan in plans(&f, backend, &built).await {
            let reads_users = plan.split(|c: char| !c.is_alphanumeric() && c != '_').any(|word| word == "users");
            assert!(plan.contains("user_counts") && !reads_users, "{plan}");
        }
    }
    let big = project("big").id;
    assert_eq!(f.store.count_users(&big, &UserFilter::live()).await.unwrap(), (USERS - 10) as u64);
    assert_eq!(f.store.count_users(&big, &UserFilter::live().including_deleted(true)).await.unwrap(), USERS as u64);
}

/// Substring and suffix filters on the email and the names search an index: on PostgreSQL the trigram index of
/// migration 0011 where the database could create pg_trgm (it can on CI) for `co`, and the reversed-email index
/// of 0013 for `email ew`; on SQLite the trigram tables of 0013, for values with a trigram shared by few users
/// (`sql/substring.rs`).
async fn substring_filters_search_an_index(backend: Backend) {
    let Some(f) = filled(backend).await else { return };
    let trigram_index = |table: &'static str| match backend {
        Backend::Sqlite => table,
        Backend::Postgres => "users_text_trgm_idx",
    };
    let mut cases = vec![
        (r#"last_name co "und234""#, trigram_index("users_last_name_trigrams")),
        (r#"first_name co "irst234""#, trigram_index("users_first_name_trigrams")),
        (r#"last_name ew "D2345""#, trigram_index("users_last_name_trigrams")),
        (r#"email co "r2345@""#, trigram_index("users_email_trigrams")),
        (r#"email ew "2345@d45.example.com""#, trigram_index("users_email_trigrams")),
        (r#"email ew "2345@d45.example.com" and tags eq "customer""#, trigram_index("users_email_trigrams")),
    ];
    if backend == Backend::Postgres {
        let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
        // A table of users this small is cheaper to read whole than through any index; another project's 40,000
        // users make a scan cost what it does in a real table (the trigram search costs what it finds).
        f.store.insert_project(&project("other")).await.unwrap();
        let others = FILL_POSTGRES
            .replace("'big'", "'other'")
            .replace("generate_series(0, $1 - 1)", "generate_series(1000000, 1000000 + $1 - 1)")
            .replace("$1", "40000");
        conn.execute(others.as_str()).await.unwrap();
        let created = "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_text_trgm_idx'";
        if sqlx::query_scalar::<_, i64>(created).fetch_one(&mut conn).await.unwrap() == 0 {
            let available = "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'";
            let available = sqlx::query_scalar::<_, i64>(available).fetch_one(&mut conn).await.unwrap();
            assert_eq!(available, 0, "pg_trgm is available but migration 0011 did not create the index");
            cases.retain(|(expr, _)| expr.contains("email ew"));
        }
        // A suffix of the email is a prefix of the reversed email.
        for case in cases.iter_mut().filter(|(expr, _)| expr.contains("email ew")) {
            case.1 = "users_project_email_reversed_idx";
        }
    }
    for (expr, index) in cases {
        let filter = live(expr);
        let page = page_query(&f, backend, &filter, &PageRequest::first(20));
        assert_searches(&f, backend, expr, &page, &[index]).await;
        if backend == Backend::Postgres && !expr.contains("email ew") {
            // First a bounded walk in list order (`user_list::Source::Window`), never the trigram index or a scan
            // (not for a suffix of the email, read from the reversed-email index as the planner sees fit).
            let window = query::postgres_list_users_window("big", &filter, &PageRequest::first(20));
            for plan in plans(&f, backend, &window).await {
                assert!(plan.contains("Limit") && plan.contains("Index Scan"), "{expr}: window\n{plan}");
                assert!(!plan.contains("users_text_trgm_idx") && !scans(&plan, "Seq Scan on users"), "{expr}\n{plan}");
            }
        }
        let count = count_query(&f, backend, &filter);
        assert_searches(&f, backend, &format!("count of {expr}"), &count, &[index]).await;
    }
    let big = project("big").id;
    assert_eq!(f.store.count_users(&big, &live(r#"last_name co "UND234""#)).await.unwrap(), 11);
    assert_eq!(f.store.count_users(&big, &live(r#"email ew "2345@D45.example.com""#)).await.unwrap(), 1);
    if backend == Backend::Sqlite {
        // Every trigram of "Lund" is shared by more users than a search should read (another project's): the walk
        // in list order meets matches at once.
        f.store.insert_project(&project("other")).await.unwrap();
        let others = FILL_SQLITE
            .replace("'big'", "'other'")
            .replace("printf('%028d', i)", "printf('%028d', i + 1000000)")
            .replace("printf('%024d', i)", "printf('%024d', i + 1000000)");
        let conn = sqlite(&f);
        conn.execute(&others, [query::SELECTIVE_TRIGRAM as i64]).unwrap();
        conn.execute_batch(&KEEP_SQLITE.replace("'big'", "'other'")).unwrap();
        let page = page_query(&f, backend, &live(r#"last_name co "Lund""#), &PageRequest::first(20));
        let plan = plans(&f, backend, &page).await.join("\n");
        assert!(walks_the_project(&plan) && !plan.contains("_trigrams"), "{plan}");
    }
}

/// Pages of a text pattern are what the filter alone gives, whichever way the store reads them. The big project
/// holds `PATTERN_WINDOW` + 3,000 users named `Lund{i}`: `co "und2"` is held by users 2, 20–29, 200–299 and
/// 2,000–2,999 only, the oldest, so no window of the newest users holds one and PostgreSQL reads them through the
/// trigram index (SQLite, with another project's users making its trigrams common, its trigram tables);
/// `co "und1"` (1, 10–19, ..., 10,000–12,999) fills pages within a window. Checked against the
/// plain query of the table: every page forwards by cursor (with what lies before and after), a page backwards,
/// an offset, a sort, and the small project (no more users than a window).
async fn pattern_pages_are_the_filters_whether_a_window_or_the_index_finds_them(backend: Backend) {
    let Some(f) = filled_with(backend, query::PATTERN_WINDOW as i64 + 3_000).await else { return };
    let big = project("big").id;
    if backend == Backend::Sqlite {
        // Another project's users named `Xund2{i}` make both trigrams of "und2" common, so SQLite too walks a
        // window first and then searches the common trigrams together (`sql/substring.rs`).
        f.store.insert_project(&project("other")).await.unwrap();
        let others = FILL_SQLITE
            .replace("'big'", "'other'")
            .replace("'Lund' || i", "'Xund2' || i")
            .replace("printf('%028d', i)", "printf('%028d', i + 1000000)")
            .replace("printf('%024d', i)", "printf('%024d', i + 1000000)");
        let conn = sqlite(&f);
        conn.execute(&others, [query::SELECTIVE_TRIGRAM as i64]).unwrap();
        conn.execute_batch(&KEEP_SQLITE.replace("'big'", "'other'")).unwrap();
    }
    let cases = [
        (r#"last_name co "und2""#, "%und2%"),
        (r#"last_name co "und1""#, "%und1%"),
        (r#"last_name sw "LUND2""#, "lund2%"),
    ];
    for (expr, pattern) in cases {
        let filter = live(expr);
        let order = "ORDER BY id DESC";
        let expected = matching_ids(&f, backend, "big", pattern, order).await;
        assert!(expected.len() > 1_000, "{pattern}: {}", expected.len());
        let mut seen = Vec::new();
        let mut position = Position::First;
        loop {
            let page = f.store.list_users(&big, &filter, PageRequest::at(position, 50)).await.unwrap();
            assert_eq!(page.more_before, !seen.is_empty(), "{pattern} after {} users", seen.len());
            seen.extend(page.items.iter().map(|u| u.numeric_id));
            if !page.more_after {
                break;
            }
            position = Position::After(*seen.last().unwrap());
        }
        assert_eq!(seen, expected, "{pattern}: every page forwards");
        let last = expected.len() - 1;
        let back = f.store.list_users(&big, &filter, PageRequest::at(Position::Before(expected[last]), 50)).await;
        let back = back.unwrap();
        let ids: Vec<i64> = back.items.iter().map(|u| u.numeric_id).collect();
        assert_eq!(ids, expected[last - 50..last], "{pattern}: the page before the last user");
        assert!(back.more_before && back.more_after);
        let offset = f.store.list_users(&big, &filter, PageRequest::at(Position::Offset(100), 50)).await.unwrap();
        let ids: Vec<i64> = offset.items.iter().map(|u| u.numeric_id).collect();
        assert_eq!(ids, expected[100..150], "{pattern}: at offset 100");
        // A sort key, and the next page from the first's last key (a keyset position inside the window).
        let newest = parse_sort("-created_at").unwrap();
        let first = f.store.list_users(&big, &filter, PageRequest::first(30).sorted(newest.clone())).await.unwrap();
        let ids: Vec<i64> = first.items.iter().map(|u| u.numeric_id).collect();
        assert_eq!(ids, expected[..30], "{pattern}: sorted by creation, newest first");
        let after = Position::AfterKey(first.last_key.clone().unwrap());
        let second = f.store.list_users(&big, &filter, PageRequest::at(after, 30).sorted(newest)).await.unwrap();
        let ids: Vec<i64> = second.items.iter().map(|u| u.numeric_id).collect();
        assert_eq!(ids, expected[30..60], "{pattern}: the next page by key");
        assert!(second.more_before && second.more_after);
        let by_name = PageRequest::first(30).sorted(parse_sort("-last_name").unwrap());
        let sorted = f.store.list_users(&big, &filter, by_name).await.unwrap();
        let ids: Vec<i64> = sorted.items.iter().map(|u| u.numeric_id).collect();
        let expected = matching_ids(&f, backend, "big", pattern, "ORDER BY lower(last_name) DESC, id DESC").await;
        assert_eq!(ids, expected[..30], "{pattern}: sorted by last name, descending");
    }
    if backend == Backend::Sqlite {
        // The window: read in its order as a co-routine, stopping at the page's last match (no sort of it).
        for expr in [r#"last_name co "und1""#, r#"last_name sw "LUND2""#] {
            let built =
                query::sqlite_list_users_window(&sqlite(&f), "big", &live(expr), &PageRequest::first(20)).unwrap();
            let plan = plans(&f, backend, &built).await.join("\n");
            assert!(plan.contains("CO-ROUTINE") && !plan.contains("TEMP B-TREE"), "{expr}: {plan}");
        }
        // Read through the indexes: the common trigrams together, the prefix as a range of the sort index.
        for (expr, index) in [
            (r#"last_name co "und2""#, "users_last_name_trigrams"),
            (r#"last_name sw "LUND2""#, "users_project_last_name_sort_idx"),
        ] {
            let built =
                query::sqlite_list_users_through_indexes(&sqlite(&f), "big", &live(expr), &PageRequest::first(20))
                    .unwrap();
            let plan = plans(&f, backend, &built).await.join("\n");
            assert!(plan.contains(index) && !walks_the_project(&plan), "{expr}: {plan}");
        }
    }
    let small = project("small");
    for k in 0..5 {
        let mut user = super::new_user(&small, None);
        user.profile.last_name = Some(format!("Lund2{k}"));
        f.store.insert_user(&user).await.unwrap();
    }
    let small = small.id;
    for pattern in ["und2", "und9"] {
        let filter = live(&format!(r#"last_name co "{pattern}""#));
        let pattern = format!("%{pattern}%");
        let pattern = pattern.as_str();
        let page = f.store.list_users(&small, &filter, PageRequest::first(50)).await.unwrap();
        let ids: Vec<i64> = page.items.iter().map(|u| u.numeric_id).collect();
        assert_eq!(ids, matching_ids(&f, backend, "small", pattern, "ORDER BY id DESC").await, "small: {pattern}");
        assert_eq!(ids.len(), if pattern == "%und2%" { 5 } else { 0 });
    }
}

/// The live users of `project` whose lowercased last name is LIKE `pattern`, in `order`: the plain query.
async fn matching_ids(f: &Fixture, backend: Backend, project: &str, pattern: &str, order: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT id FROM users WHERE project_id = '{project}' AND deleted_at IS NULL \
         AND lower(last_name) LIKE '{pattern}' {order}"
    );
    match backend {
        Backend::Sqlite => {
            let conn = sqlite(f);
            let mut stmt = conn.prepare(&sql).unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
            sqlx::query_scalar(&sql).fetch_all(&mut conn).await.unwrap()
        }
    }
}

backend_tests!(
    pattern_pages_are_the_filters_whether_a_window_or_the_index_finds_them,
    every_indexed_equality_searches_its_own_index,
    the_filters_whose_plans_are_checked_find_their_users,
    an_unfiltered_count_reads_the_maintained_counts,
    substring_filters_search_an_index,
);
