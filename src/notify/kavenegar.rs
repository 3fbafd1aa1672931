//! The `kavenegar` provider: Kavenegar's REST API (kavenegar.com/rest.html), the first real
//! Iranian provider. It owns the calls, the reading of Kavenegar's codes, and keeping the API key
//! — which Kavenegar wants in the URL path — out of every log line and error string.
//!
//! - send: `POST {base}/v1/{key}/sms/send.json`, form-encoded `receptor` (national form,
//!   `09…`), `message`, `sender` (when configured) and `localid` (our notification id, which
//!   makes Kavenegar refuse a second message with the same id).
//! - a one-time code, when `MARDOM_KAVENEGAR_OTP_TEMPLATE` names a verify-lookup template:
//!   `POST …/verify/lookup.json` with `receptor`, `token` (the digits) and `template`.
//! - status: `GET …/sms/status.json?messageid=` when Kavenegar's id is known, else
//!   `…/sms/statuslocalmessageid.json?localid=`: after a send whose outcome is unknown, this is
//!   how we learn whether Kavenegar has the message before sending it again.
//! - answers: `{"return": {"status", "message"}, "entries": [{"messageid", "status",
//!   "statustext", …}]}`; `return.status` is 200 on success and otherwise Kavenegar's error code
//!   (also used as the HTTP status).
//!
//! Delivery reports: Kavenegar calls the URL set in its panel with the fields `messageid` and
//! `status` (the message status codes below), and `localid` where it has one. We have not found
//! a formal description of that call, so `parse_report` accepts the fields from the query string,
//! a form body or a JSON body, in any letter case; a report needs `status` and one of
//! `messageid` and `localid`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::gateway::{
    BoxFuture, DeliveryReport, DeliveryStatus, Gateway, OutgoingSms, ProviderAccount, SendOutcome,
    SmsConfigError, SmsSettings, describe, http_client, id_text, parse_base_url, snippet,
    status_outcome, transport_outcome,
};

pub const NAME: &str = "kavenegar";
pub const DEFAULT_BASE_URL: &str = "https://api.kavenegar.com";

/// What stands for the API key wherever it would otherwise appear.
const KEY_MASK: &str = "[API-KEY]";

#[derive(Debug)]
pub struct KavenegarGateway {
    client: reqwest::Client,
    base: reqwest::Url,
    api_key: SecretString,
    sender: Option<String>,
    /// A verify-lookup template (made in Kavenegar's panel): one-time codes go through it.
    otp_template: Option<String>,
}

pub fn from_settings(settings: &SmsSettings) -> Result<Arc<dyn Gateway>, SmsConfigError> {
    Ok(Arc::new(KavenegarGateway::new(settings)?))
}

impl KavenegarGateway {
    pub fn new(settings: &SmsSettings) -> Result<Self, SmsConfigError> {
        let api_key = settings
            .account
            .api_key
            .clone()
            .ok_or_else(|| SmsConfigError::Missing {
                name: ProviderAccount::var(NAME, "API_KEY"),
                provider: NAME,
            })?;
        let base_var = ProviderAccount::var(NAME, "BASE_URL");
        let base = parse_base_url(
            &base_var,
            settings
                .account
                .base_url
                .as_deref()
                .unwrap_or(DEFAULT_BASE_URL),
        )?;
        if base.scheme() == "http" && !is_loopback(&base) {
            tracing::warn!(
                "{base_var} is plain http: the Kavenegar API key will cross the network unencrypted"
            );
        }
        Ok(Self {
            client: http_client(settings.timeout)?,
            base,
            api_key,
            sender: settings.account.sender.clone(),
            otp_template: settings.account.otp_template.clone(),
        })
    }

    /// `{base}/v1/{key}/sms/{method}`.
    fn url(&self, method: &str) -> reqwest::Url {
        self.url_in("sms", method)
    }

