//! The `log` provider, the default: it sends nothing and records each message in the log as
//! sent, so that a fresh install (or a demo, or a developer's machine) runs every flow without an
//! SMS account. It logs who (masked) and how long, never the text: texts carry tracking codes.

use std::sync::Arc;

use super::gateway::{
    BoxFuture, DeliveryReport, DeliveryStatus, Gateway, OutgoingSms, SendOutcome, SmsConfigError,
    SmsSettings,
};

pub const NAME: &str = "log";

#[derive(Debug, Clone, Copy, Default)]
pub struct LogGateway;

pub fn from_settings(_settings: &SmsSettings) -> Result<Arc<dyn Gateway>, SmsConfigError> {
    Ok(Arc::new(LogGateway))
}

impl Gateway for LogGateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            tracing::info!(
                notification = %sms.id,
                to = %crate::domain::phone::mask(&sms.to),
                chars = sms.text.chars().count(),
                segments = crate::domain::templates::segments(&sms.text),
                "SMS recorded, not sent (MARDOM_SMS_PROVIDER=log)"
            );
            // Our id stands in for the provider's, so that reports and look-ups have one.
            SendOutcome::Accepted {
                provider_id: Some(sms.id.clone()),
            }
        })
    }

    fn status<'a>(
        &'a self,
        _notification_id: &'a str,
        _provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DeliveryStatus, String>> {
        // Whatever was "sent" here was recorded at once: as delivered as it will ever be.
        Box::pin(async { Ok(DeliveryStatus::Delivered) })
    }

    fn parse_report(&self, _query: &str, _body: &[u8]) -> Result<Vec<DeliveryReport>, String> {
        Err("the log provider sends no delivery reports".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::io::Write;
    use std::sync::Mutex;

    /// Collects what a tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn send_records_a_masked_number_and_no_text() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let sms = OutgoingSms {
            id: "n-1".to_owned(),
            to: "+989121234567".to_owned(),
            text: "کد رهگیری شما ۱۲۳۴۵۶۷۸۹۰۱۲ است".to_owned(),
            one_time_code: None,
        };
        let outcome =
            tracing::subscriber::with_default(subscriber, || LogGateway.send(&sms).now_or_never());
        assert_eq!(
            outcome,
            Some(SendOutcome::Accepted {
                provider_id: Some("n-1".to_owned())
            })
        );
        let line = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(line.contains("+98912***4567"), "{line}");
        assert!(!line.contains("+989121234567"), "{line}");
        assert!(!line.contains("۱۲۳۴۵۶۷۸۹۰۱۲"), "{line}");
        assert!(
            line.contains("segments=1") && line.contains("n-1"),
            "{line}"
        );
    }

    #[test]
    fn status_is_delivered_and_there_are_no_reports() {
        assert_eq!(
            LogGateway.status("n-1", None).now_or_never(),
            Some(Ok(DeliveryStatus::Delivered))
        );
        assert!(LogGateway.parse_report("", b"{}").is_err());
        assert_eq!(LogGateway.name(), "log");
    }
}
