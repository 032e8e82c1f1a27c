//! The store conformance suite: every `Store` behaviour, on SQLite and on PostgreSQL, through the trait.

#![allow(clippy::unwrap_used)]

mod addresses;
mod bounds;
mod bulk;
mod concurrency;
mod erasure;
mod keys;
mod organizations;
mod plans;
mod projects;
mod propeller;
mod records;
mod substring;
mod users;

use std::sync::Arc;

use userbase_core::ids::{HumanId, ObjectId, ProjectId, PublicUserId};
use userbase_core::project::{Project, ProjectSettings};
use userbase_core::store::{NewUserRecord, Store, UniqueClaims};
use userbase_core::time_util::now_utc;
use userbase_core::user::{BuiltonExtras, Profile, UserStatus};
use userbase_core::values::Email;
use userbase_store::OpenOptions;
use userbase_testing::{Backend, TestDatabase};

/// An opened, migrated store on a fresh database.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    _db: TestDatabase,
}

pub async fn fixture(backend: Backend) -> Option<Fixture> {
    fixture_with(backend, OpenOptions { max_connections: Some(4), ..OpenOptions::default() }).await
}

pub async fn fixture_with(backend: Backend, options: OpenOptions) -> Option<Fixture> {
    let db = TestDatabase::create(backend).await?;
    let store = userbase_store::open(&db.url, &options).await.unwrap();
    Some(Fixture { store, _db: db })
}

impl Fixture {
    /// The database's URL, for a test that looks at it directly (query plans).
    pub fn url(&self) -> &str {
        &self._db.url
    }
}

/// Each connection to an in-memory SQLite database would see a database of its own: refused, not half-working.
#[tokio::test]
async fn in_memory_sqlite_is_refused_with_a_clear_error() {
    for url in ["sqlite::memory:", "sqlite://db?mode=memory"] {
        let err = userbase_store::open(url, &OpenOptions::default()).await.err().expect(url);
        assert!(matches!(err, userbase_store::OpenError::InMemory), "{url}: {err}");
    }
}

pub fn project(id: &str) -> Project {
    let now = now_utc();
    Project {
        id: ProjectId::parse(id).unwrap(),
        name: format!("Project {id}"),
        settings: ProjectSettings::default(),
        created_at: now,
        updated_at: now,
    }
}

/// A user record with the given email, claiming uniqueness as a live user of a project with unique emails.
pub fn new_user(project: &Project, email: Option<&str>) -> NewUserRecord {
    let now = now_utc();
    let profile = Profile { email: email.map(|e| Email::parse("email", e).unwrap()), ..Profile::default() };
    NewUserRecord {
        project_id: project.id.clone(),
        public_id: PublicUserId::generate(now),
        object_id: ObjectId::generate(now),
        human_id: HumanId::generate(),
        claims: UniqueClaims { email: email.is_some(), live: true },
        profile,
        builton: BuiltonExtras::default(),
        status: UserStatus::Active,
        created_at: now,
        last_login_at: None,
    }
}
