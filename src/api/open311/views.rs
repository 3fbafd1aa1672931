//! What Open311 answers: services, their definitions, the answer to filing, and a service
//! request as the public view shows it (no text, no identity, no location).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::requests::RequestWithHistory;
use crate::domain::request::{RequestKind, Status, Subject};

/// A service: one kind of request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "service_code": "complaint", "service_name": "شکایت", "description": "شکایت از عملکرد یک فرد، واحد یا نهاد وابسته به مرکز",
    "metadata": true, "type": "realtime", "keywords": "شکایت,complaint", "group": "ارتباطات مردمی"
}))]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Whether it has attributes (`GET services/{code}`).
    pub metadata: bool,
    /// Always `realtime`: the tracking code is answered at once.
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// A service's attributes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "service_code": "complaint",
    "attributes": [{"variable": true, "code": "subject", "datatype": "singlevaluelist", "required": false,
        "datatype_description": "درباره‌ی کیست", "order": 1, "description": "موضوع: فرد، واحد یا نهاد وابسته",
        "values": [{"key": "person", "name": "فرد"}, {"key": "unit", "name": "واحد"}, {"key": "affiliated_entity", "name": "نهاد وابسته"}]}]
}))]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// The answer to filing: the tracking code as the request's id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"service_request_id": "483920175523", "service_notice": "کد رهگیری با پیامک برای شهروند فرستاده شد"}))]
pub struct Filed {
    /// The tracking code.
    pub service_request_id: String,
    pub service_notice: String,
}

/// A service request as Open311 shows it: the public view's fields only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "service_request_id": "483920175523", "status": "open", "status_notes": "referred",
    "service_name": "شکایت", "service_code": "complaint", "agency_responsible": "واحد امور مالی",
    "service_notice": null, "requested_datetime": "2026-12-03T08:30:00Z", "updated_datetime": "2026-12-03T10:15:00Z",
    "expected_datetime": null
}))]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The request's own status (`registered`, `in_review`, `referred`…) and, once closed,
    /// its resolution.
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    /// The units handling it, by name, comma-separated.
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: DateTime<Utc>,
    pub updated_datetime: DateTime<Utc>,
    pub expected_datetime: Option<DateTime<Utc>>,
}

pub(super) fn name_of(kind: RequestKind) -> (&'static str, &'static str) {
    match kind {
        RequestKind::Meeting => ("ملاقات مردمی", "درخواست ملاقات با ریاست مرکز"),
        RequestKind::Suggestion => ("پیشنهاد", "پیشنهادی برای بهتر شدن کار مرکز"),
        RequestKind::Criticism => (
            "انتقاد",
            "انتقاد از عملکرد یک فرد، واحد یا نهاد وابسته به مرکز",
        ),
        RequestKind::Complaint => (
            "شکایت",
            "شکایت از عملکرد یک فرد، واحد یا نهاد وابسته به مرکز",
        ),
        RequestKind::Report => (
            "گزارش",
            "گزارش درباره‌ی عملکرد یک فرد، واحد یا نهاد وابسته به مرکز",
        ),
    }
}

pub(super) fn service(kind: RequestKind) -> Service {
    let (name, description) = name_of(kind);
    Service {
        service_code: kind.as_str().to_owned(),
        service_name: name.to_owned(),
        description: description.to_owned(),
        metadata: kind != RequestKind::Meeting,
        kind: "realtime".to_owned(),
        keywords: format!("{name},{}", kind.as_str()),
        group: "ارتباطات مردمی".to_owned(),
    }
}

fn subject_name(subject: Subject) -> &'static str {
    match subject {
        Subject::Person => "فرد",
        Subject::Unit => "واحد",
        Subject::AffiliatedEntity => "نهاد وابسته",
    }
}

pub(super) fn definition(kind: RequestKind) -> ServiceDefinition {
    let attributes = match kind {
        RequestKind::Meeting => Vec::new(),
        _ => vec![Attribute {
            variable: true,
            code: "subject".to_owned(),
            datatype: "singlevaluelist".to_owned(),
            required: false,
            datatype_description: "درباره‌ی کیست".to_owned(),
            order: 1,
            description: "موضوع: فرد، واحد یا نهاد وابسته".to_owned(),
            values: Subject::ALL
                .iter()
                .map(|s| AttributeValue {
                    key: s.as_str().to_owned(),
                    name: subject_name(*s).to_owned(),
                })
                .collect(),
        }],
    };
    ServiceDefinition {
        service_code: kind.as_str().to_owned(),
        attributes,
    }
}

/// The `service_code` of a request neither reviewed nor given a kind by the citizen.
pub(super) const UNCLASSIFIED: &str = "unclassified";

pub(super) fn service_request(found: &RequestWithHistory) -> ServiceRequest {
    let request = &found.request;
    let kind = request.kind.or(request.proposed_kind);
    let mut notes = request.status.as_str().to_owned();
    if let Some(resolution) = request.resolution {
        notes = format!("{notes}: {resolution}");
    }
    ServiceRequest {
        service_request_id: request.tracking_code.clone(),
        status: if request.status == Status::Closed {
            "closed"
        } else {
            "open"
        }
        .to_owned(),
        status_notes: notes,
        service_name: kind.map(|k| name_of(k).0).unwrap_or("درخواست").to_owned(),
        service_code: kind.map(|k| k.as_str()).unwrap_or(UNCLASSIFIED).to_owned(),
        agency_responsible: (!found.referred_to.is_empty()).then(|| found.referred_to.join("، ")),
        service_notice: None,
        requested_datetime: request.created_at.and_utc(),
        updated_datetime: request.updated_at.and_utc(),
        expected_datetime: None,
    }
}
