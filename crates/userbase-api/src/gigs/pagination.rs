//! Gigs cursor pagination (001.5): `after`/`before` name a user id, `limit` is 0 to 200 (default 10),
//! the two cursors exclude each other, and an unknown cursor is an error.

use serde::Deserialize;
use userbase_core::ids::PublicUserId;
use userbase_core::page::Position;
use userbase_core::project::Project;
use userbase_core::user::UserKey;

use super::error::GigsError;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    after: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

/// A checked page request: where it starts and how many items it holds.
pub struct PageParams {
    pub position: Position,
    pub limit: u32,
}

impl PageQuery {
    pub fn limit(&self) -> Result<u32, GigsError> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(text) => text.parse::<u32>().ok().filter(|l| *l <= MAX_LIMIT).ok_or_else(|| {
                GigsError::invalid_property(
                    "limit",
                    "propertyInvalid",
                    format!("limit must be an integer from 0 to {MAX_LIMIT}."),
                )
            }),
        }
    }

    /// Resolves the cursor (a user id) to a position; ids of no user of the project are refused.
    pub async fn resolve(&self, state: &AppState, project: &Project) -> Result<PageParams, GigsError> {
        let limit = self.limit()?;
        let (name, id, make): (&str, &String, fn(i64) -> Position) = match (&self.after, &self.before) {
            (Some(_), Some(_)) => {
                return Err(GigsError::invalid_property(
                    "after",
                    "propertyInvalid",
                    "after and before cannot be combined.",
                ))
            }
            (Some(id), None) => ("after", id, Position::After),
            (None, Some(id)) => ("before", id, Position::Before),
            (None, None) => return Ok(PageParams { position: Position::First, limit }),
        };
        let unknown = || {
            GigsError::invalid_property(
                name,
                "propertyInvalid",
                format!("{name} does not name a user of this project."),
            )
        };
        let key = PublicUserId::parse(id).map(UserKey::Public).ok_or_else(unknown)?;
        let numeric = state.users.position_of(project, &key).await?.ok_or_else(unknown)?;
        Ok(PageParams { position: make(numeric), limit })
    }
}
