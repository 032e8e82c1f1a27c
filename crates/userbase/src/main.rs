//! The `userbase` binary: the composition root. The database URL picks the store; every command runs
//! against the same database as `serve`.

#![forbid(unsafe_code)]

mod admin;
mod cli;
mod hardening;
mod serve;
mod telemetry;
mod transfer;

use clap::Parser;

use cli::{Cli, Command, KeysCommand, ProjectsCommand};

/// mimalloc rather than the system allocator: bulk writes build and drop many small values (records, JSON,
/// bound parameters) on several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", userbase_api::v1::openapi::document_json());
        return std::process::ExitCode::SUCCESS;
    }
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Tasks still running (connections past the shutdown grace period) are dropped here; a blocking call
    // in progress is not waited for long.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.database;
    match cli.command {
        Command::Serve(args) => serve::run(&db, args).await,
        Command::Migrate => admin::migrate(&db).await,
        Command::Openapi => Ok(()),
        Command::Purge(args) => admin::purge(&db, args.project.as_deref(), args.dry_run).await,
        Command::Projects { command } => match command {
            ProjectsCommand::Create { id, name } => admin::create_project(&db, &id, name).await,
            ProjectsCommand::List => admin::list_projects(&db).await,
            ProjectsCommand::Update(args) => admin::update_project(&db, *args).await,
        },
        Command::Import(args) => {
            let import = transfer::ImportArgs {
                project: &args.project,
                file: &args.file,
                format: args.format,
                mode: &args.mode,
                key: args.key.as_deref(),
                source: args.source.as_deref(),
            };
            transfer::import(&db, import).await
        }
        Command::Export(args) => {
            let mut out: Box<dyn std::io::Write> = match &args.output {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            transfer::export(&db, &args.project, args.format, args.filter.as_deref(), args.include_deleted, &mut out)
                .await
        }
        Command::Keys { command } => match command {
            KeysCommand::Create { project, kind, name, user, scopes, expires_in, secret } => {
                let key = admin::KeyArgs {
                    kind,
                    name,
                    user,
                    scopes,
                    expires_in,
                    secrets: hardening::server_secrets(&secret)?,
                };
                admin::create_key(&db, &project, key).await
            }
            KeysCommand::List { project } => admin::list_keys(&db, &project).await,
            KeysCommand::Revoke { key_id } => admin::revoke_key(&db, &key_id).await,
        },
    }
}
