//! Administrative commands: migrate, projects, keys. Secrets go to standard output once; everything else
//! goes to standard error or a table on standard output.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use time::format_description::well_known::Rfc3339;
use userbase_core::api_key::{KeyId, KeyKind, NewKey};
use userbase_core::ids::ProjectId;
use userbase_core::project::ProjectSettings;
use userbase_core::services::{KeyService, NewProject, ProjectService};
use userbase_core::store::Store;
use userbase_core::DomainError;
use userbase_store::OpenOptions;

use crate::cli::KeyKindArg;

pub async fn open(database: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_with(database, &OpenOptions { max_connections: 2 }).await
}

pub async fn open_with(database: &str, options: &OpenOptions) -> anyhow::Result<Arc<dyn Store>> {
    userbase_store::open(database, options).await.with_context(|| format!("database {}", redact(database)))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Turns a domain error into a message for the terminal.
fn describe(e: DomainError) -> anyhow::Error {
    match e {
        DomainError::Invalid(errors) => {
            anyhow!(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))
        }
        DomainError::Conflict(c) => anyhow!(c.message()),
        DomainError::NotFound { resource } => anyhow!("no such {resource}"),
        other => anyhow!(other.to_string()),
    }
}

pub async fn migrate(database: &str) -> anyhow::Result<()> {
    open(database).await?;
    eprintln!("database {} is up to date", redact(database));
    Ok(())
}

pub fn project_id(id: &str) -> anyhow::Result<ProjectId> {
    ProjectId::parse(id).map_err(|e| anyhow!(e.message))
}

pub async fn create_project(database: &str, id: &str, name: Option<String>) -> anyhow::Result<()> {
    let projects = ProjectService::new(open(database).await?);
    let project = projects
        .create(NewProject { id: project_id(id)?, name, settings: ProjectSettings::default() })
        .await
        .map_err(describe)?;
    println!("{}", project.id);
    eprintln!("created project {} ({})", project.id, project.name);
    Ok(())
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub async fn list_projects(database: &str) -> anyhow::Result<()> {
    let projects = ProjectService::new(open(database).await?).list().await.map_err(describe)?;
    println!("{:<24} {:<32} CREATED", "ID", "NAME");
    for p in projects {
        println!("{:<24} {:<32} {}", p.id, p.name, time_text(p.created_at));
    }
    Ok(())
}

pub async fn create_key(database: &str, project: &str, kind: KeyKindArg, name: Option<String>) -> anyhow::Result<()> {
    let keys = KeyService::new(open(database).await?);
    let kind = match kind {
        KeyKindArg::Secret => KeyKind::Secret,
        KeyKindArg::Publishable => KeyKind::Publishable,
    };
    let key = keys
        .create(NewKey {
            project_id: project_id(project)?,
            kind,
            name,
            user_id: None,
            scopes: vec![],
            expires_at: None,
        })
        .await
        .map_err(describe)?;
    println!("{}", key.plaintext);
    eprintln!(
        "created {} key {} for project {}; it is shown only this once",
        kind.as_str(),
        key.record.id,
        key.record.project_id
    );
    Ok(())
}

pub async fn list_keys(database: &str, project: &str) -> anyhow::Result<()> {
    let keys = KeyService::new(open(database).await?).list(&project_id(project)?).await.map_err(describe)?;
    let now = time::OffsetDateTime::now_utc();
    println!("{:<22} {:<12} {:<16} {:<8} {:<26} LAST USED", "ID", "KIND", "PREFIX", "STATE", "CREATED");
    for k in keys {
        let state = if k.revoked_at.is_some() {
            "revoked"
        } else if !k.is_usable(now) {
            "expired"
        } else {
            "active"
        };
        println!(
            "{:<22} {:<12} {:<16} {:<8} {:<26} {}",
            k.id,
            k.kind.as_str(),
            k.prefix,
            state,
            time_text(k.created_at),
            k.last_used_at.map(time_text).unwrap_or_else(|| "never".into())
        );
    }
    Ok(())
}

pub async fn revoke_key(database: &str, key_id: &str) -> anyhow::Result<()> {
    let id = KeyId::parse(key_id).ok_or_else(|| anyhow!("not a key id (expected key_ followed by 16 characters)"))?;
    let key = KeyService::new(open(database).await?).revoke(&id).await.map_err(describe)?;
    eprintln!("revoked key {} of project {}", key.id, key.project_id);
    Ok(())
}
