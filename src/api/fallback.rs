//! What answers when no route matched: 405 with `Allow` when the path exists under another
//! method, else 404, both as problems. The known paths come from the OpenAPI document, which is
//! built from the same handlers as the routes, so the two cannot drift apart.

use actix_web::dev::ResourceDef;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::{ApiError, Kind};
use super::openapi::methods;

pub struct RouteTable(Vec<(ResourceDef, Vec<&'static str>)>);

impl RouteTable {
    pub fn from_document(doc: &utoipa::openapi::OpenApi) -> Self {
        Self(
            doc.paths
                .paths
                .iter()
                .map(|(path, item)| (ResourceDef::new(path.as_str()), methods(item)))
                .collect(),
        )
    }

    /// The methods a path answers, if it is known at all.
    fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

pub async fn not_found_or_wrong_method(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(allowed) => ApiError::new(
            Kind::MethodNotAllowed,
            format!(
                "{} is not allowed here; allowed: {}",
                req.method(),
                allowed.join(", ")
            ),
        )
        .with_header(header::ALLOW, allowed.join(", ")),
        None => ApiError::new(
            Kind::NotFound,
            "no endpoint has this path; see /swagger-ui/",
        ),
    })
}
