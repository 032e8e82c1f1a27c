//! Command-line interface.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "userbase", version, about = "A self-hosted Users API server")]
pub struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "USERBASE_DATABASE_URL", default_value = "sqlite://userbase.db")]
    pub database: String,
    /// Log format on standard error.
    #[arg(long, global = true, env = "USERBASE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage projects (tenants).
    Projects {
        #[command(subcommand)]
        command: ProjectsCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Import users from an NDJSON or CSV file (v1 user fields); re-running it changes nothing.
    Import(ImportArgs),
    /// Export a project's users as NDJSON (v1 user objects) or CSV.
    Export(ExportArgs),
    /// Remove for good the users deleted longer ago than their project's retention (deleted_retention_days),
    /// with everything related; prints what was removed (counts only).
    Purge(PurgeArgs),
    /// Print the v1 OpenAPI 3.1 document (the one served at /v1/openapi.json) to standard output.
    Openapi,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read.
    pub file: std::path::PathBuf,
    #[arg(long)]
    pub project: String,
    /// File format; by default `.csv` files are CSV, others NDJSON.
    #[arg(long, value_enum)]
    pub format: Option<crate::transfer::Format>,
    /// `upsert` (default: update the user the key matches, else create) or `create`.
    #[arg(long, default_value = "upsert")]
    pub mode: String,
    /// What an upsert matches users by: `email` (default), `id` or `external_ref` (with --source).
    #[arg(long)]
    pub key: Option<String>,
    /// The external-ref source an upsert with `--key external_ref` matches.
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub project: String,
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: crate::transfer::Format,
    /// Only users matching this filter expression (the v1 `filter` language).
    #[arg(long)]
    pub filter: Option<String>,
    /// Include soft-deleted users.
    #[arg(long)]
    pub include_deleted: bool,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// The project to purge; every project when absent.
    #[arg(long)]
    pub project: Option<String>,
    /// Count what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "USERBASE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not create a `default` project and key on an empty database.
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Database connections: the PostgreSQL pool size (default 16), or SQLite's reader connections (default
    /// twice the CPU count: each runs on a thread of its own, and more of them only add thread switches).
    #[arg(long, env = "USERBASE_MAX_CONNECTIONS")]
    pub max_connections: Option<u32>,
    /// Seconds a verified API key is reused without reading it again. Revoking a key or changing a project
    /// through this server applies at once; through another server or the CLI, within half a second (the
    /// database tells every server), or within this time if that news is lost. 0: no cache.
    #[arg(long, env = "USERBASE_KEY_CACHE_SECONDS", default_value_t = 2)]
    pub key_cache_seconds: u64,
    /// Seconds a client has to send a whole request head: counted from when the connection opened for its
    /// first request, and from the first byte of the head for later ones. Past it the connection is closed
    /// without an answer.
    #[arg(long, env = "USERBASE_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_seconds: u64,
    /// Seconds a request body has to arrive whole, counted from the end of its head. Past it the request is
    /// answered 408 and the connection closed.
    #[arg(long, env = "USERBASE_BODY_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_seconds: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, env = "USERBASE_IDLE_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_seconds: u64,
    /// Client connections open at once. Past it, new connections wait in the kernel's listen backlog until
    /// one closes. (Not `--max-connections`, which sizes the database pool.)
    // Each open connection costs about 65 KiB, so 512 hold at most ~32 MiB; that is more connections than two
    // cores keep busy, and it leaves room for the database and files under the usual 1,024 open-files limit.
    #[arg(long, env = "USERBASE_MAX_CONNECTIONS_OPEN", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_open: u32,
    /// Seconds in-flight requests may take to finish after SIGTERM or SIGINT; connections still open then
    /// are closed and the server exits. Connections between requests are closed at once.
    #[arg(long, env = "USERBASE_SHUTDOWN_GRACE_SECONDS", default_value_t = 10)]
    pub shutdown_grace_seconds: u64,
    /// Milliseconds one database query may run (and a filtered list or count wait for its turn) before the
    /// request fails with 422 `query_too_expensive`. 0: no bound.
    #[arg(long, env = "USERBASE_QUERY_TIMEOUT_MS", default_value_t = 5000)]
    pub query_timeout_ms: u64,
    /// Milliseconds a filtered `include=total` may spend counting exactly; past it the total is an estimate
    /// from the project's newest 10,000 users, flagged `total_is_estimate` (README "Limits"). 0: always exact
    /// (within the query time bound).
    #[arg(long, env = "USERBASE_COUNT_BUDGET_MS", default_value_t = 50)]
    pub count_budget_ms: u64,
    /// SQLite only: MiB of page cache for the one writer connection. More keeps large bulk writes fast in big
    /// projects (their index pages stay cached), at the cost of up to that much memory.
    #[arg(long, env = "USERBASE_SQLITE_CACHE_MIB", default_value_t = userbase_store::DEFAULT_SQLITE_WRITER_CACHE_MIB,
          value_parser = clap::value_parser!(u32).range(2..=65536))]
    pub sqlite_cache_mib: u32,
    /// Seconds between runs of the retention purge, which removes for good the users deleted longer ago than
    /// their project's `deleted_retention_days` (and idempotency records past their replay window). 0: off
    /// (run `userbase purge` from cron instead).
    #[arg(long, env = "USERBASE_PURGE_INTERVAL_SECONDS", default_value_t = 300)]
    pub purge_interval_seconds: u64,
    #[command(flatten)]
    pub outbound: OutboundArgs,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// Which addresses the server's own requests (JWKS URLs, geocoders) may go to.
