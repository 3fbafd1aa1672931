//! The texts of the SMS sent to citizens (PRODUCT rule 6; issue 5, "Templates"). It owns one
//! built-in Persian text per notification the lifecycle produces, their replacement by
//! configuration, the rendering of a stored notification's parameters into the message (Center's
//! name, tracking code, Solar Hijri date and Tehran time, every digit Persian), and the count of
//! SMS segments a text costs. It sends nothing and stores nothing: the outbox keeps the template's
//! name and parameters, and the dispatcher renders them here at sending time.
//!
//! A text is plain Persian with placeholders in braces, e.g. `{tracking_code}`. Each template may
//! use only the placeholders whose values the lifecycle stores with it, so that an override which
//! could never be filled is refused when the configuration is read, not when a citizen is waiting
//! for the message.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::jalali::{LocalTime, local_time, persian_digits};
use super::lifecycle::Template;
use super::request::RequestKind;
use super::text::{ascii_digits, normalise_line};
use super::tracking_code::TrackingCode;

/// A message ready to send, and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// SMS parts the text takes (`segments`): what the provider charges for.
    pub segments: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A name that is not one of `Template::ALL` (in an override, or a stored notification).
    #[error("there is no SMS template {0:?}; the templates are {names}", names = names())]
    UnknownTemplate(String),
    /// The text uses a placeholder whose parameter is absent, null or empty.
    #[error("template {template} needs the parameter {parameter}, which is missing or empty")]
    MissingParameter {
        template: String,
        parameter: &'static str,
    },
    /// The parameter is there but unusable: a tracking code that is not one, a meeting time that
    /// is not an instant, an unknown kind.
    #[error("template {template}: the parameter {parameter} is not {expected}")]
    InvalidParameter {
        template: String,
        parameter: &'static str,
        expected: &'static str,
    },
    /// In an override: a placeholder that does not exist, that this template has no value for,
    /// or a `{` never closed. `placeholder` is written as found, braces included.
    #[error("template {template}: {placeholder} is not a placeholder it can use; it can use {usable}", usable = usable_list(.template))]
    UnknownPlaceholder {
        template: String,
        placeholder: String,
    },
    /// An override with no text: it would send an empty SMS.
    #[error("template {template}: the text is empty")]
    EmptyText { template: String },
    /// A line of the templates file that is not `name=text`, a comment or blank.
    #[error("templates file, line {line}: {reason}")]
    BadLine { line: usize, reason: String },
}

/// A value a text can show. The names are the configuration's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Center,
    TrackingCode,
    Unit,
    Date,
    Time,
    Weekday,
    Place,
    Reason,
    Kind,
    /// A staff inbox line, as written for the inbox.
    Notice,
    /// A one-time code's six digits.
    Code,
}

