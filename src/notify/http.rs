//! The `http` provider: a generic JSON webhook, for an in-house SMS relay or any provider
//! reached through one. It owns this small contract:
//!
//! - send: `POST <MARDOM_SMS_HTTP_URL>` with `{"id", "to", "text"}`, `Authorization: Bearer
//!   <MARDOM_SMS_HTTP_TOKEN>` (when set) and `Idempotency-Key: <id>`; a 2xx is acceptance (the
//!   answer's `id`, if any, is the provider's id); 408, 429 and 5xx are worth retrying; any other
//!   status is a refusal.
//! - status: `GET <url>/<id>` answers `{"status": "queued|sent|delivered|undelivered|failed",
//!   "error"?}`, or 404 for a message it never got.
//! - delivery reports: a JSON body `{"id", "status", "error"?, "provider_id"?}`, or an array of
//!   them, with the statuses above.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::gateway::{
    BoxFuture, DeliveryReport, DeliveryStatus, Gateway, OutgoingSms, SendOutcome, SmsConfigError,
    SmsSettings, describe, http_client, id_text, parse_base_url, snippet, status_outcome,
    transport_outcome,
};

pub const NAME: &str = "http";

#[derive(Debug)]
pub struct HttpGateway {
    client: reqwest::Client,
    url: reqwest::Url,
    token: Option<SecretString>,
}

pub fn from_settings(settings: &SmsSettings) -> Result<Arc<dyn Gateway>, SmsConfigError> {
    Ok(Arc::new(HttpGateway::new(settings)?))
}

impl HttpGateway {
    pub fn new(settings: &SmsSettings) -> Result<Self, SmsConfigError> {
        const URL: &str = "MARDOM_SMS_HTTP_URL";
        let raw = settings
            .http_url
            .as_deref()
            .ok_or_else(|| SmsConfigError::Missing {
                name: URL.to_owned(),
                provider: NAME,
            })?;
        let url = parse_base_url(URL, raw)?;
        // Checked here, once, rather than failing every send with a header error.
        if let Some(token) = &settings.http_token
            && !token.expose_secret().bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(SmsConfigError::Invalid {
                name: "MARDOM_SMS_HTTP_TOKEN".to_owned(),
                reason: "a bearer token is printable ASCII without spaces".to_owned(),
            });
        }
        Ok(Self {
            client: http_client(settings.timeout)?,
            url,
            token: settings.http_token.clone(),
        })
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            // `bearer_auth` marks the header sensitive, which keeps it out of debug output.
            Some(token) => request.bearer_auth(token.expose_secret()),
            None => request,
        }
    }

    /// `<url>/<id>`, the id escaped as one path segment.
    fn message_url(&self, id: &str) -> reqwest::Url {
        let mut url = self.url.clone();
        // The URL was checked to be a base in `new`, so the segments are always there.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(id);
        }
        url
    }
}

