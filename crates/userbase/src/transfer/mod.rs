//! `userbase import` and `userbase export`: users to and from NDJSON or CSV files, against the database
//! directly. Items are v1 user bodies, translated by the same code as `POST /v1/users/bulk`.

mod csv_layout;
mod export;
mod import;

pub use export::export;
pub use import::{import, ImportArgs};

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// The format a file name suggests: `.csv` is CSV, anything else NDJSON.
    pub fn guess(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Ndjson,
        }
    }
}
