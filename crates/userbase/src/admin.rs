//! Administrative commands: migrate, projects, keys. Secrets go to standard output once; everything else
//! goes to standard error or a table on standard output.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use time::format_description::well_known::Rfc3339;
use userbase_core::api_key::{KeyId, KeyKind, NewKey};
use userbase_core::ids::ProjectId;
use userbase_core::ids::PublicUserId;
use userbase_core::project::{JwtSettings, ProjectSettings};
use userbase_core::services::{KeyService, NewProject, PersonalDataService, ProjectService, ProjectUpdate};
use userbase_core::store::Store;
use userbase_core::user::UserKey;
use userbase_core::DomainError;
use userbase_store::OpenOptions;

use crate::cli::KeyKindArg;

pub async fn open(database: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_with(database, &OpenOptions { max_connections: Some(2), ..OpenOptions::default() }).await
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

pub struct KeyArgs {
    pub kind: KeyKindArg,
    pub name: Option<String>,
    pub user: Option<String>,
    pub scopes: Vec<String>,
    pub expires_in: Option<String>,
    /// The server secret that hashes the new key (as `serve` uses it).
    pub secrets: userbase_core::server_secret::ServerSecrets,
}

/// Parses `90d`, `12h`, `30m` or `45s`.
fn parse_duration(text: &str) -> anyhow::Result<time::Duration> {
    let bad = || anyhow!("'{text}' is not a duration such as 90d, 12h or 30m");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    match unit {
        "d" => Ok(time::Duration::days(n)),
        "h" => Ok(time::Duration::hours(n)),
        "m" => Ok(time::Duration::minutes(n)),
        "s" => Ok(time::Duration::seconds(n)),
        _ => Err(bad()),
    }
}

pub async fn create_key(database: &str, project: &str, args: KeyArgs) -> anyhow::Result<()> {
    let store = open(database).await?;
    let keys = KeyService::new(store.clone()).with_server_secrets(args.secrets);
    let project_id = project_id(project)?;
    let kind = match args.kind {
        KeyKindArg::Secret => KeyKind::Secret,
        KeyKindArg::Publishable => KeyKind::Publishable,
        KeyKindArg::User => KeyKind::User,
    };
    let user_id = match &args.user {
        None => None,
        Some(id) => {
            let public = PublicUserId::parse(id).ok_or_else(|| anyhow!("'{id}' is not a user id (usr_...)"))?;
            let found = store.find_user(&project_id, &UserKey::Public(public)).await.map_err(|e| anyhow!("{e}"))?;
            let user = found.filter(|u| !u.is_deleted()).ok_or_else(|| anyhow!("no such user in project {project}"))?;
            Some(user.numeric_id)
        }
    };
    let expires_at = match &args.expires_in {
        None => None,
        Some(text) => Some(time::OffsetDateTime::now_utc() + parse_duration(text)?),
    };
    let new = NewKey { project_id, kind, name: args.name, user_id, scopes: args.scopes, expires_at };
    let key = keys.create(new).await.map_err(describe)?;
    println!("{}", key.plaintext);
    eprintln!(
        "created {} key {} for project {}; it is shown only this once",
        kind.as_str(),
        key.record.id,
        key.record.project_id
    );
    Ok(())
}

pub async fn update_project(database: &str, args: crate::cli::ProjectUpdateArgs) -> anyhow::Result<()> {
    let outbound = crate::hardening::outbound_policy(&args.outbound)?;
    let projects = ProjectService::new(open(database).await?).with_outbound_check(outbound);
    let id = project_id(&args.id)?;
    let current = projects.get(&id).await.map_err(describe)?;
    let touches_jwt = args.jwt_clear
        || args.jwt_hs256_secret.is_some()
        || !args.jwt_public_key_file.is_empty()
        || args.jwt_jwks_file.is_some()
        || args.jwt_jwks_url.is_some()
        || args.jwt_issuer.is_some()
        || args.jwt_audience.is_some();
    let jwt = if touches_jwt {
        let mut jwt = if args.jwt_clear { JwtSettings::default() } else { current.settings.jwt.clone() };
        if let Some(secret) = args.jwt_hs256_secret {
            jwt.hs256_secret = Some(secret);
        }
        if !args.jwt_public_key_file.is_empty() {
            jwt.public_keys_pem = args
                .jwt_public_key_file
                .iter()
                .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(path) = &args.jwt_jwks_file {
            jwt.jwks = Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?);
        }
        jwt.jwks_url = args.jwt_jwks_url.or(jwt.jwks_url);
        jwt.issuer = args.jwt_issuer.or(jwt.issuer);
        jwt.audience = args.jwt_audience.or(jwt.audience);
        userbase_api::auth::jwt::check_settings(&jwt).map_err(|e| describe(DomainError::Invalid(e)))?;
        Some(jwt)
    } else {
        None
    };
    let geocoder_url = match (args.geocoder_url, args.no_geocoder) {
        (Some(url), _) => Some(Some(url)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let update = ProjectUpdate {
        name: args.name,
        default_locale: args.default_locale,
        jwt,
        geocoder_url,
        deleted_retention_days: args.deleted_retention_days,
    };
    let project = projects.update(&id, update).await.map_err(describe)?;
    eprintln!("updated project {}", project.id);
    Ok(())
}

pub async fn list_keys(database: &str, project: &str) -> anyhow::Result<()> {
    let keys = KeyService::new(open(database).await?).list(&project_id(project)?).await.map_err(describe)?;
    let now = time::OffsetDateTime::now_utc();
    println!("{:<22} {:<12} {:<16} {:<8} {:<26} {:<26} HASH", "ID", "KIND", "PREFIX", "STATE", "CREATED", "LAST USED");
    for k in keys.into_iter().map(|listed| listed.key) {
        let state = if k.revoked_at.is_some() {
            "revoked"
        } else if !k.is_usable(now) {
            "expired"
        } else {
            "active"
        };
        // The hash scheme tells, during a server-secret rotation, which keys still need re-issuing.
        println!(
            "{:<22} {:<12} {:<16} {:<8} {:<26} {:<26} {}",
            k.id,
            k.kind.as_str(),
            k.prefix,
            state,
            time_text(k.created_at),
            k.last_used_at.map(time_text).unwrap_or_else(|| "never".into()),
            k.hash_scheme.to_stored()
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

/// `userbase purge`: the retention purge of one project (or every project), or with `dry_run` what it would
/// remove. Prints one line of counts per project on standard output (never personal data).
pub async fn purge(database: &str, project: Option<&str>, dry_run: bool) -> anyhow::Result<()> {
    let store = open(database).await?;
    let projects = match project {
        Some(id) => vec![ProjectService::new(store.clone()).get(&project_id(id)?).await.map_err(describe)?],
        None => store.list_projects().await.map_err(|e| anyhow!("{e}"))?,
    };
    let service = PersonalDataService::new(store);
    let now = time::OffsetDateTime::now_utc();
    for project in projects {
        let counts = if dry_run { service.purgeable(&project, now).await } else { service.purge(&project, now).await }
            .map_err(describe)?;
        let counts: Vec<String> = counts.kinds().iter().map(|(kind, n)| format!("{kind}={n}")).collect();
        let verb = if dry_run { "would remove" } else { "removed" };
        println!("{} {verb}: {}", project.id, counts.join(" "));
    }
    Ok(())
}