#[derive(Debug, Deserialize)]
struct StatusBody {
    status: String,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReportBody {
    id: serde_json::Value,
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    provider_id: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Reports {
    Many(Vec<ReportBody>),
    One(ReportBody),
}

/// The contract's status words; `sent` and `accepted` are read as `queued`, which they mean.
fn delivery_status(word: &str, error: Option<String>) -> Result<DeliveryStatus, String> {
    match word.trim().to_ascii_lowercase().as_str() {
        "queued" | "accepted" | "sent" => Ok(DeliveryStatus::Queued),
        "delivered" => Ok(DeliveryStatus::Delivered),
        "undelivered" => Ok(DeliveryStatus::Undelivered(
            error.unwrap_or_else(|| "undelivered".to_owned()),
        )),
        "failed" => Ok(DeliveryStatus::Failed(
            error.unwrap_or_else(|| "failed".to_owned()),
        )),
        other => Err(format!("unknown status {other:?}")),
    }
}

impl Gateway for HttpGateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let request = self
                .authorised(self.client.post(self.url.clone()))
                .header("Idempotency-Key", &sms.id)
                .json(&serde_json::json!({ "id": sms.id, "to": sms.to, "text": sms.text }));
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => return transport_outcome(error),
            };
            let status = response.status();
            if status.is_success() {
                // A 2xx is the acceptance; an answer without a readable `id` does not undo it.
                let provider_id = response
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|body| body.get("id").and_then(id_text));
                return SendOutcome::Accepted { provider_id };
            }
            let body = response.text().await.unwrap_or_default();
            status_outcome(status, &body)
        })
    }

    fn status<'a>(
        &'a self,
        notification_id: &'a str,
        _provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DeliveryStatus, String>> {
        Box::pin(async move {
            let response = self
                .authorised(self.client.get(self.message_url(notification_id)))
                .send()
                .await
                .map_err(describe)?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(DeliveryStatus::NotFound);
            }
            let body = response.text().await.map_err(describe)?;
            if !status.is_success() {
                return Err(format!("HTTP {status}{}", snippet(&body)));
            }
            let answer: StatusBody = serde_json::from_str(&body)
                .map_err(|e| format!("unreadable status answer ({e}){}", snippet(&body)))?;
            delivery_status(&answer.status, answer.error)
        })
    }

    fn parse_report(&self, _query: &str, body: &[u8]) -> Result<Vec<DeliveryReport>, String> {
        let reports = match serde_json::from_slice::<Reports>(body) {
            Ok(Reports::Many(many)) => many,
            Ok(Reports::One(one)) => vec![one],
            Err(e) => return Err(format!("expected {{\"id\", \"status\"}} or a list: {e}")),
        };
        reports
            .into_iter()
            .map(|report| {
                let id = id_text(&report.id).ok_or("a report without an id")?;
                Ok(DeliveryReport {
                    notification_id: Some(id),
                    provider_id: report.provider_id.as_ref().and_then(id_text),
                    status: delivery_status(&report.status, report.error)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::gateway::{closed_port_url, settings};
    use std::time::Duration;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn gateway(url: &str, timeout_ms: &str) -> HttpGateway {
        HttpGateway::new(
            &settings(&[
                ("MARDOM_SMS_PROVIDER", "http"),
                ("MARDOM_SMS_HTTP_URL", url),
                ("MARDOM_SMS_HTTP_TOKEN", "tok-123"),
                ("MARDOM_SMS_TIMEOUT_MS", timeout_ms),
            ])
            .unwrap(),
        )
        .unwrap()
    }

    fn sms() -> OutgoingSms {
        OutgoingSms {
            one_time_code: None,
            id: "0d1c9a6e-5b7f-4e8a-9c1d-2f3e4a5b6c7d".to_owned(),
            to: "+989121234567".to_owned(),
            text: "درخواست شما ثبت شد".to_owned(),
        }
    }

    /// Sends one message to a server answering `answer` at `/sms`.
    async fn send_answered(answer: ResponseTemplate) -> SendOutcome {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/sms"))
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
        gateway(&format!("{}/sms", server.uri()), "2000")
            .send(&sms())
            .await
    }

    #[actix_web::test]
    async fn sends_the_contract_request() {
        let server = MockServer::start().await;
        let sms = sms();
        Mock::given(method("POST"))
            .and(path("/sms"))
            .and(header("authorization", "Bearer tok-123"))
            .and(header("idempotency-key", sms.id.as_str()))
            .and(header("content-type", "application/json"))
            .and(body_json(
                serde_json::json!({ "id": sms.id, "to": sms.to, "text": sms.text }),
            ))
            .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"id": 77})))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = gateway(&format!("{}/sms", server.uri()), "2000")
            .send(&sms)
            .await;
        assert_eq!(
            outcome,
            SendOutcome::Accepted {
                provider_id: Some("77".to_owned())
            }
        );
    }

    #[actix_web::test]
    async fn a_2xx_is_accepted_with_or_without_an_id() {
        let with_id = ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "p-9"}));
        assert_eq!(
            send_answered(with_id).await,
            SendOutcome::Accepted {
                provider_id: Some("p-9".to_owned())
            }
        );
        assert_eq!(
            send_answered(ResponseTemplate::new(204)).await,
            SendOutcome::Accepted { provider_id: None }
        );
    }

    #[actix_web::test]
    async fn server_errors_and_throttling_are_transient() {
        for code in [500, 503, 429] {
            let outcome =
                send_answered(ResponseTemplate::new(code).set_body_string("busy, later")).await;
            match outcome {
                SendOutcome::Transient(error) => {
                    assert!(error.contains(&code.to_string()), "{error}");
                    assert!(error.contains("busy, later"), "{error}");
                }
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    #[actix_web::test]
    async fn other_client_errors_are_permanent() {
        for code in [400, 401, 404, 422] {
            let outcome =
                send_answered(ResponseTemplate::new(code).set_body_string("invalid number")).await;
            assert!(
                matches!(&outcome, SendOutcome::Permanent(e) if e.contains("invalid number")),
                "{code}: {outcome:?}"
            );
        }
    }

    #[actix_web::test]
    async fn redirects_are_not_followed() {
        let outcome = send_answered(
            ResponseTemplate::new(302).insert_header("location", "http://127.0.0.1:9/elsewhere"),
        )
        .await;
        assert!(matches!(outcome, SendOutcome::Permanent(_)), "{outcome:?}");
    }

    #[actix_web::test]
    async fn a_timeout_after_the_request_left_is_unknown() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500)))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = gateway(&format!("{}/sms", server.uri()), "300")
            .send(&sms())
            .await;
        assert!(
            matches!(&outcome, SendOutcome::Unknown(e) if e.starts_with("no answer from the provider in time")),
            "{outcome:?}"
        );
    }

    #[actix_web::test]
    async fn a_refused_connection_is_transient() {
        let outcome = gateway(&format!("{}/sms", closed_port_url()), "2000")
            .send(&sms())
            .await;
        assert!(
            matches!(&outcome, SendOutcome::Transient(e) if e.starts_with("cannot reach the provider")),
            "{outcome:?}"
        );
    }

    #[actix_web::test]
    async fn status_reads_the_contract_and_404_is_not_found() {
        let server = MockServer::start().await;
        let answers = [
            (
                "a",
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "queued"})),
            ),
            (
                "b",
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"status": "delivered"})),
            ),
            (
                "c",
                ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({"status": "undelivered", "error": "phone off"}),
                ),
            ),
            (
                "d",
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "failed"})),
            ),
            ("e", ResponseTemplate::new(404)),
            ("f", ResponseTemplate::new(503)),
            (
                "g",
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "lost"})),
            ),
        ];
        for (id, answer) in answers {
            Mock::given(method("GET"))
                .and(path(format!("/base/sms/{id}")))
                .and(header("authorization", "Bearer tok-123"))
                .respond_with(answer)
                .expect(1)
                .mount(&server)
                .await;
        }
        // A trailing slash on the configured URL changes nothing.
        let gateway = gateway(&format!("{}/base/sms/", server.uri()), "2000");
        let mut got = Vec::new();
        for id in ["a", "b", "c", "d", "e"] {
            got.push(gateway.status(id, None).await);
        }
        assert_eq!(
            got,
            vec![
                Ok(DeliveryStatus::Queued),
                Ok(DeliveryStatus::Delivered),
                Ok(DeliveryStatus::Undelivered("phone off".to_owned())),
                Ok(DeliveryStatus::Failed("failed".to_owned())),
                Ok(DeliveryStatus::NotFound),
            ]
        );
        assert!(gateway.status("f", None).await.is_err());
        assert!(gateway.status("g", None).await.is_err());
    }

    #[test]
    fn parses_one_report_or_a_list() {
        let gateway = gateway("http://127.0.0.1:9/sms", "2000");
        let one = gateway
            .parse_report("", br#"{"id": "n-1", "status": "delivered"}"#)
            .unwrap();
        assert_eq!(
            one,
            vec![DeliveryReport {
                notification_id: Some("n-1".to_owned()),
                provider_id: None,
                status: DeliveryStatus::Delivered,
            }]
        );
        let many = gateway
            .parse_report(
                "",
                br#"[{"id": "n-1", "status": "undelivered", "error": "off", "provider_id": 5},
                    {"id": 2, "status": "failed"}]"#,
            )
            .unwrap();
        assert_eq!(
            many,
            vec![
                DeliveryReport {
                    notification_id: Some("n-1".to_owned()),
                    provider_id: Some("5".to_owned()),
                    status: DeliveryStatus::Undelivered("off".to_owned()),
                },
                DeliveryReport {
                    notification_id: Some("2".to_owned()),
                    provider_id: None,
                    status: DeliveryStatus::Failed("failed".to_owned()),
                },
            ]
        );
        for bad in [
            &b""[..],
            b"not json",
            br#"{"status": "delivered"}"#,
            br#"{"id": "n-1", "status": "teleported"}"#,
            br#"{"id": "", "status": "delivered"}"#,
        ] {
            assert!(gateway.parse_report("", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused() {
        let s = settings(&[
            ("MARDOM_SMS_PROVIDER", "http"),
            ("MARDOM_SMS_HTTP_URL", "https://example.org"),
            ("MARDOM_SMS_HTTP_TOKEN", "two words"),
        ])
        .unwrap();
        let error = HttpGateway::new(&s).unwrap_err().to_string();
        assert!(error.contains("MARDOM_SMS_HTTP_TOKEN") && !error.contains("two words"));
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", gateway("http://127.0.0.1:9/sms", "2000"));
        assert!(!shown.contains("tok-123"), "{shown}");
    }
}
