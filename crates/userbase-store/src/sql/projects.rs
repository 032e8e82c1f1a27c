//! Project SQL, shared by both stores.

use std::sync::LazyLock;

pub const INSERT_PROJECT: &str =
    "INSERT INTO projects (id, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)";
pub const PROJECT_COLUMNS: &str = "id, name, settings, created_at, updated_at";
pub static PROJECT_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"));
pub static ALL_PROJECTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY created_at, id"));

pub const UPDATE_PROJECT: &str = "UPDATE projects SET name = $2, settings = $3, updated_at = $4 WHERE id = $1";
