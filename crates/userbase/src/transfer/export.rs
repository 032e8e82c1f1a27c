//! `userbase export`: a project's users as NDJSON (v1 user objects) or CSV, page by page.

use std::io::Write;

use anyhow::anyhow;
use userbase_api::v1::UserView;
use userbase_core::filter::parse as parse_filter;
use userbase_core::page::{cursor, PageParams, PageStart};
use userbase_core::services::{ProjectService, UserService};
use userbase_core::store::UserFilter;

use super::{csv_layout, Format};
use crate::admin::{open, project_id};

const PAGE: u32 = 500;

pub async fn export(
    database: &str,
    project: &str,
    format: Format,
    filter: Option<&str>,
    include_deleted: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open(database).await?;
    let project = ProjectService::new(store.clone())
        .get(&project_id(project)?)
        .await
        .map_err(|_| anyhow!("no such project: {project}"))?;
    let expr = filter.map(parse_filter).transpose().map_err(|e| anyhow!("bad filter: {e}"))?;
    let filter = UserFilter::live().including_deleted(include_deleted).matching(expr);
    let users = UserService::new(store);
    let mut csv = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(csv_layout::COLUMNS)?;
            Some(w)
        }
        Format::Ndjson => None,
    };
    let mut start = PageStart::First;
    let mut count = 0usize;
    loop {
        let page = users
            .list(&project, &filter, PageParams::first(PAGE).starting(start))
            .await
            .map_err(|e| anyhow!("export stopped: {e}"))?;
        for user in &page.items {
            let json = serde_json::to_value(UserView::from(user))?;
            match &mut csv {
                Some(w) => w.write_record(csv_layout::json_to_row(&json))?,
                None => {
                    serde_json::to_writer(&mut *out, &json)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        if let Some(w) = &mut csv {
            // Hand finished rows on instead of holding the whole file.
            let buffered = std::mem::replace(w, csv::Writer::from_writer(Vec::new())).into_inner()?;
            out.write_all(&buffered)?;
        }
        count += page.items.len();
        match cursor::next(&page, &[], |u| u.numeric_id) {
            Some(next) => start = PageStart::Cursor { param: "cursor", cursor: next },
            None => break,
        }
    }
    out.flush()?;
    eprintln!("exported {count} users");
    Ok(())
}
