//! The settings that harden a deployment: the outbound-address policy and the server secret, read from the
//! command line (README, "Hardening").

use std::sync::Arc;

use anyhow::{anyhow, Context};
use userbase_api::outbound::OutboundPolicy;
use userbase_core::server_secret::{ServerSecret, ServerSecrets};

use crate::cli::{OutboundArgs, SecretArgs};

pub fn outbound_policy(args: &OutboundArgs) -> anyhow::Result<Arc<OutboundPolicy>> {
    Ok(Arc::new(OutboundPolicy::allowing(&args.outbound_allow).map_err(|e| anyhow!(e))?))
}

/// The server secrets named by `args`, each file read once; none without `--secret-file`.
pub fn server_secrets(args: &SecretArgs) -> anyhow::Result<ServerSecrets> {
    let Some(current) = &args.secret_file else { return Ok(ServerSecrets::none()) };
    let current = read_secret(current, "--secret-file")?;
    let previous = args.old_secret_file.as_deref().map(|p| read_secret(p, "--old-secret-file")).transpose()?;
    if previous.as_ref().is_some_and(|p| p.id() == current.id()) {
        return Err(anyhow!("--old-secret-file holds the same secret as --secret-file"));
    }
    Ok(ServerSecrets::new(current, previous))
}

/// Reads one secret file; messages name the file, never its content.
fn read_secret(path: &std::path::Path, option: &str) -> anyhow::Result<ServerSecret> {
    let content = std::fs::read(path)
        .with_context(|| format!("cannot read the server secret file {} ({option})", path.display()))?;
    warn_if_readable_by_others(path);
    ServerSecret::from_bytes(&content).map_err(|e| anyhow!("{} ({option}): {e}", path.display()))
}

/// A secret file others can read is as good as none against a local reader; say so (but start anyway: the
/// operator may have reasons, such as a container's read-only mount).
fn warn_if_readable_by_others(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0) {
            tracing::warn!(file = %path.display(), "the server secret file is readable by every user; chmod 600 it");
        }
    }
}

/// One log line at start saying how the server is hardened, and what it means when it is not.
pub fn log_settings(outbound: &OutboundArgs, secrets: &ServerSecrets) {
    match secrets.current() {
        Some(secret) => tracing::info!(
            server_secret.id = secret.id(),
            server_secret.previous = secrets.all().count() > 1,
            "server secret set: new keys are hashed with it and access tokens signed with it"
        ),
        None => tracing::warn!(
            "no server secret is set (--secret-file): access tokens are signed with the keys' stored hashes, so \
             anyone who can read the database can mint access tokens, and stored key hashes can be checked \
             without any secret"
        ),
    }
    if outbound.outbound_allow.is_empty() {
        tracing::info!("outbound requests (JWKS URLs, geocoders) go to public addresses only");
    } else {
        tracing::info!(
            outbound.allow = %outbound.outbound_allow.join(","),
            "outbound requests (JWKS URLs, geocoders) go to public addresses and these hosts"
        );
    }
}
