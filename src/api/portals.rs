//! `portals`: registering the other systems that call in (admin). A portal's key is in the
//! answer that creates it (or replaces its key) and never again.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::portals::{self, Portal, PortalChanges};
use crate::domain::Role;
use crate::domain::portal::Scope;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "name": "درگاه استانی", "scopes": ["read", "submit", "webhooks"],
    "key_hint": "mdp_Xq3v9a…", "active": true,
    "created_at": "2026-12-03T08:30:00Z", "updated_at": "2026-12-03T08:30:00Z"
}))]
pub struct PortalView {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The key's first characters, to tell keys apart; the key itself is never shown again.
    pub key_hint: String,
    /// An inactive portal's key is refused (401) and its subscriptions hear nothing.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Portal> for PortalView {
    fn from(portal: Portal) -> Self {
        Self {
            id: portal.id.into(),
            name: portal.name,
            scopes: portal.scopes.list().to_vec(),
            key_hint: portal.key_hint,
            active: portal.active,
            created_at: utc(portal.created_at),
            updated_at: utc(portal.updated_at),
        }
    }
}

/// A portal with its key: the only answer that shows the key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "portal": {"id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "name": "درگاه استانی", "scopes": ["read", "submit", "webhooks"],
               "key_hint": "mdp_Xq3v9a…", "active": true,
               "created_at": "2026-12-03T08:30:00Z", "updated_at": "2026-12-03T08:30:00Z"},
    "key": "mdp_Xq3v9aK2m0pL7sTe4rWb1cYd8fHg6jNu5iQo3xZaVkE"
}))]
pub struct IssuedPortal {
    pub portal: PortalView,
    /// Send as `Authorization: Bearer <key>` (Open311: `api_key`). Store it now: it is kept
    /// only hashed and cannot be shown again.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "درگاه استانی", "scopes": ["submit", "read", "webhooks"]}))]
pub struct NewPortalBody {
    /// Unique among portals.
    #[schema(min_length = 2, max_length = 200)]
    pub name: String,
    /// At least one.
    pub scopes: Vec<Scope>,
}

/// A change to a portal; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"new_key": true}))]
pub struct PortalPatch {
    #[schema(min_length = 2, max_length = 200)]
    pub name: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub active: Option<bool>,
    /// Replace the key: the old one stops working at once, the answer shows the new one.
    #[serde(default)]
    pub new_key: bool,
}

/// The portal after a change, with its new key when one was asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "portal": {"id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "name": "درگاه استانی", "scopes": ["read", "submit"],
               "key_hint": "mdp_Xq3v9a…", "active": true,
               "created_at": "2026-12-03T08:30:00Z", "updated_at": "2026-12-03T09:00:00Z"},
    "key": null
}))]
pub struct ChangedPortal {
    pub portal: PortalView,
    /// The new key, when `new_key` was asked for; null otherwise.
    pub key: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PortalList {
    pub items: Vec<PortalView>,
}

const ADMIN: &[Role] = &[Role::Admin];

/// Register a portal (admin).
///
/// Scopes: `submit` (file requests for citizens: `POST /api/v1/portal/requests`, Open311
/// `POST requests`), `read` (read back what it filed, and no other request), `webhooks`
/// (subscriptions hearing of its own requests), `center` (the Center's own systems: every
/// request's events, referral steps included; never an identity, and the tracking code only
/// of what it filed itself).
#[utoipa::path(
    tag = "portals", security(("bearer" = [])), request_body = NewPortalBody,
    responses(
        (status = 201, description = "Registered; the key is in this answer only", body = IssuedPortal),
        (status = 409, description = "Another portal has this name (`portal-name-taken`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/portals")]
pub async fn create_portal(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<NewPortalBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let body = body.into_inner()?;
    let issued = state
        .db(move |conn| portals::create(conn, &body.name, body.scopes))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/portals/{}", issued.portal.id),
        ))
        .json(IssuedPortal {
            portal: PortalView::from(issued.portal),
            key: issued.key,
        }))
}

/// List portals (admin), by name.
#[utoipa::path(tag = "portals", security(("bearer" = [])), responses((status = 200, description = "Every portal", body = PortalList)))]
#[get("/portals")]
pub async fn list_portals(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let found = state.db(portals::list).await?;
    Ok(HttpResponse::Ok().json(PortalList {
        items: found.into_iter().map(PortalView::from).collect(),
    }))
}

/// Read one portal (admin).
#[utoipa::path(
    tag = "portals", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The portal's id")),
    responses(
        (status = 200, description = "The portal", body = PortalView),
        (status = 404, description = "No such portal", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/portals/{id}")]
pub async fn get_portal(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let portal = state.db(move |conn| portals::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(PortalView::from(portal)))
}

/// Rename a portal, change its scopes, turn it off or on, or replace its key (admin).
#[utoipa::path(
    tag = "portals", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The portal's id")), request_body = PortalPatch,
    responses(
        (status = 200, description = "The changed portal, with the new key if one was asked for", body = ChangedPortal),
        (status = 404, description = "No such portal", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another portal has this name (`portal-name-taken`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/portals/{id}")]
pub async fn update_portal(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<PortalPatch>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let body = body.into_inner()?;
    let changes = PortalChanges {
        name: body.name,
        scopes: body.scopes,
        active: body.active,
        new_key: body.new_key,
    };
    let (portal, key) = state
        .db(move |conn| portals::update(conn, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(ChangedPortal {
        portal: PortalView::from(portal),
        key,
    }))
}
