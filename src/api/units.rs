//! `units`: units, deputy offices and affiliated entities. Admins write; all staff read.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::views::{present_or_null, utc};
use crate::app::units::{self, NewUnit, UnitChanges, UnitFilter};
use crate::domain::{Role, Unit, UnitKind};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "name": "واحد امور مالی", "kind": "unit",
    "parent_id": "7b1e9c1a-3f53-4c1e-8f0a-54a1c3d2e9b7", "active": true,
    "created_at": "2026-11-28T08:30:00Z", "updated_at": "2026-11-28T08:30:00Z"
}))]
pub struct UnitView {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    /// The unit this one belongs to (e.g. its deputy office), if any.
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    /// Deactivated units keep their history but receive no new referrals or staff.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Unit> for UnitView {
    fn from(unit: Unit) -> Self {
        Self {
            id: unit.id.into(),
            name: unit.name,
            kind: unit.kind,
            parent_id: unit.parent_id.map(Into::into),
            active: unit.active,
            created_at: utc(unit.created_at),
            updated_at: utc(unit.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "واحد امور مالی", "kind": "unit", "parent_id": "7b1e9c1a-3f53-4c1e-8f0a-54a1c3d2e9b7"}))]
pub struct NewUnitBody {
    /// Unique among units after Persian normalisation.
    #[schema(min_length = 2, max_length = 200)]
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
}

/// A change to a unit; absent fields stay as they are, `parent_id: null` makes it top-level.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UnitPatch {
    #[schema(min_length = 2, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    pub active: Option<bool>,
    pub kind: Option<UnitKind>,
    /// Only the direct sub-units of this unit.
    pub parent_id: Option<Uuid>,
}

/// All matching units, by name. Units are few (tens to hundreds), so the list is not paged.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitList {
    pub items: Vec<UnitView>,
}

const ADMIN: &[Role] = &[Role::Admin];
const STAFF: &[Role] = &Role::ALL;

/// Create a unit (admin).
#[utoipa::path(
    tag = "units", security(("bearer" = [])), request_body = NewUnitBody,
    responses(
        (status = 201, description = "Created; `Location` names the new unit", body = UnitView),
        (status = 409, description = "Another unit has this name (`unit-name-taken`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<NewUnitBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let body = body.into_inner()?;
    let input = NewUnit {
        name: body.name,
        kind: body.kind,
        parent_id: body.parent_id.map(Into::into),
    };
    let unit = state.db(move |conn| units::create(conn, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/units/{}", unit.id)))
        .json(UnitView::from(unit)))
}

/// List units (any staff).
#[utoipa::path(tag = "units", security(("bearer" = [])), params(UnitQuery), responses((status = 200, description = "The matching units", body = UnitList)))]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(STAFF)?;
    let query = query.into_inner();
    let filter = UnitFilter {
        active: query.active,
        kind: query.kind,
        parent_id: query.parent_id.map(Into::into),
    };
    let found = state.db(move |conn| units::list(conn, filter)).await?;
    Ok(HttpResponse::Ok().json(UnitList {
        items: found.into_iter().map(UnitView::from).collect(),
    }))
}

/// Read one unit (any staff).
#[utoipa::path(
    tag = "units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The unit", body = UnitView),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(STAFF)?;
    let id = id.into_inner().into();
    let unit = state.db(move |conn| units::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(UnitView::from(unit)))
}

/// Rename, re-parent, re-kind, deactivate or reactivate a unit (admin).
#[utoipa::path(
    tag = "units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The unit's id")), request_body = UnitPatch,
    responses(
        (status = 200, description = "The changed unit", body = UnitView),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another unit has this name (`unit-name-taken`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/units/{id}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<UnitPatch>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let body = body.into_inner()?;
    let changes = UnitChanges {
        name: body.name,
        kind: body.kind,
        parent_id: body.parent_id.map(|parent| parent.map(Into::into)),
        active: body.active,
    };
    let unit = state
        .db(move |conn| units::update(conn, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(UnitView::from(unit)))
}

/// Delete a unit nothing refers to (admin). A unit with staff or sub-units is refused with 409:
/// deactivate it instead.
#[utoipa::path(
    tag = "units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The unit's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The unit is in use (`unit-in-use`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/units/{id}")]
pub async fn delete_unit(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    state.db(move |conn| units::delete(conn, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
