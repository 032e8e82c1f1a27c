//! Turns a unique-constraint violation into the domain conflict it stands for. PostgreSQL names the
//! constraint; SQLite names the columns ("UNIQUE constraint failed: users.project_id, users.email_normalized").

use userbase_core::error::Conflict;

/// What a failed write ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    Conflict(Conflict),
    /// A generated human id collided; the insert is retried with a fresh one.
    HumanId,
}

const BY_CONSTRAINT: &[(&str, Violation)] = &[
    ("users_project_email_key", Violation::Conflict(Conflict::Email)),
    ("user_external_refs_live_key", Violation::Conflict(Conflict::ExternalRef)),
    ("users_project_auth_subject_key", Violation::Conflict(Conflict::AuthSubject)),
    ("users_project_human_id_key", Violation::HumanId),
    ("projects_pkey", Violation::Conflict(Conflict::ProjectId)),
    ("organizations_project_source_key", Violation::Conflict(Conflict::ExternalRef)),
];

const BY_SQLITE_COLUMNS: &[(&str, Violation)] = &[
    ("users.project_id, users.email_normalized", Violation::Conflict(Conflict::Email)),
    (
        "user_external_refs.project_id, user_external_refs.source, user_external_refs.source_id",
        Violation::Conflict(Conflict::ExternalRef),
    ),
    ("users.project_id, users.auth_subject", Violation::Conflict(Conflict::AuthSubject)),
    ("users.project_id, users.human_id", Violation::HumanId),
    ("projects.id", Violation::Conflict(Conflict::ProjectId)),
    (
        "organizations.project_id, organizations.source, organizations.source_id",
        Violation::Conflict(Conflict::ExternalRef),
    ),
];

/// The violation behind `err`, if it is a known unique-constraint violation.
pub fn classify(err: &sqlx::Error) -> Option<Violation> {
    let sqlx::Error::Database(db) = err else { return None };
    if !db.is_unique_violation() {
        return None;
    }
    if let Some(name) = db.constraint() {
        return BY_CONSTRAINT.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    }
    of_sqlite_message(db.message())
}

/// The violation an SQLite constraint error message reports, if it is a known uniqueness rule.
pub fn of_sqlite_message(message: &str) -> Option<Violation> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    BY_SQLITE_COLUMNS.iter().find(|(c, _)| *c == columns).map(|(_, v)| *v)
}
