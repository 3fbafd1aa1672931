//! Open311's XML: each answer as the specification's elements, text escaped.

use super::views::{Filed, Service, ServiceDefinition, ServiceRequest};
use chrono::{DateTime, Utc};

/// What an answer's element is called in XML, and its fields as text.
pub(super) trait AsXml {
    const ELEMENT: &'static str;
    fn fields(&self) -> Vec<(&'static str, Option<String>)>;
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub(super) fn xml_list<T: AsXml>(root: &str, items: &[T]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(&format!("<{root}>"));
    for item in items {
        xml.push_str(&format!("<{}>", T::ELEMENT));
        for (name, value) in item.fields() {
            match value {
                Some(value) => xml.push_str(&format!("<{name}>{}</{name}>", escape(&value))),
                None => xml.push_str(&format!("<{name}/>")),
            }
        }
        xml.push_str(&format!("</{}>", T::ELEMENT));
    }
    xml.push_str(&format!("</{root}>"));
    xml
}

impl AsXml for Service {
    const ELEMENT: &'static str = "service";
    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("service_code", Some(self.service_code.clone())),
            ("service_name", Some(self.service_name.clone())),
            ("description", Some(self.description.clone())),
            ("metadata", Some(self.metadata.to_string())),
            ("type", Some(self.kind.clone())),
            ("keywords", Some(self.keywords.clone())),
            ("group", Some(self.group.clone())),
        ]
    }
}

impl AsXml for Filed {
    const ELEMENT: &'static str = "request";
    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("service_request_id", Some(self.service_request_id.clone())),
            ("service_notice", Some(self.service_notice.clone())),
        ]
    }
}

impl AsXml for ServiceRequest {
    const ELEMENT: &'static str = "request";
    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        vec![
            ("service_request_id", Some(self.service_request_id.clone())),
            ("status", Some(self.status.clone())),
            ("status_notes", Some(self.status_notes.clone())),
            ("service_name", Some(self.service_name.clone())),
            ("service_code", Some(self.service_code.clone())),
            ("agency_responsible", self.agency_responsible.clone()),
            ("service_notice", self.service_notice.clone()),
            ("requested_datetime", Some(time(&self.requested_datetime))),
            ("updated_datetime", Some(time(&self.updated_datetime))),
            (
                "expected_datetime",
                self.expected_datetime.as_ref().map(time),
            ),
        ]
    }
}

pub(super) fn definition_xml(definition: &ServiceDefinition) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition>");
    xml.push_str(&format!(
        "<service_code>{}</service_code><attributes>",
        escape(&definition.service_code)
    ));
    for a in &definition.attributes {
        xml.push_str(&format!(
            "<attribute><variable>{}</variable><code>{}</code><datatype>{}</datatype><required>{}</required>\
             <datatype_description>{}</datatype_description><order>{}</order><description>{}</description><values>",
            a.variable, escape(&a.code), escape(&a.datatype), a.required,
            escape(&a.datatype_description), a.order, escape(&a.description)
        ));
        for v in &a.values {
            xml.push_str(&format!(
                "<value><key>{}</key><name>{}</name></value>",
                escape(&v.key),
                escape(&v.name)
            ));
        }
        xml.push_str("</values></attribute>");
    }
    xml.push_str("</attributes></service_definition>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::open311::views::Filed;

    #[test]
    fn xml_is_escaped_and_empty_values_are_empty_elements() {
        let filed = Filed {
            service_request_id: "1<2".to_owned(),
            service_notice: "a & b".to_owned(),
        };
        assert_eq!(
            xml_list("service_requests", &[filed]),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request><service_request_id>1&lt;2</service_request_id>\
             <service_notice>a &amp; b</service_notice></request></service_requests>"
        );
    }
}
