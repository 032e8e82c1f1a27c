//! Project SQL, shared by both stores.

use std::sync::LazyLock;

use userbase_core::project::Project;

use crate::sql::sink::Arg;
use crate::sql::time::DbTime;

pub const INSERT_PROJECT: &str =
    "INSERT INTO projects (id, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)";
pub const PROJECT_COLUMNS: &str = "id, name, settings, created_at, updated_at";
pub static PROJECT_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"));
pub static ALL_PROJECTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY created_at, id"));

pub const UPDATE_PROJECT: &str = "UPDATE projects SET name = $2, settings = $3, updated_at = $4 WHERE id = $1";

/// The values of `INSERT_PROJECT`, as both stores bind them.
pub fn insert_args(project: &Project) -> [Arg<'_>; 5] {
    let [id, name, settings, updated_at] = update_args(project);
    [id, name, settings, DbTime(project.created_at).into(), updated_at]
}

/// The values of `UPDATE_PROJECT`, as both stores bind them.
pub fn update_args(project: &Project) -> [Arg<'_>; 4] {
    [
        project.id.as_str().into(),
        project.name.as_str().into(),
        Arg::json(&project.settings),
        DbTime(project.updated_at).into(),
    ]
}
