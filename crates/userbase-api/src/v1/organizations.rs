//! `/v1/organizations` and memberships: organizations with an optional parent and external ref, members
//! with a role, and a user's default organization.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use userbase_core::error::FieldErrors;
use userbase_core::ids::OrganizationId;
use userbase_core::organization::{Membership, Organization, OrganizationKey};
use userbase_core::patch::Patch;
use userbase_core::services::OrganizationPatch;
use userbase_core::values::{ExternalRef, MetadataLimits, MetadataPatch};
use userbase_core::DomainError;

use super::extract::{if_match, json_with_etag, Admin, V1Json, V1Query};
use super::problem::ProblemWire;
use super::user_input::ExternalRefInput;
use super::user_view::UserView;
use super::users::user_key;
use userbase_core::page::{cursor, Position};
use userbase_core::FieldError;

use super::Problem;
use crate::AppState;

fn org_key(id: &str) -> Result<OrganizationKey, Problem> {
    OrganizationId::parse(id).map(OrganizationKey::Public).ok_or_else(|| Problem::not_found("organization"))
}

#[derive(Serialize)]
struct RefView<'a> {
    source: &'a str,
    source_id: &'a str,
}

/// An organization.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Organization)]
struct OrganizationView<'a> {
    object: &'static str,
    id: &'a str,
    numeric_id: i64,
    name: &'a str,
    parent_id: Option<&'a str>,
    #[schema(value_type = Option<super::user_input::ExternalRefInput>)]
    external_ref: Option<RefView<'a>>,
    plan: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl<'a> From<&'a Organization> for OrganizationView<'a> {
    fn from(o: &'a Organization) -> Self {
        Self {
            object: "organization",
            id: o.public_id.as_str(),
            numeric_id: o.numeric_id,
            name: &o.fields.name,
            parent_id: o.parent_public_id.as_ref().map(|p| p.as_str()),
            external_ref: o
                .fields
                .external_ref
                .as_ref()
                .map(|r| RefView { source: r.source(), source_id: r.source_id() }),
            plan: o.fields.plan.as_deref(),
            metadata: o.fields.metadata.as_map(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A user's membership of an organization.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Membership)]
pub(super) struct MembershipView<'a> {
    object: &'static str,
    organization_id: &'a str,
    organization_name: &'a str,
    user_id: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_default: Option<bool>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

pub(super) fn membership_view(m: &Membership, is_default: Option<bool>) -> MembershipView<'_> {
    MembershipView {
        object: "membership",
        organization_id: m.organization_public_id.as_str(),
        organization_name: &m.organization_name,
        user_id: m.user_public_id.as_str(),
        role: &m.role,
        is_default,
        created_at: m.created_at,
    }
}

/// A page of organizations.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrganizationList)]
struct OrganizationListView<'a> {
    object: &'static str,
    #[schema(value_type = Vec<OrganizationView>)]
    data: Vec<OrganizationView<'a>>,
    has_more: bool,
    next_cursor: Option<String>,
}

/// Memberships (all of them: an organization's members or a user's organizations).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MembershipList)]
struct MembershipListView<'a> {
    object: &'static str,
    #[schema(value_type = Vec<MembershipView>)]
    data: Vec<MembershipView<'a>>,
    has_more: bool,
}

impl<'a> MembershipListView<'a> {
    fn new(data: Vec<MembershipView<'a>>) -> Self {
        Self { object: "list", data, has_more: false }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    parent_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<ExternalRefInput>)]
    external_ref: Patch<ExternalRefInput>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    plan: Patch<String>,
    #[serde(default)]
    metadata: Option<BTreeMap<String, Option<String>>>,
}

impl OrganizationInput {
    fn into_patch(self) -> Result<OrganizationPatch, Problem> {
        let mut e = FieldErrors::new();
        let parent = match self.parent_id {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(id) => match OrganizationId::parse(&id) {
                Some(id) => Patch::Set(OrganizationKey::Public(id)),
                None => {
                    e.push(FieldError::new("parent_id", "unknown_organization", "Not an organization id."));
                    Patch::Keep
                }
            },
        };
        let external_ref = e
            .take(self.external_ref.try_map(|r| ExternalRef::parse("external_ref", &r.source, &r.source_id)))
            .unwrap_or_default();
        let metadata = match self.metadata {
            None => MetadataPatch::default(),
            Some(m) => match MetadataPatch::parse(m, MetadataLimits::DEFAULT) {
                Ok(m) => m,
                Err(errs) => {
                    errs.into_iter().for_each(|x| e.push(x));
                    MetadataPatch::default()
                }
            },
        };
        e.finish().map_err(DomainError::Invalid)?;
        Ok(OrganizationPatch { name: self.name, parent, external_ref, plan: self.plan, metadata })
    }
}

fn org_response(status: StatusCode, org: &Organization) -> Response {
    json_with_etag(status, &OrganizationView::from(org), org.version)
}