    /// `{base}/v1/{key}/{area}/{method}`.
    fn url_in(&self, area: &str, method: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        // The base was checked to be one in `new`, so the segments are always there.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["v1", self.api_key.expose_secret(), area, method]);
        }
        url
    }

    /// A one-time code through the verify-lookup API: `POST {base}/v1/{key}/verify/lookup.json`
    /// with `receptor`, `token` (the digits) and `template`. Kavenegar renders its own approved
    /// template (delivered faster, on its OTP route); the lookup takes no `localid`, so a retry
    /// after an unknown outcome may send a second code, which the first one's expiry bounds.
    async fn send_lookup(&self, sms: &OutgoingSms, template: &str, code: &str) -> SendOutcome {
        let form = [
            ("receptor", national(&sms.to)),
            ("token", code.to_owned()),
            ("template", template.to_owned()),
        ];
        let response = self
            .client
            .post(self.url_in("verify", "lookup.json"))
            .form(&form)
            .send()
            .await;
        self.answer(response).await
    }

    /// Removes the API key from text bound for a log line or the database. The URL is already
    /// left out of `reqwest`'s errors (`describe`); this also covers an answer that echoes the
    /// request path, as a proxy's error page may, percent-encoded or not.
    fn redact(&self, text: &str) -> String {
        let key = self.api_key.expose_secret();
        if key.is_empty() {
            return text.to_owned();
        }
        let mut text = text.replace(key, KEY_MASK);
        // As a path segment (how our requests carry it) and as a form value.
        let mut as_segment = self.base.clone();
        if let Ok(mut segments) = as_segment.path_segments_mut() {
            segments.clear().push(key);
        }
        let as_form = serde_urlencoded::to_string([("", key)]).unwrap_or_default();
        for encoded in [&as_segment.path()[1..], as_form.trim_start_matches('=')] {
            if !encoded.is_empty() {
                text = text.replace(encoded, KEY_MASK);
            }
        }
        text
    }

    fn redact_outcome(&self, outcome: SendOutcome) -> SendOutcome {
        match outcome {
            SendOutcome::Transient(e) => SendOutcome::Transient(self.redact(&e)),
            SendOutcome::Permanent(e) => SendOutcome::Permanent(self.redact(&e)),
            SendOutcome::Unknown(e) => SendOutcome::Unknown(self.redact(&e)),
            accepted @ SendOutcome::Accepted { .. } => accepted,
        }
    }

    async fn send_form(&self, sms: &OutgoingSms) -> SendOutcome {
        let mut form = vec![
            ("receptor", national(&sms.to)),
            ("message", sms.text.clone()),
            ("localid", sms.id.clone()),
        ];
        if let Some(sender) = &self.sender {
            form.push(("sender", sender.clone()));
        }
        let response = self
            .client
            .post(self.url("send.json"))
            .form(&form)
            .send()
            .await;
        self.answer(response).await
    }

    /// What a send's (or a lookup's) answer says of the message.
    async fn answer(&self, response: reqwest::Result<reqwest::Response>) -> SendOutcome {
        let response = match response {
            Ok(response) => response,
            Err(error) => return transport_outcome(error),
        };
        let http_status = response.status();
        let body = match response.text().await {
            Ok(body) => body,
            // The status line came, the answer did not: Kavenegar may have the message.
            Err(error) if http_status.is_success() => {
                return SendOutcome::Unknown(format!(
                    "HTTP {http_status} but the answer was lost: {}",
                    describe(error)
                ));
            }
            Err(_) => return status_outcome(http_status, ""),
        };
        let Ok(reply) = serde_json::from_str::<Reply>(&body) else {
            // A 200 that is not Kavenegar's JSON (a proxy's page, a cut answer) proves nothing
            // either way: ask by localid before sending again.
            if http_status.is_success() {
                return SendOutcome::Unknown(format!(
                    "HTTP {http_status} with an unreadable answer{}",
                    snippet(&body)
                ));
            }
            return status_outcome(http_status, &body);
        };
        let code = reply.outcome.status;
        if code == 200 {
            let provider_id = reply
                .entries
                .unwrap_or_default()
                .first()
                .and_then(|entry| entry.messageid.as_ref().and_then(id_text));
            return SendOutcome::Accepted { provider_id };
        }
        let error = format!("kavenegar {code}: {}", reply.outcome.message);
        if is_transient(code) {
            SendOutcome::Transient(error)
        } else {
            SendOutcome::Permanent(error)
        }
    }

    async fn query_status(
        &self,
        notification_id: &str,
        provider_id: Option<&str>,
    ) -> Result<DeliveryStatus, String> {
        // Kavenegar's own id when we have it; our localid otherwise (a send whose answer was
        // lost), which is what the look-up by localid is for.
        let request = match provider_id.filter(|id| !id.is_empty()) {
            Some(messageid) => self
                .client
                .get(self.url("status.json"))
                .query(&[("messageid", messageid)]),
            None => self
                .client
                .get(self.url("statuslocalmessageid.json"))
                .query(&[("localid", notification_id)]),
        };
        let response = request.send().await.map_err(describe)?;
        let http_status = response.status();
        let body = response.text().await.map_err(describe)?;
        let reply: Reply = serde_json::from_str(&body).map_err(|_| {
            format!(
                "HTTP {http_status} with an unreadable answer{}",
                snippet(&body)
            )
        })?;
        if reply.outcome.status != 200 {
            return Err(format!(
                "kavenegar {}: {}",
                reply.outcome.status, reply.outcome.message
            ));
        }
        match reply.entries.unwrap_or_default().first() {
            None => Ok(DeliveryStatus::NotFound),
            Some(entry) => {
                let code = entry
                    .status
                    .ok_or("kavenegar answered without a message status")?;
                message_status(code, entry.statustext.as_deref())
            }
        }
    }
}

