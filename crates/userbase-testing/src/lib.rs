//! Test support: a fresh database per test on either backend, and `backend_tests!`, which runs each test
//! on SQLite and on PostgreSQL.
//!
//! PostgreSQL tests need `USERBASE_TEST_POSTGRES_URL` (a database the tests may create databases from,
//! e.g. `postgres://postgres@127.0.0.1:5432/test`). Unset, they are skipped, and the test binary says so
//! on the terminal; set, they are mandatory: an unreachable server fails them.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

pub const POSTGRES_ENV: &str = "USERBASE_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

static SKIP_NOTICE: Once = Once::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn announce_postgres_skipped() {
    SKIP_NOTICE.call_once(|| {
        // Written to the terminal directly: the test harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: PostgreSQL tests SKIPPED ({POSTGRES_ENV} is not set); only the SQLite suite ran.\n\
             Run them with: {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/test cargo test\n"
        );
    });
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_end..].find('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl TestDatabase {
    /// A fresh, empty database; `None` when the backend is PostgreSQL and it is not configured.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("userbase.db").display());
                Some(Self { url, backend, _dir: Some(dir), postgres: None })
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
                    announce_postgres_skipped();
                    return None;
                };
                let name = format!(
                    "userbase_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("{POSTGRES_ENV} is set, so PostgreSQL tests are mandatory, but it is unreachable: {e}")
                });
                admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let _ = admin.close().await;
                let url = with_database(&admin_url, &name);
                Some(Self { url, backend, _dir: None, postgres: Some((admin_url, name)) })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        // Drop runs inside the test's runtime, which cannot block on another; a short-lived thread can.
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// Runs each named `async fn name(backend: Backend)` of the enclosing module once per backend, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