impl Placeholder {
    fn parse(name: &str) -> Option<Placeholder> {
        Some(match name {
            "center" => Placeholder::Center,
            "tracking_code" => Placeholder::TrackingCode,
            "unit" => Placeholder::Unit,
            "date" => Placeholder::Date,
            "time" => Placeholder::Time,
            "weekday" => Placeholder::Weekday,
            "place" => Placeholder::Place,
            "reason" => Placeholder::Reason,
            "kind" => Placeholder::Kind,
            "notice" => Placeholder::Notice,
            "code" => Placeholder::Code,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Placeholder::Center => "center",
            Placeholder::TrackingCode => "tracking_code",
            Placeholder::Unit => "unit",
            Placeholder::Date => "date",
            Placeholder::Time => "time",
            Placeholder::Weekday => "weekday",
            Placeholder::Place => "place",
            Placeholder::Reason => "reason",
            Placeholder::Kind => "kind",
            Placeholder::Notice => "notice",
            Placeholder::Code => "code",
        }
    }
}

/// Every template can show these: the Center's name is configuration and the tracking code is
/// stored with every message.
const COMMON: [Placeholder; 2] = [Placeholder::Center, Placeholder::TrackingCode];

/// What the meeting messages add: all but the place come from the one stored instant.
const MEETING_TIME: &[Placeholder] = &[
    Placeholder::Date,
    Placeholder::Time,
    Placeholder::Weekday,
    Placeholder::Place,
];

/// A template's built-in text and the placeholders, beyond `COMMON`, that it may use.
struct Spec {
    text: &'static str,
    extra: &'static [Placeholder],
}

/// The built-in texts. An exhaustive match on the lifecycle's own enum, so that a new
/// notification cannot be added there without a text here.
///
/// Each fits in two UCS-2 segments (134 UTF-16 units) with a long Center name, a 30-character
/// unit, the longest Jalali date and weekday, a place of up to 19 characters and a reason of up
/// to 31: the tests hold them to it. The tracking code closes the meeting messages, where the
/// variable parts come first, and is named in every one, since it is how the citizen follows up.
fn spec(template: Template) -> Spec {
    match template {
        Template::TrackingCodeIssued => Spec {
            text: "{center}: درخواست شما ثبت شد. لطفاً کد رهگیری را برای پیگیری نگه دارید: {tracking_code}",
            extra: &[],
        },
        Template::Referred => Spec {
            text: "{center}: درخواست شما با کد رهگیری {tracking_code} برای رسیدگی به {unit} ارجاع شد.",
            extra: &[Placeholder::Unit],
        },
        Template::Thanked => Spec {
            text: "{center}: از {kind} شما با کد رهگیری {tracking_code} سپاسگزاریم. نظر شما در بهبود خدمات به کار می\u{200C}رود.",
            extra: &[Placeholder::Kind],
        },
        Template::MeetingScheduled => Spec {
            text: "{center}: ملاقات شما با ریاست: {weekday} {date} ساعت {time}، {place}. کد رهگیری: {tracking_code}",
            extra: MEETING_TIME,
        },
        Template::MeetingRescheduled => Spec {
            text: "{center}: وقت جدید ملاقات شما: {weekday} {date} ساعت {time}، {place}. کد رهگیری: {tracking_code}",
            extra: MEETING_TIME,
        },
        Template::MeetingCancelled => Spec {
            text: "{center}: با پوزش، ملاقات شما با کد رهگیری {tracking_code} لغو شد. برای تعیین وقت دیگر با شما تماس می\u{200C}گیریم.",
            extra: &[],
        },
        Template::MeetingRedirected => Spec {
            text: "{center}: درخواست شما با کد رهگیری {tracking_code} به جای ملاقات به {unit} ارجاع شد.",
            extra: &[Placeholder::Unit],
        },
        Template::MeetingDeclined => Spec {
            text: "{center}: با پوزش، درخواست ملاقات شما با کد رهگیری {tracking_code} پذیرفته نشد. علت: {reason}",
            extra: &[Placeholder::Reason],
        },
        Template::MeetingNoAction => Spec {
            text: "{center}: ملاقات شما با کد رهگیری {tracking_code} برگزار شد و اقدام دیگری لازم نبود. از حضور شما سپاسگزاریم.",
            extra: &[],
        },
        Template::Resolved => Spec {
            text: "{center}: رسیدگی به درخواست شما با کد رهگیری {tracking_code} به پایان رسید. از شکیبایی شما سپاسگزاریم.",
            extra: &[],
        },
        Template::MessageWaiting => Spec {
            text: "{center}: پیامی درباره\u{200C}ی درخواست {tracking_code} دارید. برای خواندن و پاسخ، با کد رهگیری به درگاه مراجعه کنید.",
            extra: &[],
        },
        Template::DeadlineExtended => Spec {
            text: "{center}: پاسخ درخواست {tracking_code} زمان بیشتری می\u{200C}خواهد و تا {weekday} {date} داده می\u{200C}شود",
            extra: &[Placeholder::Date, Placeholder::Weekday],
        },
        Template::MeetingReminder => Spec {
            text: "{center}: یادآوری ملاقات با ریاست: {weekday} {date} ساعت {time}، {place}. کد رهگیری: {tracking_code}",
            extra: MEETING_TIME,
        },
        Template::StaffNotice => Spec {
            text: "{center}: {notice}",
            extra: &[Placeholder::Notice],
        },
        Template::RetentionNotice => Spec {
            text: "{center}: مشخصات و متن درخواست {tracking_code} در {date} پاک می\u{200C}شود؛ پیش از آن نسخه را از درگاه بگیرید",
            extra: &[Placeholder::Date],
        },
        Template::CitizenCode => Spec {
            text: "{center}: کد ورود شما به درگاه شهروندی: {code}\nاین کد تا ۲ دقیقه معتبر است؛ آن را به کسی ندهید.",
            extra: &[Placeholder::Code],
        },
    }
}

/// Whether a template has no tracking code to show, not even in an override: a staff notice (a
/// unit's staff never learn the code) and a one-time code (sent for no one request).
fn without_tracking_code(template: Template) -> bool {
    matches!(template, Template::StaffNotice | Template::CitizenCode)
}

fn find(name: &str) -> Option<Template> {
    Template::parse(name)
}

/// Every template name, for the error that names an unknown one.
fn names() -> String {
    Template::ALL
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn usable(template: Template, placeholder: Placeholder) -> bool {
    let common = match without_tracking_code(template) {
        true => placeholder == Placeholder::Center,
        false => COMMON.contains(&placeholder),
    };
    common || spec(template).extra.contains(&placeholder)
}

/// "{center}, {tracking_code}, …" for an error message; empty for an unknown template.
fn usable_list(template: &str) -> String {
    find(template).map_or_else(String::new, |t| {
        COMMON
            .iter()
            .filter(|p| usable(t, **p))
            .chain(spec(t).extra)
            .map(|p| format!("{{{}}}", p.name()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// What a citizen is thanked for when the request's kind is not known.
const ANY_KIND: &str = "پیام";

/// A kind as the sentence «از … شما سپاسگزاریم» names it.
fn kind_word(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Meeting => "درخواست ملاقات",
        RequestKind::Suggestion => "پیشنهاد",
        RequestKind::Criticism => "انتقاد",
        RequestKind::Complaint => "شکایت",
        RequestKind::Report => "گزارش",
    }
}

/// Signs the messages when no Center name is configured: the desk's own name, rather than a text
/// that starts with a bare colon.
const DEFAULT_CENTER: &str = "ارتباطات مردمی";

/// One piece of a text: words as written, or a value to put in.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Slot(Placeholder),
}

/// Splits a text into literals and placeholders, refusing one the template cannot fill.
///
/// A `{` always opens a placeholder and there is no escape for a literal brace: SMS texts in
/// Persian have no use for one, and a brace costs two GSM-7 places anyway. A lone `}` is text.
fn pieces(template: Template, text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let refuse = |found: &str| TemplateError::UnknownPlaceholder {
        template: template.as_str().to_owned(),
        placeholder: found.to_owned(),
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Literal(&rest[..open]));
        }
        let inside = &rest[open + 1..];
        let Some(close) = inside.find('}') else {
            return Err(refuse(&rest[open..]));
        };
        match Placeholder::parse(&inside[..close]).filter(|&p| usable(template, p)) {
            Some(placeholder) => out.push(Piece::Slot(placeholder)),
            // `open + 1 + close` is the `}`: the placeholder as written, braces included.
            None => return Err(refuse(&rest[open..open + close + 2])),
        }
        rest = &inside[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    Ok(out)
}

/// A notification's stored parameters, read for one template.
struct Params<'a> {
    template: Template,
    values: &'a Value,
}

impl Params<'_> {
    fn missing(&self, parameter: &'static str) -> TemplateError {
        TemplateError::MissingParameter {
            template: self.template.as_str().to_owned(),
            parameter,
        }
    }

    fn invalid(&self, parameter: &'static str, expected: &'static str) -> TemplateError {
        TemplateError::InvalidParameter {
            template: self.template.as_str().to_owned(),
            parameter,
            expected,
        }
    }

    /// A text parameter. Null and blank count as missing: either would leave a hole in the
    /// sentence.
    fn text(&self, parameter: &'static str) -> Result<&str, TemplateError> {
        match self.values.get(parameter) {
            None | Some(Value::Null) => Err(self.missing(parameter)),
            Some(Value::String(s)) if s.trim().is_empty() => Err(self.missing(parameter)),
            Some(Value::String(s)) => Ok(s.trim()),
            Some(_) => Err(self.invalid(parameter, "a text")),
        }
    }

    /// The tracking code, only in its canonical stored form: a mistyped code in an SMS would send
    /// the citizen after someone else's request, or after none.
    fn tracking_code(&self) -> Result<TrackingCode, TemplateError> {
        let parameter = "tracking_code";
        TrackingCode::from_stored(self.text(parameter)?.to_owned())
            .ok_or_else(|| self.invalid(parameter, "a 12-digit tracking code"))
    }

    /// The message's instant as Tehran reads it: a meeting's start, or the last moment of an
    /// extended deadline (`until`). The app stores the instant in UTC (RFC 3339) and leaves the
    /// calendar and the clock to the moment of rendering, here.
    fn starts_at(&self) -> Result<LocalTime, TemplateError> {
        let parameter = match self.template {
            Template::DeadlineExtended | Template::RetentionNotice => "until",
            _ => "starts_at",
        };
        let instant = DateTime::parse_from_rfc3339(self.text(parameter)?)
            .map_err(|_| self.invalid(parameter, "an RFC 3339 instant"))?;
        Ok(local_time(instant.with_timezone(&Utc)))
    }

    /// The request's kind as a word; absent or null means not known, which reads as «پیام».
    fn kind(&self) -> Result<&'static str, TemplateError> {
        let parameter = "kind";
        match self.values.get(parameter) {
            None | Some(Value::Null) => Ok(ANY_KIND),
            Some(Value::String(s)) => RequestKind::parse(s)
                .map(kind_word)
                .ok_or_else(|| self.invalid(parameter, "a request kind")),
            Some(_) => Err(self.invalid(parameter, "a request kind")),
        }
    }
}

/// The built-in Persian texts, optionally overridden by configuration.
#[derive(Debug, Clone)]
pub struct Templates {
    center: String,
    /// Template name → replacement text, each checked by `with_overrides`.
    overrides: BTreeMap<&'static str, String>,
}

impl Templates {
    /// The built-in texts, signed with the Center's name (normalised as any name is; an empty one
    /// falls back to «ارتباطات مردمی»).
    pub fn new(center_name: &str) -> Self {
        let center = normalise_line(center_name);
        Templates {
            center: if center.is_empty() {
                DEFAULT_CENTER.to_owned()
            } else {
                center
            },
            overrides: BTreeMap::new(),
        }
    }

    /// Overrides from configuration: template name → text with {placeholders}; checked now so a
    /// typo fails at start, not at send time. Names and texts are trimmed; a later override of
    /// the same template wins.
    pub fn with_overrides(
        mut self,
        overrides: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, TemplateError> {
        for (name, text) in overrides {
            let name = name.trim();
            let template =
                find(name).ok_or_else(|| TemplateError::UnknownTemplate(name.to_owned()))?;
            let text = text.trim();
            if text.is_empty() {
                return Err(TemplateError::EmptyText {
                    template: name.to_owned(),
                });
            }
            pieces(template, text)?;
            self.overrides.insert(template.as_str(), text.to_owned());
        }
        Ok(self)
    }

    /// Parses "name=text" lines (one per line; blank lines and lines starting with # ignored) —
    /// the format of the MARDOM_SMS_TEMPLATES_FILE file.
    ///
    /// The text is everything after the first `=`, trimmed; `\n` in it stands for a line break,
    /// since a line of the file cannot hold one. A line without `=`, without a name or without a
    /// text, and a template given twice, are refused with their line number: the file is edited
    /// by hand, and a silently ignored line would be a message that never changes. Whether the
    /// names and placeholders are right is `with_overrides`'s to say.
    pub fn parse_overrides(file_contents: &str) -> Result<Vec<(String, String)>, TemplateError> {
        let mut overrides = Vec::new();
        let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
        // A byte-order mark, as some Windows editors write, is not part of the first name.
        let lines = file_contents.trim_start_matches('\u{FEFF}').lines();
        for (line, content) in (1..).zip(lines) {
            let content = content.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let bad = |reason: String| TemplateError::BadLine { line, reason };
            let Some((name, text)) = content.split_once('=') else {
                return Err(bad("expected name=text".to_owned()));
            };
            let (name, text) = (name.trim(), text.trim());
            if name.is_empty() {
                return Err(bad("no template name before '='".to_owned()));
            }
            if text.is_empty() {
                return Err(bad(format!("no text after '{name}='")));
            }
            if let Some(first) = first_seen.insert(name, line) {
                return Err(bad(format!("{name} is already given on line {first}")));
            }
            overrides.push((name.to_owned(), text.replace("\\n", "\n")));
        }
        Ok(overrides)
    }

    /// The message for a stored notification: its template's text (the override if there is one)
    /// with the parameters put in, every digit Persian.
    ///
    /// Only the placeholders the text uses are read, so an override that leaves one out does not
    /// need its parameter. Values are put in as they are, never read again for placeholders.
    pub fn render(&self, which: Template, params: &Value) -> Result<Rendered, TemplateError> {
        let text = self
            .overrides
            .get(which.as_str())
            .map_or(spec(which).text, String::as_str);
        let params = Params {
            template: which,
            values: params,
        };
        let mut out = String::with_capacity(2 * text.len());
        for piece in pieces(which, text)? {
            match piece {
                Piece::Literal(literal) => out.push_str(literal),
                Piece::Slot(placeholder) => out.push_str(&self.value(placeholder, &params)?),
            }
        }
        // Digits from anywhere (an override, a unit's name, a place's room number) read alike;
        // Arabic-Indic ones become Persian too, whose 4, 5 and 6 are drawn differently.
        let text = persian_digits(&ascii_digits(&out));
        Ok(Rendered {
            segments: segments(&text),
            text,
        })
    }

    fn value(
        &self,
        placeholder: Placeholder,
        params: &Params<'_>,
    ) -> Result<String, TemplateError> {
        Ok(match placeholder {
            Placeholder::Center => self.center.clone(),
            Placeholder::TrackingCode => params.tracking_code()?.into_string(),
            Placeholder::Unit => params.text("unit")?.to_owned(),
            Placeholder::Place => params.text("place")?.to_owned(),
            Placeholder::Reason => params.text("reason")?.to_owned(),
            Placeholder::Notice => params.text("notice")?.to_owned(),
            Placeholder::Code => params.text("code")?.to_owned(),
            Placeholder::Date => params.starts_at()?.jalali_display,
            Placeholder::Time => params.starts_at()?.time,
            Placeholder::Weekday => params.starts_at()?.weekday,
            Placeholder::Kind => params.kind()?.to_owned(),
        })
    }
}

/// The GSM 03.38 basic character set in table order, without the escape code (0x1B): what a
/// GSM-7 message can carry at one place (septet) per character.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table: still GSM-7, but each takes two places (escape, character).
const GSM_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Places a character takes in a GSM-7 message, or `None` if GSM-7 cannot carry it.
fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// SMS segments of a text: GSM-7 when every char is in the GSM 03.38 basic set (160 in one, 153
/// per part), else UCS-2 (70 in one, 67 per part; count UTF-16 code units).
///
/// The extension characters (`^{}[]~|\€`, form feed) keep a text in GSM-7 at two places each, as
/// phones and providers send them. Concatenated parts are filled the way phones fill them: an
/// escape pair or a surrogate pair (an emoji) is never cut, so it moves whole to the next part.
/// Every Persian text is UCS-2. An empty text still goes as one message.
pub fn segments(text: &str) -> u32 {
    let count = if text.chars().all(|c| gsm_septets(c).is_some()) {
        parts(text.chars().filter_map(gsm_septets), 160, 153)
    } else {
        parts(text.chars().map(char::len_utf16), 70, 67)
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Parts needed for characters of the given widths: one if all fit in `single`, else parts of
/// `per_part` (smaller: the rest is the concatenation header), filled in order without splitting
/// a character.
fn parts(widths: impl Iterator<Item = usize> + Clone, single: usize, per_part: usize) -> usize {
    if widths.clone().sum::<usize>() <= single {
        return 1;
    }
    let (mut count, mut used) = (1, 0);
    for width in widths {
        if used + width > per_part {
            count += 1;
            used = 0;
        }
        used += width;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests name templates as the outbox and the overrides file spell them.
    trait ByName {
        fn render_named(&self, name: &str, params: &Value) -> Result<Rendered, TemplateError>;
    }

    impl ByName for Templates {
        fn render_named(&self, name: &str, params: &Value) -> Result<Rendered, TemplateError> {
            let which =
                find(name).ok_or_else(|| TemplateError::UnknownTemplate(name.to_owned()))?;
            self.render(which, params)
        }
    }
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    const CENTER: &str = "مرکز آموزشی درمانی شهید رجایی";
    /// A valid code (Damm check digit 2), and how the citizen reads it.
    const CODE: &str = "405713928602";
    const CODE_FA: &str = "۴۰۵۷۱۳۹۲۸۶۰۲";
    /// A unit name of 30 characters, the length the texts are sized for.
    const LONG_UNIT: &str = "اداره نظارت و اعتباربخشی درمان";
    const PLACE: &str = "دفتر ریاست مرکز";
    const REASON: &str = "درخواست در حیطه مرکز نیست";

    fn templates() -> Templates {
        Templates::new(CENTER)
    }

    fn text(name: &str, params: Value) -> String {
        let rendered = templates().render_named(name, &params).unwrap();
        assert_eq!(rendered.segments, segments(&rendered.text));
        rendered.text
    }

    fn utf16_len(s: &str) -> usize {
        s.encode_utf16().count()
    }

    /// Meeting parameters as the app stores them: `NaiveDateTime::and_utc().to_rfc3339()`.
    fn meeting(starts_at_utc: &str) -> Value {
        let instant = DateTime::parse_from_rfc3339(starts_at_utc)
            .unwrap()
            .with_timezone(&Utc);
        json!({"tracking_code": CODE, "starts_at": instant.to_rfc3339(), "place": PLACE})
    }

    #[test]
    fn names_are_the_lifecycles() {
        for template in Template::ALL {
            assert_eq!(find(template.as_str()), Some(*template));
        }
        assert_eq!(find("tracking_code"), None);
    }

    #[test]
    fn every_built_in_text_parses_and_shows_the_center_and_the_tracking_code() {
        for &template in Template::ALL {
            let pieces = pieces(template, spec(template).text).unwrap();
            for needed in COMMON.iter().filter(|p| usable(template, **p)) {
                assert!(
                    pieces.contains(&Piece::Slot(*needed)),
                    "{}",
                    template.as_str()
                );
            }
            // Every extra placeholder a template is given is used by its built-in text.
            for extra in spec(template).extra {
                assert!(
                    pieces.contains(&Piece::Slot(*extra)),
                    "{}",
                    template.as_str()
                );
            }
        }
    }

    #[test]
    fn tracking_code_issued() {
        assert_eq!(
            text("tracking_code_issued", json!({"tracking_code": CODE})),
            "مرکز آموزشی درمانی شهید رجایی: درخواست شما ثبت شد. لطفاً کد رهگیری را برای پیگیری نگه دارید: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn referred() {
        assert_eq!(
            text(
                "referred",
                json!({"tracking_code": CODE, "unit": "معاونت درمان"})
            ),
            "مرکز آموزشی درمانی شهید رجایی: درخواست شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ برای رسیدگی به معاونت درمان ارجاع شد."
        );
    }

    #[test]
    fn thanked_names_the_kind_or_a_generic_message() {
        let expected = |kind: &str| {
            format!(
                "مرکز آموزشی درمانی شهید رجایی: از {kind} شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ سپاسگزاریم. نظر شما در بهبود خدمات به کار می\u{200C}رود."
            )
        };
        for (kind, word) in [
            ("suggestion", "پیشنهاد"),
            ("criticism", "انتقاد"),
            ("complaint", "شکایت"),
            ("report", "گزارش"),
            ("meeting", "درخواست ملاقات"),
        ] {
            let params = json!({"tracking_code": CODE, "kind": kind});
            assert_eq!(text("thanked", params), expected(word), "{kind}");
        }
        let null = json!({"tracking_code": CODE, "kind": null});
        assert_eq!(text("thanked", null), expected("پیام"));
        let absent = json!({"tracking_code": CODE});
        assert_eq!(text("thanked", absent), expected("پیام"));
    }

    #[test]
    fn meeting_scheduled_at_nowruz() {
        // 1 Farvardin 1405 is 21 March 2026, a Saturday; 10:30 in Tehran is 07:00 UTC (+03:30,
        // no daylight saving time since 2023).
        assert_eq!(
            text("meeting_scheduled", meeting("2026-03-21T07:00:00Z")),
            "مرکز آموزشی درمانی شهید رجایی: ملاقات شما با ریاست: شنبه ۱ فروردین ۱۴۰۵ ساعت ۱۰:۳۰، دفتر ریاست مرکز. کد رهگیری: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn a_deadline_extended_names_the_last_day() {
        // The answer is due by the end of Sunday 22 Azar 1405 (2026-12-13): the app stores
        // the deadline's last moment, 23:59:59 Tehran.
        assert_eq!(
            text(
                "deadline_extended",
                json!({"tracking_code": CODE, "until": "2026-12-13T20:29:59+00:00"})
            ),
            "مرکز آموزشی درمانی شهید رجایی: پاسخ درخواست ۴۰۵۷۱۳۹۲۸۶۰۲ زمان بیشتری می\u{200C}خواهد و تا یکشنبه ۲۲ آذر ۱۴۰۵ داده می\u{200C}شود"
        );
    }

    #[test]
    fn a_meeting_reminder_gives_the_time_and_place() {
        assert_eq!(
            text("meeting_reminder", meeting("2026-03-21T07:00:00Z")),
            "مرکز آموزشی درمانی شهید رجایی: یادآوری ملاقات با ریاست: شنبه ۱ فروردین ۱۴۰۵ ساعت ۱۰:۳۰، دفتر ریاست مرکز. کد رهگیری: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn a_staff_notice_is_the_inbox_line_and_never_the_tracking_code() {
        assert_eq!(
            text(
                "staff_notice",
                json!({"notice": "مهلت پاسخ ارجاع R-12345678 (پایان ۱۱ آذر ۱۴۰۵) گذشته است."})
            ),
            "مرکز آموزشی درمانی شهید رجایی: مهلت پاسخ ارجاع R-۱۲۳۴۵۶۷۸ (پایان ۱۱ آذر ۱۴۰۵) گذشته است."
        );
        let refused = templates()
            .with_overrides([(
                "staff_notice".to_owned(),
                "{notice} ({tracking_code})".to_owned(),
            )])
            .unwrap_err();
        assert!(
            matches!(&refused, TemplateError::UnknownPlaceholder { placeholder, .. } if placeholder == "{tracking_code}"),
            "{refused}"
        );
        assert!(
            refused
                .to_string()
                .contains("it can use {center}, {notice}"),
            "{refused}"
        );
    }

    #[test]
    fn meeting_rescheduled_to_the_last_day_of_a_leap_year() {
        // 1403 is a leap year: its Esfand has a 30th, 20 March 2025, a Thursday. 16:00 Tehran is
        // 12:30 UTC.
        assert_eq!(
            text("meeting_rescheduled", meeting("2025-03-20T12:30:00Z")),
            "مرکز آموزشی درمانی شهید رجایی: وقت جدید ملاقات شما: پنج\u{200C}شنبه ۳۰ اسفند ۱۴۰۳ ساعت ۱۶:۰۰، دفتر ریاست مرکز. کد رهگیری: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn a_past_summer_is_shown_with_its_daylight_saving_offset() {
        // 1 July 2021, 06:00 UTC: Iran kept +04:30 that summer, so 10:30, not 09:30.
        assert_eq!(
            text("meeting_scheduled", meeting("2021-07-01T06:00:00Z")),
            "مرکز آموزشی درمانی شهید رجایی: ملاقات شما با ریاست: پنج\u{200C}شنبه ۱۰ تیر ۱۴۰۰ ساعت ۱۰:۳۰، دفتر ریاست مرکز. کد رهگیری: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn the_date_is_tehrans_not_utcs() {
        // 20:45 UTC on 30 November 2026 is 00:15 on Tuesday 1 December in Tehran: 10 Azar.
        assert_eq!(
            text("meeting_scheduled", meeting("2026-11-30T20:45:00Z")),
            "مرکز آموزشی درمانی شهید رجایی: ملاقات شما با ریاست: سه\u{200C}شنبه ۱۰ آذر ۱۴۰۵ ساعت ۰۰:۱۵، دفتر ریاست مرکز. کد رهگیری: ۴۰۵۷۱۳۹۲۸۶۰۲"
        );
    }

    #[test]
    fn meeting_times_with_an_offset_or_z_are_the_same_instant() {
        let with_offset = json!({"tracking_code": CODE, "starts_at": "2026-03-21T10:30:00+03:30", "place": PLACE});
        assert_eq!(
            text("meeting_scheduled", with_offset),
            text("meeting_scheduled", meeting("2026-03-21T07:00:00+00:00"))
        );
    }

    #[test]
    fn meeting_cancelled() {
        assert_eq!(
            text("meeting_cancelled", json!({"tracking_code": CODE})),
            "مرکز آموزشی درمانی شهید رجایی: با پوزش، ملاقات شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ لغو شد. برای تعیین وقت دیگر با شما تماس می\u{200C}گیریم."
        );
    }

    #[test]
    fn meeting_redirected() {
        assert_eq!(
            text(
                "meeting_redirected",
                json!({"tracking_code": CODE, "unit": "معاونت درمان"})
            ),
            "مرکز آموزشی درمانی شهید رجایی: درخواست شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ به جای ملاقات به معاونت درمان ارجاع شد."
        );
    }

    #[test]
    fn meeting_declined() {
        assert_eq!(
            text(
                "meeting_declined",
                json!({"tracking_code": CODE, "reason": REASON})
            ),
            "مرکز آموزشی درمانی شهید رجایی: با پوزش، درخواست ملاقات شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ پذیرفته نشد. علت: درخواست در حیطه مرکز نیست"
        );
    }

    #[test]
    fn meeting_no_action() {
        assert_eq!(
            text("meeting_no_action", json!({"tracking_code": CODE})),
            "مرکز آموزشی درمانی شهید رجایی: ملاقات شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ برگزار شد و اقدام دیگری لازم نبود. از حضور شما سپاسگزاریم."
        );
    }

    #[test]
    fn resolved() {
        assert_eq!(
            text("resolved", json!({"tracking_code": CODE})),
            "مرکز آموزشی درمانی شهید رجایی: رسیدگی به درخواست شما با کد رهگیری ۴۰۵۷۱۳۹۲۸۶۰۲ به پایان رسید. از شکیبایی شما سپاسگزاریم."
        );
    }

    #[test]
    fn every_built_in_text_fits_in_two_segments() {
        assert_eq!(LONG_UNIT.chars().count(), 30);
        // Every day of 1405 (21 March 2026 to 20 March 2027), so that the longest month name
        // («اردیبهشت») meets the longest weekdays («چهارشنبه», «پنج‌شنبه») and two-digit days.
        let nowruz = Utc.with_ymd_and_hms(2026, 3, 21, 7, 0, 0).unwrap();
        let days: Vec<String> = (0..365)
            .map(|d| (nowruz + Duration::days(d)).to_rfc3339())
            .collect();
        let mut cases: Vec<(&str, Value)> = Vec::new();
        for name in [
            "tracking_code_issued",
            "meeting_cancelled",
            "meeting_no_action",
            "resolved",
            "message_waiting",
        ] {
            cases.push((name, json!({"tracking_code": CODE})));
        }
        for name in ["referred", "meeting_redirected"] {
            cases.push((name, json!({"tracking_code": CODE, "unit": LONG_UNIT})));
        }
        for kind in [
            Value::Null,
            json!("meeting"),
            json!("suggestion"),
            json!("criticism"),
        ] {
            cases.push(("thanked", json!({"tracking_code": CODE, "kind": kind})));
        }
        cases.push((
            "meeting_declined",
            json!({"tracking_code": CODE, "reason": REASON}),
        ));
        // The longest inbox line a deadline writes: an outcome's escalation, due within a day.
        let longest = crate::domain::deadline::notice(
            crate::domain::deadline::DeadlineKind::Outcome,
            crate::domain::deadline::Stage::Escalated,
            &format!("درخواست {CODE}"),
            "۲۹ اردیبهشت ۱۴۰۵ ساعت ۱۴:۰۰",
        );
        cases.push(("staff_notice", json!({"notice": longest})));
        cases.push(("citizen_code", json!({"code": "012345"})));
        for day in &days {
            for name in ["deadline_extended", "retention_notice"] {
                cases.push((name, json!({"tracking_code": CODE, "until": day})));
            }
            for name in [
                "meeting_scheduled",
                "meeting_rescheduled",
                "meeting_reminder",
            ] {
                let params = json!({"tracking_code": CODE, "starts_at": day, "place": PLACE});
                cases.push((name, params));
            }
        }
        let mut covered: Vec<&str> = cases.iter().map(|(name, _)| *name).collect();
        covered.sort_unstable();
        covered.dedup();
        assert_eq!(covered.len(), Template::ALL.len());
        for (name, params) in cases {
            let rendered = templates().render_named(name, &params).unwrap();
            assert!(
                utf16_len(&rendered.text) <= 134 && rendered.segments <= 2,
                "{name}: {} units, {} segments: {}",
                utf16_len(&rendered.text),
                rendered.segments,
                rendered.text
            );
        }
    }

    #[test]
    fn every_digit_is_persian() {
        let params = json!({"tracking_code": CODE, "unit": "واحد 2 و ٤", "starts_at": "2026-03-21T07:00:00Z", "place": "اتاق 105"});
        for name in Template::ALL.iter().map(|t| t.as_str()) {
            if let Ok(rendered) = templates().render_named(name, &params) {
                assert!(
                    !rendered
                        .text
                        .chars()
                        .any(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c)),
                    "{name}: {}",
                    rendered.text
                );
                assert!(rendered.text.contains(CODE_FA), "{name}");
            }
        }
        let referred = text("referred", params);
        assert!(referred.contains("واحد ۲ و ۴"), "{referred}");
    }

    #[test]
    fn a_missing_parameter_is_named() {
        let missing = |name: &str, params: Value, parameter: &'static str| {
            assert_eq!(
                templates().render_named(name, &params),
                Err(TemplateError::MissingParameter {
                    template: name.to_owned(),
                    parameter
                }),
                "{name} {params}"
            );
        };
        missing("tracking_code_issued", json!({}), "tracking_code");
        missing("resolved", Value::Null, "tracking_code");
        missing("resolved", json!({"tracking_code": null}), "tracking_code");
        missing("referred", json!({"tracking_code": CODE}), "unit");
        missing(
            "meeting_redirected",
            json!({"tracking_code": CODE, "unit": "  "}),
            "unit",
        );
        missing(
            "meeting_scheduled",
            json!({"tracking_code": CODE, "place": PLACE}),
            "starts_at",
        );
        missing(
            "meeting_rescheduled",
            json!({"tracking_code": CODE, "starts_at": "2026-03-21T07:00:00Z"}),
            "place",
        );
        missing("meeting_declined", json!({"tracking_code": CODE}), "reason");
    }

    #[test]
    fn an_unusable_parameter_is_refused() {
        let invalid = |name: &str, params: Value, parameter: &'static str, expected| {
            assert_eq!(
                templates().render_named(name, &params),
                Err(TemplateError::InvalidParameter {
                    template: name.to_owned(),
                    parameter,
                    expected
                }),
                "{name} {params}"
            );
        };
        // The last digit changed: not a code that was ever issued.
        invalid(
            "resolved",
            json!({"tracking_code": "405713928603"}),
            "tracking_code",
            "a 12-digit tracking code",
        );
        invalid(
            "resolved",
            json!({"tracking_code": 405713928602_u64}),
            "tracking_code",
            "a text",
        );
        invalid(
            "meeting_scheduled",
            json!({"tracking_code": CODE, "starts_at": "1405-01-01 10:30", "place": PLACE}),
            "starts_at",
            "an RFC 3339 instant",
        );
        invalid(
            "thanked",
            json!({"tracking_code": CODE, "kind": "praise"}),
            "kind",
            "a request kind",
        );
        invalid(
            "referred",
            json!({"tracking_code": CODE, "unit": 7}),
            "unit",
            "a text",
        );
    }

    #[test]
    fn an_empty_center_name_falls_back_to_the_desks_and_names_are_tidied() {
        let rendered = Templates::new("  ")
            .render_named("resolved", &json!({"tracking_code": CODE}))
            .unwrap();
        assert!(
            rendered.text.starts_with("ارتباطات مردمی: "),
            "{}",
            rendered.text
        );
        let rendered = Templates::new(" مرکز  درمانی شهيد رجايي ")
            .render_named("resolved", &json!({"tracking_code": CODE}))
            .unwrap();
        assert!(
            rendered.text.starts_with("مرکز درمانی شهید رجایی: "),
            "{}",
            rendered.text
        );
    }

    #[test]
    fn an_override_replaces_only_its_template() {
        let templates = templates()
            .with_overrides([(
                " referred ".to_owned(),
                " {center}\nپرونده {tracking_code} به {unit} رفت. تلفن: 1490 ".to_owned(),
            )])
            .unwrap();
        let params = json!({"tracking_code": CODE, "unit": "معاونت درمان"});
        let rendered = templates.render_named("referred", &params).unwrap();
        assert_eq!(
            rendered.text,
            "مرکز آموزشی درمانی شهید رجایی\nپرونده ۴۰۵۷۱۳۹۲۸۶۰۲ به معاونت درمان رفت. تلفن: ۱۴۹۰"
        );
        assert_eq!(rendered.segments, 2);
        assert_eq!(
            templates.render_named("meeting_redirected", &params),
            Templates::new(CENTER).render_named("meeting_redirected", &params)
        );
    }

    #[test]
    fn an_override_needs_only_the_parameters_it_uses() {
        let templates = templates()
            .with_overrides([(
                "meeting_scheduled".to_owned(),
                "وقت ملاقات: {date} ساعت {time}".to_owned(),
            )])
            .unwrap();
        let params = json!({"starts_at": "2026-03-21T07:00:00Z"});
        assert_eq!(
            templates
                .render_named("meeting_scheduled", &params)
                .unwrap()
                .text,
            "وقت ملاقات: ۱ فروردین ۱۴۰۵ ساعت ۱۰:۳۰"
        );
    }

    #[test]
    fn a_later_override_of_the_same_template_wins() {
        let templates = templates()
            .with_overrides([
                ("resolved".to_owned(), "اول".to_owned()),
                ("resolved".to_owned(), "دوم {tracking_code}".to_owned()),
            ])
            .unwrap();
        let rendered = templates.render_named("resolved", &json!({"tracking_code": CODE}));
        assert_eq!(rendered.unwrap().text, "دوم ۴۰۵۷۱۳۹۲۸۶۰۲");
    }

    #[test]
    fn bad_overrides_are_refused_when_read() {
        let refused = |name: &str, text: &str| {
            templates()
                .with_overrides([(name.to_owned(), text.to_owned())])
                .err()
        };
        let unknown = |template: &str, placeholder: &str| {
            Some(TemplateError::UnknownPlaceholder {
                template: template.to_owned(),
                placeholder: placeholder.to_owned(),
            })
        };
        assert_eq!(
            refused("resolved", "{center}: {trackingcode}"),
            unknown("resolved", "{trackingcode}")
        );
        // A real placeholder, but not one this template is given a value for.
        assert_eq!(
            refused("tracking_code_issued", "{unit}: {tracking_code}"),
            unknown("tracking_code_issued", "{unit}")
        );
        assert_eq!(
            refused("thanked", "{center} از شما ممنون است {tracking_code"),
            unknown("thanked", "{tracking_code")
        );
        assert_eq!(
            refused("referred", "{ unit }"),
            unknown("referred", "{ unit }")
        );
        assert_eq!(
            refused("refered", "{center}"),
            Some(TemplateError::UnknownTemplate("refered".to_owned()))
        );
        assert_eq!(
            refused("resolved", "  \n "),
            Some(TemplateError::EmptyText {
                template: "resolved".to_owned()
            })
        );
    }

    #[test]
    fn parse_overrides_reads_the_file_format() {
        let file = "\u{FEFF}# SMS texts of the Center\r\n\
                    \r\n\
                    resolved = {center}: پرونده {tracking_code} بسته شد.\r\n\
                    \t# referred=ignored\n\
                    referred={center}\\nارجاع به {unit}: a=b\n";
        let overrides = Templates::parse_overrides(file).unwrap();
        assert_eq!(
            overrides,
            [
                (
                    "resolved".to_owned(),
                    "{center}: پرونده {tracking_code} بسته شد.".to_owned()
                ),
                (
                    "referred".to_owned(),
                    "{center}\nارجاع به {unit}: a=b".to_owned()
                ),
            ]
        );
        let templates = templates().with_overrides(overrides).unwrap();
        let params = json!({"tracking_code": CODE, "unit": "معاونت درمان"});
        assert_eq!(
            templates.render_named("referred", &params).unwrap().text,
            "مرکز آموزشی درمانی شهید رجایی\nارجاع به معاونت درمان: a=b"
        );
        assert_eq!(
            Templates::parse_overrides("\n# only comments\n\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn parse_overrides_refuses_bad_lines_with_their_number() {
        let bad = |file: &str| match Templates::parse_overrides(file) {
            Err(TemplateError::BadLine { line, reason }) => (line, reason),
            other => panic!("{file:?}: {other:?}"),
        };
        assert_eq!(
            bad("# texts\nresolved: بسته شد"),
            (2, "expected name=text".to_owned())
        );
        assert_eq!(
            bad("=بسته شد"),
            (1, "no template name before '='".to_owned())
        );
        assert_eq!(
            bad("\n\nresolved =  "),
            (3, "no text after 'resolved='".to_owned())
        );
        assert_eq!(
            bad("resolved=a\nreferred=b\nresolved=c"),
            (3, "resolved is already given on line 1".to_owned())
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            TemplateError::UnknownPlaceholder {
                template: "referred".to_owned(),
                placeholder: "{place}".to_owned()
            }
            .to_string(),
            "template referred: {place} is not a placeholder it can use; it can use {center}, {tracking_code}, {unit}"
        );
        assert_eq!(
            TemplateError::MissingParameter {
                template: "referred".to_owned(),
                parameter: "unit"
            }
            .to_string(),
            "template referred needs the parameter unit, which is missing or empty"
        );
        let unknown = TemplateError::UnknownTemplate("x".to_owned()).to_string();
        assert!(
            unknown.starts_with(
                "there is no SMS template \"x\"; the templates are tracking_code_issued, referred,"
            ),
            "{unknown}"
        );
        assert_eq!(
            TemplateError::BadLine {
                line: 4,
                reason: "expected name=text".to_owned()
            }
            .to_string(),
            "templates file, line 4: expected name=text"
        );
    }

    #[test]
    fn the_gsm_basic_set_has_its_127_characters() {
        assert_eq!(GSM_BASIC.chars().count(), 127);
        assert_eq!(GSM_EXTENSION.chars().count(), 10);
    }

    #[test]
    fn gsm_7_segments() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // The whole basic set, accents and Greek included, stays GSM-7.
        assert_eq!(segments(&GSM_BASIC.repeat(2)[..]), 2);
        assert_eq!(segments(&format!("{}@£€", "a".repeat(155))), 1);
        // Extension characters take two places.
        assert_eq!(segments(&"{".repeat(80)), 1);
        assert_eq!(segments(&"{".repeat(81)), 2);
        // …and an escape pair is never cut: 152 + 2 + 152 places take three parts, not two.
        assert_eq!(
            segments(&format!("{}€{}", "a".repeat(152), "a".repeat(152))),
            3
        );
    }

    #[test]
    fn ucs_2_segments() {
        assert_eq!(segments(&"س".repeat(70)), 1);
        assert_eq!(segments(&"س".repeat(71)), 2);
        assert_eq!(segments(&"س".repeat(134)), 2);
        assert_eq!(segments(&"س".repeat(135)), 3);
        // One character outside GSM-7 makes the whole text UCS-2: a backtick, a Persian digit.
        assert_eq!(segments(&format!("{}`", "a".repeat(70))), 2);
        assert_eq!(segments(&format!("{}۱", "a".repeat(69))), 1);
        assert_eq!(segments(&format!("{}۱", "a".repeat(70))), 2);
        // An emoji is two UTF-16 units…
        assert_eq!(segments(&format!("{}😀", "س".repeat(68))), 1);
        assert_eq!(segments(&format!("{}😀", "س".repeat(69))), 2);
        // …that are never cut: 66 + 2 + 66 units take three parts, not two.
        assert_eq!(
            segments(&format!("{}😀{}", "س".repeat(66), "س".repeat(66))),
            3
        );
        // ZWNJ is one unit like any other character.
        assert_eq!(segments(&"\u{200C}".repeat(70)), 1);
    }
}