impl Gateway for KavenegarGateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let outcome = match (&self.otp_template, &sms.one_time_code) {
                (Some(template), Some(code)) => self.send_lookup(sms, template, code).await,
                _ => self.send_form(sms).await,
            };
            self.redact_outcome(outcome)
        })
    }

    fn status<'a>(
        &'a self,
        notification_id: &'a str,
        provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DeliveryStatus, String>> {
        Box::pin(async move {
            self.query_status(notification_id, provider_id)
                .await
                .map_err(|e| self.redact(&e))
        })
    }

    fn parse_report(&self, query: &str, body: &[u8]) -> Result<Vec<DeliveryReport>, String> {
        let mut fields: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| format!("unreadable query string: {e}"))?;
        let text = std::str::from_utf8(body).map_err(|_| "the report is not UTF-8".to_owned())?;
        let trimmed = text.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let json: serde_json::Value =
                serde_json::from_str(trimmed).map_err(|e| format!("unreadable JSON: {e}"))?;
            let objects = match json {
                serde_json::Value::Array(items) => items,
                single => vec![single],
            };
            return objects
                .iter()
                .map(|object| {
                    let object = object.as_object().ok_or("a report is not an object")?;
                    let mut merged = fields.clone();
                    merged.extend(object.iter().filter_map(|(name, value)| {
                        id_text(value).map(|value| (name.clone(), value))
                    }));
                    report(&merged)
                })
                .collect();
        }
        // A form body's fields come after the query's, so that they win.
        fields.extend(
            serde_urlencoded::from_str::<Vec<(String, String)>>(trimmed)
                .map_err(|e| format!("unreadable form: {e}"))?,
        );
        Ok(vec![report(&fields)?])
    }
}

/// One report from its fields; the last of a repeated field wins.
fn report(fields: &[(String, String)]) -> Result<DeliveryReport, String> {
    let field = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_owned())
    };
    let status = field("status").ok_or("a report without a status")?;
    let code: i64 = status
        .parse()
        .map_err(|_| format!("a report with a status that is not a number: {status:?}"))?;
    let provider_id = field("messageid");
    let notification_id = field("localid");
    if provider_id.is_none() && notification_id.is_none() {
        return Err("a report with neither messageid nor localid".to_owned());
    }
    Ok(DeliveryReport {
        notification_id,
        provider_id,
        status: message_status(code, field("statustext").as_deref())?,
    })
}

/// Kavenegar's message status codes.
fn message_status(code: i64, text: Option<&str>) -> Result<DeliveryStatus, String> {
    let said = |fallback: &str| match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => format!("kavenegar status {code}: {text}"),
        None => format!("kavenegar status {code}: {fallback}"),
    };
    match code {
        // In the send queue, scheduled, or handed to the operator: not final.
        1 | 2 | 4 | 5 => Ok(DeliveryStatus::Queued),
        10 => Ok(DeliveryStatus::Delivered),
        11 => Ok(DeliveryStatus::Undelivered(said(
            "not delivered to the phone",
        ))),
        6 => Ok(DeliveryStatus::Failed(said("failed to send"))),
        13 => Ok(DeliveryStatus::Failed(said("cancelled"))),
        // The recipient has refused such messages with the operator.
        14 => Ok(DeliveryStatus::Failed(said("blocked by the recipient"))),
        // "Invalid message id": Kavenegar has no message by that id.
        100 => Ok(DeliveryStatus::NotFound),
        other => Err(format!("unknown Kavenegar message status {other}")),
    }
}