#[derive(Debug, Args)]
pub struct OutboundArgs {
    /// Hosts the server may send requests to although they are not public: host names (exact), IP addresses
    /// or CIDR ranges; repeat or separate with commas. By default loopback, private, link-local and other
    /// non-public addresses are refused.
    #[arg(long = "outbound-allow", env = "USERBASE_OUTBOUND_ALLOW", value_delimiter = ',', value_name = "HOST|CIDR")]
    pub outbound_allow: Vec<String>,
}

/// The server secret that keys access-token signatures and new keys' hashes.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// A file holding the server secret (at least 32 bytes; trailing whitespace ignored). Read once at start.
    #[arg(long, env = "USERBASE_SECRET_FILE", value_name = "PATH")]
    pub secret_file: Option<std::path::PathBuf>,
    /// During a rotation: the previous server secret, still accepted for keys hashed and tokens signed with it.
    #[arg(long, env = "USERBASE_OLD_SECRET_FILE", value_name = "PATH", requires = "secret_file")]
    pub old_secret_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Create a project.
    Create {
        /// Short id used in paths: a-z, 0-9 and '-'.
        id: String,
        /// Display name (defaults to the id).
        #[arg(long)]
        name: Option<String>,
    },
    /// List projects.
    List,
    /// Change a project's name, default locale, end-user JWT verification, geocoder or retention of deleted
    /// users.
    Update(Box<ProjectUpdateArgs>),
}

#[derive(Debug, Args)]
pub struct ProjectUpdateArgs {
    pub id: String,
    #[arg(long)]
    pub name: Option<String>,
    /// BCP 47 locale shown for users without one (e.g. en-US).
    #[arg(long)]
    pub default_locale: Option<String>,
    /// HS256 shared secret (at least 32 bytes) for end-user JWTs; prefer the environment variable.
    #[arg(long, env = "USERBASE_JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<String>,
    /// A PEM public key (RS256, ES256 or EdDSA); repeat for several; replaces the configured ones.
    #[arg(long)]
    pub jwt_public_key_file: Vec<std::path::PathBuf>,
    /// A JWKS file; its contents are stored, so every server shares them.
    #[arg(long)]
    pub jwt_jwks_file: Option<std::path::PathBuf>,
    /// A JWKS URL, fetched (and cached) by each server.
    #[arg(long)]
    pub jwt_jwks_url: Option<String>,
    /// Required `iss` claim.
    #[arg(long)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim.
    #[arg(long)]
    pub jwt_audience: Option<String>,
    /// Remove all JWT settings first (end-user tokens are refused until others are set).
    #[arg(long)]
    pub jwt_clear: bool,
    /// A Nominatim-compatible geocoder (http(s) URL, asked at URL/search) that locates addresses written
    /// without coordinates.
    #[arg(long, conflicts_with = "no_geocoder")]
    pub geocoder_url: Option<String>,
    /// Remove the geocoder: addresses are stored without coordinates unless the client sends them.
    #[arg(long)]
    pub no_geocoder: bool,
    /// Days a deleted user stays restorable before the retention purge removes it for good (0 to 3650).
    #[arg(long)]
    pub deleted_retention_days: Option<u32>,
    #[command(flatten)]
    pub outbound: OutboundArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyKindArg {
    /// Full admin of the project.
    Secret,
    /// Identifies the project for end-user calls; grants nothing alone.
    Publishable,
    /// Acts as one user (--user), within its scopes (--scopes).
    User,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints the plaintext key, once, as the only line on standard output.
    Create {
        #[arg(long)]
        project: String,
        #[arg(long, value_enum)]
        kind: KeyKindArg,
        /// A label to recognise the key by.
        #[arg(long)]
        name: Option<String>,
        /// For a user key: the user's id (usr_...).
        #[arg(long)]
        user: Option<String>,
        /// For a user key: read, create, update, delete, manage (comma-separated).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// The key stops working after this long: e.g. 90d, 12h, 30m.
        #[arg(long)]
        expires_in: Option<String>,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// List a project's keys (never their secrets).
    List {
        #[arg(long)]
        project: String,
    },
    /// Revoke a key; it stops working at once on every server.
    Revoke { key_id: String },
}
