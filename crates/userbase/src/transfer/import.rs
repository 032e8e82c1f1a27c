//! `userbase import FILE`: NDJSON or CSV users into a project, in batches through the bulk service.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressStyle};
use userbase_api::v1::{bulk_mode, parse_item, Problem};
use userbase_core::project::Project;
use userbase_core::services::{BulkCounts, BulkItem, BulkMode, BulkOutcome, BulkService, ProjectService, BULK_BATCH};
use userbase_core::store::UpsertKey;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::{csv_layout, Format};
use crate::admin::{open_with, project_id};

/// SQLite's writer cache for an import: a one-off process may use the memory to keep the indexes of a project of
/// millions cached (measured: half the speed at 1,000,000 users with the default 2 MiB, bench/RESULTS.md).
const IMPORT_CACHE_MIB: u32 = 256;

/// Item errors printed in full; the rest are only counted.
const ERRORS_SHOWN: usize = 20;

/// Items per store call. Far larger than the HTTP endpoints' batches (`BULK_BATCH`): an import is one client
/// alone on the writer, and each batch is one transaction. A transaction writes each index page it changed
/// once, however many of its users share the page, so larger ones write fewer pages per user: 2,000 per batch
/// imported 14,000 users/s on SQLite, 20,000 imported 18,300/s (300,000 users, bench/RESULTS.md).
const IMPORT_BATCH: usize = 40 * BULK_BATCH;

/// Batches read ahead of the writer: reading and checking the next batch overlaps writing this one.
const READ_AHEAD: usize = 2;

/// Batches a create import writes at once: on SQLite the next batch is planned while one is written; on
/// PostgreSQL a second server process writes it, on a second core. An upsert writes one batch at a time, so
/// that of two items for one user the later line always wins.
const CREATE_WRITERS: usize = 2;

/// One item as read: its line number, and the item or why it cannot be imported.
type Entry = (usize, Result<BulkItem, String>);

struct Importer {
    bulk: BulkService,
    project: Project,
    mode: BulkMode,
    tally: BulkCounts,
}

fn describe(p: &Problem) -> String {
    match p.errors.first() {
        Some(e) => format!("{}: {}: {}", p.code, e.field, e.message),
        None => format!("{}: {}", p.code, p.detail),
    }
}

impl Importer {
    fn fail(&mut self, line: usize, reason: String) {
        self.tally.failed += 1;
        if self.tally.failed <= ERRORS_SHOWN {
            eprintln!("line {line}: {reason}");
        }
    }

    /// Starts writing a batch, on a task of its own; items that could not be read are kept for `settle`.
    fn start(&self, batch: Vec<Entry>) -> Pending {
        let mut lines = Vec::with_capacity(batch.len());
        let mut items = Vec::with_capacity(batch.len());
        let mut unreadable = Vec::new();
        for (line, item) in batch {
            match item {
                Ok(item) => {
                    lines.push(line);
                    items.push(item);
                }
                Err(reason) => unreadable.push((line, reason)),
            }
        }
        let (bulk, project, mode) = (self.bulk.clone(), self.project.clone(), self.mode.clone());
        let written = tokio::spawn(async move { bulk.apply(&project, &mode, items, MetadataLimits::DEFAULT).await });
        Pending { lines, unreadable, written }
    }

    /// Waits for a started batch and counts (and reports) how each of its items ended.
    async fn settle(&mut self, batch: Pending) -> anyhow::Result<()> {
        for (line, reason) in batch.unreadable {
            self.fail(line, reason);
        }
        let outcomes = batch
            .written
            .await
            .map_err(|e| anyhow!("import stopped: {e}"))?
            .map_err(|e| anyhow!("import stopped: {e}"))?;
        for (line, outcome) in batch.lines.into_iter().zip(outcomes) {
            match outcome {
                Ok((action, _)) => self.tally.add(action),
                Err(DomainError::Internal(e)) => return Err(anyhow!("import stopped: {e}")),
                Err(e) => self.fail(line, describe(&Problem::from(e))),
            }
        }
        Ok(())
    }
}

/// A batch being written: its items' line numbers, the lines that could not be read, and the write.
struct Pending {
    lines: Vec<usize>,
    unreadable: Vec<(usize, String)>,
    written: tokio::task::JoinHandle<Result<Vec<BulkOutcome>, DomainError>>,
}