/// Whether a Kavenegar error code (`return.status`) may pass if the message is sent later. Any
/// code not listed is a refusal that would repeat: invalid receptor (411) or sender (412), an
/// empty or too long message (413), too many receptors (414), a bad date (417), bad characters
/// (422), a missing template (424), a plan without this method (426), a bad verification code
/// (431, 432), a wrong or disabled key or account (401, 403), and so on.
fn is_transient(code: u16) -> bool {
    match code {
        // "The operation failed", with no cause given: worth another try, and `localid` keeps a
        // retry from doubling a message that did go out.
        402 => true,
        // "The server cannot answer now; try later".
        409 => true,
        // Not enough credit. The office tops the account up; until it does, messages wait and
        // retry (and fail, visibly, when their attempts run out) rather than failing at once for
        // a reason that is not the citizen's.
        418 => true,
        // Too many calls.
        429 | 451 => true,
        // A test account, which sends only to its owner's number: a refusal.
        501 => false,
        // Kavenegar's or a proxy's trouble.
        500..=599 => true,
        _ => false,
    }
}

/// Kavenegar's national form of a number we keep in E.164: `+989121234567` → `09121234567`.
fn national(e164: &str) -> String {
    match e164
        .strip_prefix("+98")
        .or_else(|| e164.strip_prefix("0098"))
    {
        Some(rest) => format!("0{rest}"),
        None => e164.to_owned(),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(rename = "return")]
    outcome: ReturnStatus,
    #[serde(default)]
    entries: Option<Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
struct ReturnStatus {
    status: u16,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    messageid: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    statustext: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::gateway::{closed_port_url, settings};
    use std::collections::HashMap;
    use std::time::Duration;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// Looks like a real key, and would be easy to spot in any text it leaked into.
    const KEY: &str = "4A6F686E2D53454352455421";

    fn gateway_at(base: &str, sender: Option<&str>, timeout_ms: &str) -> KavenegarGateway {
        let mut vars = vec![
            ("MARDOM_SMS_PROVIDER", "kavenegar"),
            ("MARDOM_KAVENEGAR_API_KEY", KEY),
            ("MARDOM_KAVENEGAR_BASE_URL", base),
            ("MARDOM_SMS_TIMEOUT_MS", timeout_ms),
        ];
        if let Some(sender) = sender {
            vars.push(("MARDOM_KAVENEGAR_SENDER", sender));
        }
        KavenegarGateway::new(&settings(&vars).unwrap()).unwrap()
    }

    fn sms() -> OutgoingSms {
        OutgoingSms {
            one_time_code: None,
            id: "0d1c9a6e-5b7f-4e8a-9c1d-2f3e4a5b6c7d".to_owned(),
            to: "+989121234567".to_owned(),
            text: "درخواست شما ثبت شد. کد رهگیری: ۱۲۳۴".to_owned(),
        }
    }

    fn send_path() -> String {
        format!("/v1/{KEY}/sms/send.json")
    }

    /// Kavenegar's error answer, its code also the HTTP status.
    fn reply(code: u16, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(code).set_body_json(serde_json::json!({
            "return": {"status": code, "message": message},
            "entries": null
        }))
    }

    fn accepted(messageid: u64) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [{
                "messageid": messageid, "message": "…", "status": 1, "statustext": "در صف ارسال",
                "sender": "10004346", "receptor": "09121234567", "date": 1356619709, "cost": 120
            }]
        }))
    }

    async fn send_answered(answer: ResponseTemplate) -> SendOutcome {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
        gateway_at(&server.uri(), None, "2000").send(&sms()).await
    }

    fn assert_no_key(text: &str) {
        assert!(!text.contains(KEY), "the API key leaked: {text}");
    }

    fn error_text(outcome: &SendOutcome) -> &str {
        match outcome {
            SendOutcome::Transient(e) | SendOutcome::Permanent(e) | SendOutcome::Unknown(e) => e,
            SendOutcome::Accepted { .. } => "",
        }
    }

    #[actix_web::test]
    async fn sends_the_documented_form() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(accepted(8792343))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = gateway_at(&server.uri(), Some("10004346"), "2000")
            .send(&sms())
            .await;
        assert_eq!(
            outcome,
            SendOutcome::Accepted {
                provider_id: Some("8792343".to_owned())
            }
        );
        let requests = server.received_requests().await.unwrap();
        let request = &requests[0];
        assert_eq!(
            request.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(&request.body).unwrap();
        let sms = sms();
        let expected: HashMap<String, String> = [
            ("receptor", "09121234567"),
            ("message", sms.text.as_str()),
            ("sender", "10004346"),
            ("localid", sms.id.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(form, expected);
    }

    #[actix_web::test]
    async fn a_one_time_code_goes_through_the_verify_lookup_template_when_one_is_configured() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v1/{KEY}/verify/lookup.json")))
            .respond_with(accepted(5544))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(accepted(6655))
            .expect(2)
            .mount(&server)
            .await;
        let code = OutgoingSms {
            one_time_code: Some("042917".to_owned()),
            ..sms()
        };
        let vars = [
            ("MARDOM_SMS_PROVIDER", "kavenegar"),
            ("MARDOM_KAVENEGAR_API_KEY", KEY),
            ("MARDOM_KAVENEGAR_BASE_URL", &server.uri()),
            ("MARDOM_KAVENEGAR_OTP_TEMPLATE", "mardom-otp"),
        ];
        let with_template = KavenegarGateway::new(&settings(&vars).unwrap()).unwrap();
        assert_eq!(
            with_template.send(&code).await,
            SendOutcome::Accepted {
                provider_id: Some("5544".to_owned())
            }
        );
        let lookup = &server.received_requests().await.unwrap()[0];
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(&lookup.body).unwrap();
        let expected: HashMap<String, String> = [
            ("receptor", "09121234567"),
            ("token", "042917"),
            ("template", "mardom-otp"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(form, expected);
        // Any other message, and a code without a configured template, go as plain sends.
        with_template.send(&sms()).await;
        gateway_at(&server.uri(), None, "2000").send(&code).await;
    }

    #[actix_web::test]
    async fn without_a_sender_none_is_sent_and_a_base_path_is_kept() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/kave/v1/{KEY}/sms/send.json")))
            .respond_with(accepted(1))
            .expect(1)
            .mount(&server)
            .await;
        let gateway = gateway_at(&format!("{}/kave/", server.uri()), None, "2000");
        let outcome = gateway.send(&sms()).await;
        assert!(
            matches!(outcome, SendOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let requests = server.received_requests().await.unwrap();
        let form: HashMap<String, String> =
            serde_urlencoded::from_bytes(&requests[0].body).unwrap();
        assert!(!form.contains_key("sender"), "{form:?}");
    }

    #[actix_web::test]
    async fn refusals_are_permanent_with_kavenegars_message() {
        for (code, message) in [
            (411, "گیرنده نامعتبر است"),
            (412, "ارسال کننده نامعتبر است"),
            (400, "پارامترها ناقص هستند"),
            (403, "کد شناسائی API-Key معتبر نمی‌باشد"),
            (422, "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست"),
            (501, "فقط امکان ارسال به شماره صاحب حساب"),
        ] {
            let outcome = send_answered(reply(code, message)).await;
            assert_eq!(
                outcome,
                SendOutcome::Permanent(format!("kavenegar {code}: {message}")),
                "{code}"
            );
        }
    }

    #[actix_web::test]
    async fn busy_throttled_or_out_of_credit_is_transient() {
        for code in [500, 502, 409, 429, 418, 402, 451] {
            let outcome = send_answered(reply(code, "later")).await;
            assert_eq!(
                outcome,
                SendOutcome::Transient(format!("kavenegar {code}: later")),
                "{code}"
            );
        }
        // Not Kavenegar's JSON at all, as from a proxy in front of it.
        let outcome = send_answered(ResponseTemplate::new(503).set_body_string("<html>")).await;
        assert!(matches!(outcome, SendOutcome::Transient(_)), "{outcome:?}");
        let outcome = send_answered(ResponseTemplate::new(404).set_body_string("<html>")).await;
        assert!(matches!(outcome, SendOutcome::Permanent(_)), "{outcome:?}");
    }

    #[actix_web::test]
    async fn an_unreadable_200_is_unknown() {
        let outcome = send_answered(ResponseTemplate::new(200).set_body_string("<html>")).await;
        assert!(matches!(outcome, SendOutcome::Unknown(_)), "{outcome:?}");
    }

    #[actix_web::test]
    async fn a_timeout_after_the_request_left_is_unknown() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(accepted(5).set_delay(Duration::from_millis(1500)))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = gateway_at(&server.uri(), None, "300").send(&sms()).await;
        assert!(
            matches!(&outcome, SendOutcome::Unknown(e) if e.starts_with("no answer from the provider in time")),
            "{outcome:?}"
        );
        assert_no_key(error_text(&outcome));
    }

    #[actix_web::test]
    async fn a_refused_connection_is_transient() {
        let outcome = gateway_at(&closed_port_url(), None, "2000")
            .send(&sms())
            .await;
        assert!(
            matches!(&outcome, SendOutcome::Transient(e) if e.starts_with("cannot reach the provider")),
            "{outcome:?}"
        );
        assert_no_key(error_text(&outcome));
    }

    #[actix_web::test]
    async fn the_key_never_reaches_an_error_string() {
        // An error page that echoes the request path, plainly and percent-encoded.
        let echo = format!("no route for /v1/{KEY}/sms/send.json");
        for answer in [
            ResponseTemplate::new(502).set_body_string(echo.clone()),
            ResponseTemplate::new(200).set_body_string(echo.clone()),
            reply(403, &format!("key {KEY} is not valid")),
        ] {
            let outcome = send_answered(answer).await;
            let text = error_text(&outcome);
            assert!(!text.is_empty(), "{outcome:?}");
            assert_no_key(text);
            assert!(text.contains(KEY_MASK), "{text}");
        }
        // The status look-up, failing every way it can.
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502).set_body_string(echo))
            .mount(&server)
            .await;
        let error = gateway_at(&server.uri(), None, "2000")
            .status("n-1", None)
            .await
            .unwrap_err();
        assert_no_key(&error);
        let error = gateway_at(&closed_port_url(), None, "2000")
            .status("n-1", Some("5"))
            .await
            .unwrap_err();
        assert_no_key(&error);
        // And neither does the gateway's own Debug.
        assert_no_key(&format!("{:?}", gateway_at(&server.uri(), None, "2000")));
    }

    #[test]
    fn a_percent_encoded_key_is_redacted_too() {
        let mut gateway = gateway_at("http://127.0.0.1:9", None, "2000");
        gateway.api_key = SecretString::from("a/b+c d");
        assert_eq!(
            gateway.redact("x a/b+c d y a%2Fb%2Bc+d z a%2Fb+c%20d"),
            format!("x {KEY_MASK} y {KEY_MASK} z {KEY_MASK}")
        );
    }

    /// A status answer with one entry.
    fn status_reply(status: i64, statustext: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [{
                "messageid": 8792343, "localid": "n-1", "status": status, "statustext": statustext
            }]
        }))
    }

    #[actix_web::test]
    async fn status_by_localid_maps_every_code() {
        let cases = [
            (1, Ok(DeliveryStatus::Queued)),
            (2, Ok(DeliveryStatus::Queued)),
            (4, Ok(DeliveryStatus::Queued)),
            (5, Ok(DeliveryStatus::Queued)),
            (10, Ok(DeliveryStatus::Delivered)),
            (
                11,
                Ok(DeliveryStatus::Undelivered(
                    "kavenegar status 11: نرسیده به گیرنده".to_owned(),
                )),
            ),
            (
                6,
                Ok(DeliveryStatus::Failed(
                    "kavenegar status 6: نرسیده به گیرنده".to_owned(),
                )),
            ),
            (
                13,
                Ok(DeliveryStatus::Failed(
                    "kavenegar status 13: نرسیده به گیرنده".to_owned(),
                )),
            ),
            (
                14,
                Ok(DeliveryStatus::Failed(
                    "kavenegar status 14: نرسیده به گیرنده".to_owned(),
                )),
            ),
            (100, Ok(DeliveryStatus::NotFound)),
            (77, Err("unknown Kavenegar message status 77".to_owned())),
        ];
        for (code, expected) in cases {
            let server = MockServer::start().await;
            let id = format!("n-{code}");
            Mock::given(method("GET"))
                .and(path(format!("/v1/{KEY}/sms/statuslocalmessageid.json")))
                .and(query_param("localid", id.as_str()))
                .respond_with(status_reply(code, "نرسیده به گیرنده"))
                .expect(1)
                .mount(&server)
                .await;
            let got = gateway_at(&server.uri(), None, "2000")
                .status(&id, None)
                .await;
            assert_eq!(got, expected, "{code}");
        }
    }

    #[actix_web::test]
    async fn status_by_messageid_when_known() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/v1/{KEY}/sms/status.json")))
            .and(query_param("messageid", "8792343"))
            .respond_with(status_reply(10, "رسیده به گیرنده"))
            .expect(1)
            .mount(&server)
            .await;
        let got = gateway_at(&server.uri(), None, "2000")
            .status("n-1", Some("8792343"))
            .await;
        assert_eq!(got, Ok(DeliveryStatus::Delivered));
    }

    #[actix_web::test]
    async fn status_without_entries_is_not_found_and_errors_are_errors() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(query_param("localid", "none"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "return": {"status": 200, "message": "تایید شد"}, "entries": []
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("localid", "bad-key"))
            .respond_with(reply(403, "کلید نامعتبر"))
            .mount(&server)
            .await;
        let gateway = gateway_at(&server.uri(), None, "2000");
        assert_eq!(
            gateway.status("none", None).await,
            Ok(DeliveryStatus::NotFound)
        );
        assert_eq!(
            gateway.status("bad-key", None).await,
            Err("kavenegar 403: کلید نامعتبر".to_owned())
        );
    }

    #[test]
    fn reports_from_a_form_the_query_or_json() {
        let gateway = gateway_at("http://127.0.0.1:9", None, "2000");
        let delivered = |localid: Option<&str>| DeliveryReport {
            notification_id: localid.map(str::to_owned),
            provider_id: Some("8792343".to_owned()),
            status: DeliveryStatus::Delivered,
        };
        assert_eq!(
            gateway.parse_report("", b"messageid=8792343&status=10"),
            Ok(vec![delivered(None)])
        );
        assert_eq!(
            gateway.parse_report("secret=s&messageid=8792343&status=10&localid=n-1", b""),
            Ok(vec![delivered(Some("n-1"))])
        );
        assert_eq!(
            gateway.parse_report("secret=s", br#"{"MessageId": 8792343, "Status": "10"}"#),
            Ok(vec![delivered(None)])
        );
        // The body wins over the query.
        assert_eq!(
            gateway.parse_report("messageid=1&status=1", b"messageid=8792343&status=10"),
            Ok(vec![delivered(None)])
        );
        let two = gateway
            .parse_report(
                "",
                br#"[{"messageid": 1, "status": 11}, {"localid": "n-2", "status": 1}]"#,
            )
            .unwrap();
        assert_eq!(
            two,
            vec![
                DeliveryReport {
                    notification_id: None,
                    provider_id: Some("1".to_owned()),
                    status: DeliveryStatus::Undelivered(
                        "kavenegar status 11: not delivered to the phone".to_owned()
                    ),
                },
                DeliveryReport {
                    notification_id: Some("n-2".to_owned()),
                    provider_id: None,
                    status: DeliveryStatus::Queued,
                },
            ]
        );
        for (query, body) in [
            ("", &b""[..]),
            ("", b"messageid=1"),
            ("", b"status=10"),
            ("", b"messageid=1&status=ten"),
            ("", b"messageid=1&status=77"),
            ("", b"{not json"),
            ("", b"\xff\xfe"),
        ] {
            assert!(
                gateway.parse_report(query, body).is_err(),
                "{query:?} {body:?}"
            );
        }
    }

    #[test]
    fn numbers_go_out_in_national_form() {
        assert_eq!(national("+989121234567"), "09121234567");
        assert_eq!(national("00989121234567"), "09121234567");
        assert_eq!(national("09121234567"), "09121234567");
    }
}