/// Create an organization.
#[utoipa::path(post, path = "/organizations", tag = "organizations", request_body = OrganizationInput,
    responses((status = 201, description = "Created", body = OrganizationView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The external ref is taken", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(state): State<AppState>,
    Admin(p): Admin,
    V1Json(input): V1Json<OrganizationInput>,
) -> Result<Response, Problem> {
    let org = state.organizations.create(&p.project, input.into_patch()?).await?;
    Ok(org_response(StatusCode::CREATED, &org))
}

/// Get an organization.
#[utoipa::path(get, path = "/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)")),
    responses((status = 200, description = "The organization", body = OrganizationView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn get_organization(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let org = state.organizations.get(&p.project, &org_key(&id)?).await?;
    Ok(org_response(StatusCode::OK, &org))
}

/// Update an organization: absent fields stay, `null` clears.
#[utoipa::path(patch, path = "/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")), request_body = OrganizationInput,
    responses((status = 200, description = "The updated organization", body = OrganizationView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The external ref is taken", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn update_organization(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    V1Json(input): V1Json<OrganizationInput>,
) -> Result<Response, Problem> {
    let key = org_key(&id)?;
    let expected = if_match(&headers)?;
    let org = state.organizations.update(&p.project, &key, input.into_patch()?, expected).await?;
    Ok(org_response(StatusCode::OK, &org))
}

/// Delete an organization and its memberships.
#[utoipa::path(delete, path = "/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
    responses((status = 200, description = "The deleted organization", body = OrganizationView)))]
pub async fn delete_organization(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let expected = if_match(&headers)?;
    let org = state.organizations.delete(&p.project, &org_key(&id)?, expected).await?;
    Ok(org_response(StatusCode::OK, &org))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List the project's organizations, oldest first.
#[utoipa::path(get, path = "/organizations", tag = "organizations", params(ListQuery),
    responses((status = 200, description = "A page of organizations", body = OrganizationListView)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    Admin(p): Admin,
    V1Query(q): V1Query<ListQuery>,
) -> Result<Response, Problem> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid_param("limit", "out_of_range", "limit is 1 to 200."));
    }
    let after = match &q.cursor {
        None => None,
        Some(c) => match cursor::decode(c, &[]) {
            Some(Position::After(id)) => Some(id),
            _ => return Err(Problem::invalid_param("cursor", "invalid_cursor", "Not a cursor this server issued.")),
        },
    };
    let (orgs, more) = state.organizations.list(&p.project, after, limit).await?;
    let next = orgs.last().filter(|_| more).and_then(|o| cursor::encode(&Position::After(o.numeric_id), &[]));
    let list = OrganizationListView {
        object: "list",
        data: orgs.iter().map(OrganizationView::from).collect(),
        has_more: more,
        next_cursor: next,
    };
    Ok(axum::Json(list).into_response())
}

/// List an organization's members.
#[utoipa::path(get, path = "/organizations/{id}/members", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)")),
    responses((status = 200, description = "The members", body = MembershipListView)))]
pub async fn list_members(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let members = state.organizations.members(&p.project, &org_key(&id)?).await?;
    Ok(axum::Json(MembershipListView::new(members.iter().map(|m| membership_view(m, None)).collect())).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    role: Option<String>,
}

/// Add a user to an organization, or change their role.
///
/// The role defaults to `member`.
#[utoipa::path(put, path = "/organizations/{id}/members/{user_id}", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)"), ("user_id" = String, Path, description = "The user's id (`usr_...`)")),
    request_body = MemberInput, responses((status = 200, description = "The membership", body = MembershipView)))]
pub async fn put_member(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path((id, user_id)): Path<(String, String)>,
    V1Json(input): V1Json<MemberInput>,
) -> Result<Response, Problem> {
    let (org, user) = (org_key(&id)?, user_key(&user_id)?);
    let role = input.role.unwrap_or_else(|| "member".to_owned());
    let membership = state.organizations.put_member(&p.project, &org, &user, &role).await?;
    Ok(axum::Json(membership_view(&membership, None)).into_response())
}

/// Remove a user from an organization.
#[utoipa::path(delete, path = "/organizations/{id}/members/{user_id}", tag = "organizations", params(("id" = String, Path, description = "The organization's id (`org_...`)"), ("user_id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 204, description = "Removed")))]
pub async fn remove_member(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (org, user) = (org_key(&id)?, user_key(&user_id)?);
    state.organizations.remove_member(&p.project, &org, &user).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List the organizations a user belongs to, marking their default.
#[utoipa::path(get, path = "/users/{id}/organizations", tag = "organizations", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "The user's memberships", body = MembershipListView)))]
pub async fn list_user_organizations(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(user_id): Path<String>,
) -> Result<Response, Problem> {
    let (user, memberships) = state.organizations.memberships_of(&p.project, &user_key(&user_id)?).await?;
    let default = user.profile.default_organization_id;
    let data = memberships.iter().map(|m| membership_view(m, Some(default == Some(m.organization_id)))).collect();
    Ok(axum::Json(MembershipListView::new(data)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultInput {
    organization_id: Option<String>,
}

/// Set or clear a user's default organization.
///
/// The organization must be one the user belongs to; `null` clears it.
#[utoipa::path(put, path = "/users/{id}/default_organization", tag = "organizations", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    request_body = DefaultInput, responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn set_default_organization(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(user_id): Path<String>,
    V1Json(input): V1Json<DefaultInput>,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let org = input.organization_id.as_deref().map(org_key).transpose()?;
    let user = state.organizations.set_default(&p.project, &user, org.as_ref()).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}
