//! `userbase serve`: migrate, bootstrap an empty database, listen, shut down gracefully.

mod purge;

use tokio::net::TcpListener;
use userbase_api::{edge, AppState, ServerSettings};
use userbase_core::services::{KeyService, ProjectService};
use userbase_store::OpenOptions;

use crate::admin::{open_with, redact};
use crate::cli::ServeArgs;

impl ServeArgs {
    fn limits(&self) -> edge::Limits {
        let seconds = std::time::Duration::from_secs;
        edge::Limits {
            header_timeout: seconds(self.header_timeout_seconds),
            body_timeout: seconds(self.body_timeout_seconds),
            idle_timeout: seconds(self.idle_timeout_seconds),
            max_connections_open: self.max_connections_open,
            shutdown_grace: seconds(self.shutdown_grace_seconds),
        }
    }
}

pub async fn run(database: &str, args: ServeArgs) -> anyhow::Result<()> {
    // Settings first: a bad secret file or allow entry stops the server before it touches the database.
    let outbound = crate::hardening::outbound_policy(&args.outbound)?;
    let server_secrets = crate::hardening::server_secrets(&args.secret)?;
    crate::hardening::log_settings(&args.outbound, &server_secrets);
    let store = open_with(
        database,
        &OpenOptions {
            max_connections: args.max_connections,
            query_timeout: Some(std::time::Duration::from_millis(args.query_timeout_ms)),
            count_budget: Some(std::time::Duration::from_millis(args.count_budget_ms)),
            sqlite_writer_cache_mib: Some(args.sqlite_cache_mib),
            bulk_load: false,
        },
    )
    .await?;
    let bootstrap_key = if args.no_bootstrap {
        None
    } else {
        ProjectService::new(store.clone())
            .bootstrap(&KeyService::new(store.clone()).with_server_secrets(server_secrets.clone()))
            .await
            .map_err(|e| anyhow::anyhow!("bootstrap failed: {e}"))?
    };
    let listener = TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(database = %redact(database), address = %addr, "userbase listening");
    // Printed, not logged: the key must never reach log files.
    match bootstrap_key {
        Some(key) => println!(
            "\nuserbase is listening on http://{addr}\n\n\
             This database was empty, so userbase created project '{project}' and its first secret key.\n\
             It is shown only this once; store it now:\n\n    {key}\n\n\
             Try it:\n\n    curl -s http://{addr}/v1/users -H 'Authorization: Bearer {key}'\n\n\
             API reference: http://{addr}/docs\n\
             More keys: userbase keys create --project {project} --kind secret\n",
            project = key.record.project_id,
            key = key.plaintext,
        ),
        None => println!(
            "userbase is listening on http://{addr}\n\
             API reference: http://{addr}/docs\n\
             Create a key with: userbase keys create --project <project-id> --kind secret"
        ),
    }
    let settings = ServerSettings {
        key_cache_ttl: std::time::Duration::from_secs(args.key_cache_seconds),
        outbound,
        server_secrets,
    };
    let state = AppState::with_settings(store, settings);
    let purge = purge::spawn(state.personal_data.clone(), std::time::Duration::from_secs(args.purge_interval_seconds));
    let app = userbase_api::router(state);
    edge::serve(listener, app, args.limits(), shutdown_signal()).await;
    if let Some(purge) = purge {
        purge.abort();
    }
    tracing::info!("userbase stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then have the shutdown grace period to finish.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