/// Reads and checks items on a thread of its own, sending them in batches of `IMPORT_BATCH`; a read error
/// ends the stream with that error. Stops early when the receiver is gone.
fn read_items(
    reader: impl Read,
    format: Format,
    with_id: bool,
    out: tokio::sync::mpsc::Sender<anyhow::Result<Vec<Entry>>>,
) {
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    let push = |entry: Entry, batch: &mut Vec<Entry>| -> bool {
        batch.push(entry);
        batch.len() < IMPORT_BATCH
            || out.blocking_send(Ok(std::mem::replace(batch, Vec::with_capacity(IMPORT_BATCH)))).is_ok()
    };
    let parse = |bytes: &[u8]| parse_item(bytes, with_id).map_err(|p| describe(&p));
    let ended: anyhow::Result<()> = (|| {
        match format {
            Format::Ndjson => {
                for (n, line) in BufReader::new(reader).lines().enumerate() {
                    let line = line.with_context(|| format!("cannot read line {}", n + 1))?;
                    if !line.trim().is_empty() && !push((n + 1, parse(line.as_bytes())), &mut batch) {
                        return Ok(());
                    }
                }
            }
            Format::Csv => {
                let mut csv = csv::Reader::from_reader(BufReader::new(reader));
                let header = csv.headers().context("cannot read the CSV header")?.clone();
                csv_layout::check_header(&header).map_err(|e| anyhow!(e))?;
                for (n, row) in csv.records().enumerate() {
                    let line = n + 2;
                    let row = row.with_context(|| format!("cannot read CSV line {line}"))?;
                    let item = csv_layout::row_to_json(&header, &row).and_then(|json| parse(&json));
                    if !push((line, item), &mut batch) {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    })();
    let last = match ended {
        Ok(()) => Ok(batch),
        Err(e) => Err(e),
    };
    let _ = out.blocking_send(last);
}

fn progress(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Counts the bytes read through it, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub struct ImportArgs<'a> {
    pub project: &'a str,
    pub file: &'a Path,
    pub format: Option<Format>,
    pub mode: &'a str,
    pub key: Option<&'a str>,
    pub source: Option<&'a str>,
}

pub async fn import(database: &str, args: ImportArgs<'_>) -> anyhow::Result<()> {
    let mode = if args.mode == "create" {
        bulk_mode(Some("create"), None, None)
    } else {
        bulk_mode(Some(args.mode), Some(args.key.unwrap_or("email")), args.source)
    }
    .map_err(|p| anyhow!("{}", p.detail))?;
    let store = open_with(
        database,
        &userbase_store::OpenOptions {
            max_connections: Some(2),
            sqlite_writer_cache_mib: Some(IMPORT_CACHE_MIB),
            bulk_load: true,
            ..Default::default()
        },
    )
    .await?;
    let project = ProjectService::new(store.clone())
        .get(&project_id(args.project)?)
        .await
        .map_err(|_| anyhow!("no such project: {}", args.project))?;
    let file = File::open(args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let bar = progress(file.metadata().map(|m| m.len()).unwrap_or(0));
    let counted = Counting { inner: file, bar: bar.clone() };
    let with_id = matches!(&mode, BulkMode::Upsert(UpsertKey::Id));
    let format = args.format.unwrap_or_else(|| Format::guess(args.file));
    let mut importer = Importer { bulk: BulkService::new(store.clone()), project, mode, tally: BulkCounts::default() };
    let started = Instant::now();
    let (send, mut batches) = tokio::sync::mpsc::channel(READ_AHEAD);
    let reading = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || read_items(counted, format, with_id, send))
        .context("cannot start the reader thread")?;
    let writers = if matches!(importer.mode, BulkMode::Create) { CREATE_WRITERS } else { 1 };
    let mut pending: VecDeque<Pending> = VecDeque::with_capacity(writers);
    // The last message is the final batch, or the error that ended reading.
    let mut ended = Ok(());
    while let Some(batch) = batches.recv().await {
        match batch {
            Ok(batch) => pending.push_back(importer.start(batch)),
            Err(e) => {
                ended = Err(e);
                break;
            }
        }
        if pending.len() >= writers {
            if let Some(oldest) = pending.pop_front() {
                if let Err(e) = importer.settle(oldest).await {
                    ended = Err(e);
                    break;
                }
            }
        }
    }
    // Batches already started are written whatever ended the loop: count them.
    while let Some(batch) = pending.pop_front() {
        if let Err(e) = importer.settle(batch).await {
            ended = ended.and(Err(e));
        }
    }
    // Dropping the receiver stops the reader at its next batch.
    drop(batches);
    let _ = reading.join();
    // What the store deferred during the load is done whatever ended it.
    let finished = store.finish_bulk_load().await.context("cannot finish the import");
    ended?;
    finished?;
    bar.finish_and_clear();
    let t = &importer.tally;
    let total = t.total();
    let seconds = started.elapsed().as_secs_f64();
    if t.failed > ERRORS_SHOWN {
        eprintln!("... and {} more failed items", t.failed - ERRORS_SHOWN);
    }
    println!(
        "imported {total} items from {}: {} created, {} updated, {} unchanged, {} failed in {seconds:.1} s ({:.0} items/s)",
        args.file.display(),
        t.created,
        t.updated,
        t.unchanged,
        t.failed,
        total as f64 / seconds.max(1e-9)
    );
    if t.failed > 0 {
        return Err(anyhow!("{} items failed", t.failed));
    }
    Ok(())
}
