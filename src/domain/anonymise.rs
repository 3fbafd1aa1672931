//! Anonymising a request before it is referred to a unit: the unit must learn what the matter
//! is, never who raised it. This module owns finding what identifies the citizen in a text — their
//! name, phone numbers, national ids, email addresses, tracking codes — proposing the text with
//! each one replaced by a marker, and checking the text the reviewer finally sends.
//!
//! Every rule errs towards redacting too much: a marker too many costs the unit a word, a number
//! too few tells it who complained. Hence any ten-digit number counts as a national id whether or
//! not its check digit holds (the citizen may have mistyped it), and any mobile number counts, not
//! only the citizen's own (people give a relative's number too). Likewise any twelve-digit number
//! whose check digit holds counts as a tracking code, anyone's: a code opens its request's public
//! page to whoever holds it. The citizen's own codes, of every request filed with their mobile,
//! are found with any separators (up to three characters) between their digits, as their mobile
//! and national id are, and also with a typing mistake in them (one wrong digit, or two
//! neighbours swapped), since the check digit points such a code back to the right one in a few
//! tries. A twelve-digit number whose check digit fails and that is none of these is kept, so
//! that most account and bill numbers survive; a stranger's mistyped code is thus not caught.

use std::collections::HashSet;

use super::phone::MobileNumber;
use super::tracking_code::{self, TrackingCode};

/// What identifies the citizen of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CitizenIdentity<'a> {
    pub name: &'a str,
    /// The E.164 form, `+989…`.
    pub mobile: &'a str,
    pub national_id: Option<&'a str>,
    pub email: Option<&'a str>,
    /// The tracking codes of every request filed with this mobile (this one's included), as
    /// stored: twelve ASCII digits each.
    pub tracking_codes: &'a [String],
}

/// A kind of identifier found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Name,
    Mobile,
    Landline,
    NationalId,
    Email,
    TrackingCode,
}

impl IdentifierKind {
    /// Every kind, in the order `kinds` reports them.
    pub const ALL: [IdentifierKind; 6] = [
        IdentifierKind::Name,
        IdentifierKind::Mobile,
        IdentifierKind::Landline,
        IdentifierKind::NationalId,
        IdentifierKind::Email,
        IdentifierKind::TrackingCode,
    ];

    /// The stable machine-readable name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Name => "name",
            IdentifierKind::Mobile => "mobile",
            IdentifierKind::Landline => "landline",
            IdentifierKind::NationalId => "national_id",
            IdentifierKind::Email => "email",
            IdentifierKind::TrackingCode => "tracking_code",
        }
    }

    /// What `propose` writes in place of an identifier of this kind. Both kinds of phone number
    /// share one marker: the unit has no use for the difference.
    pub fn marker(self) -> &'static str {
        match self {
            IdentifierKind::Name => "[نام]",
            IdentifierKind::Mobile | IdentifierKind::Landline => "[شماره تماس]",
            IdentifierKind::NationalId => "[کد ملی]",
            IdentifierKind::Email => "[ایمیل]",
            IdentifierKind::TrackingCode => "[کد رهگیری]",
        }
    }
}

/// One identifier in a text: its kind and its byte range in that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub kind: IdentifierKind,
    pub start: usize,
    pub end: usize,
}

/// One identifier as a client is told of it: its kind and where it stands in the text that was
/// checked, counted in Unicode code points (scalar values, not bytes and not UTF-16 units),
/// `start` inclusive and `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"kind": "tracking_code", "start": 34, "end": 48}))]
pub struct FindingSpan {
    pub kind: IdentifierKind,
    /// Code points before the identifier.
    pub start: usize,
    /// Code points before the first one after it.
    pub end: usize,
}

/// Every identifier found in `text`, in order, non-overlapping. Overlapping matches (digits inside
/// an email address, a Latin name inside one) become one finding of the longer one's kind, and
/// the parts of a name written one after the other become one finding, so that «علی کریمی» is
/// proposed as one «[نام]» and does not reveal how many parts the name has.
pub fn find_identifiers(text: &str, who: &CitizenIdentity) -> Vec<Finding> {
    let mut raw = raw_findings(text, who);
    raw.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut merged: Vec<Finding> = Vec::with_capacity(raw.len());
    for finding in raw {
        match merged.last_mut() {
            Some(last) if finding.start < last.end => {
                if finding.end - finding.start > last.end - last.start {
                    last.kind = finding.kind;
                }
                last.end = last.end.max(finding.end);
            }
            Some(last)
                if last.kind == IdentifierKind::Name
                    && finding.kind == IdentifierKind::Name
                    && text[last.end..finding.start]
                        .chars()
                        .all(|c| c == ZWNJ || (c.is_whitespace() && c != '\n')) =>
            {
                last.end = finding.end;
            }
            _ => merged.push(finding),
        }
    }
    merged
}

/// The text with every finding replaced by its kind's marker: «[نام]», «[شماره تماس]»,
/// «[کد ملی]», «[ایمیل]» or «[کد رهگیری]». Everything else is kept as written.
pub fn propose(text: &str, who: &CitizenIdentity) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for finding in find_identifiers(text, who) {
        out.push_str(&text[copied..finding.start]);
        out.push_str(finding.kind.marker());
        copied = finding.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Checks the text the reviewer finally sends: `Err` with what it still holds, as
/// `find_identifiers` finds it (in order, non-overlapping, never empty). The markers themselves
/// are not identifiers, so the proposal of `propose` is always accepted.
pub fn check_final(text: &str, who: &CitizenIdentity) -> Result<(), Vec<Finding>> {
    let found = find_identifiers(text, who);
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// The kinds among `findings`, each once, in the order of `IdentifierKind::ALL`.
pub fn kinds(findings: &[Finding]) -> Vec<IdentifierKind> {
    IdentifierKind::ALL
        .into_iter()
        .filter(|kind| findings.iter().any(|f| f.kind == *kind))
        .collect()
}

/// `findings` of `text` with their byte ranges turned into code point offsets.
pub fn in_code_points(text: &str, findings: &[Finding]) -> Vec<FindingSpan> {
    let starts: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
    // The index of the character at a byte offset; the character count at the end of the text.
    let index = |byte: usize| starts.partition_point(|&at| at < byte);
    findings
        .iter()
        .map(|f| FindingSpan {
            kind: f.kind,
            start: index(f.start),
            end: index(f.end),
        })
        .collect()
}

/// Everything every rule finds, possibly overlapping, except what lies inside a marker (a name
/// part such as «ملی» would otherwise be found in «[کد ملی]», and a proposal never accepted).
fn raw_findings(text: &str, who: &CitizenIdentity) -> Vec<Finding> {
    let own_codes = OwnCodes::of(who);
    let markers: Vec<(usize, usize)> = IdentifierKind::ALL
        .into_iter()
        .flat_map(|kind| {
            text.match_indices(kind.marker())
                .map(|(at, m)| (at, at + m.len()))
        })
        .collect();
    let mut found = numbers(text, who, &own_codes);
    found.extend(own_numbers(text, who, &own_codes));
    found.extend(emails(text, who));
    found.extend(names(text, who));
    found.retain(|f| !markers.iter().any(|&(s, e)| f.start < e && s < f.end));
    found
}

const ZWNJ: char = '\u{200C}';

/// Value of a digit in any script people type: ASCII, Persian (۰–۹) or Arabic-Indic (٠–٩).
fn digit_value(c: char) -> Option<u8> {
    let zero = match c {
        '0'..='9' => '0',
        '۰'..='۹' => '۰',
        '٠'..='٩' => '٠',
        _ => return None,
    };
    // The three ranges are ten code points each, so the difference is below 10.
    Some((c as u32 - zero as u32) as u8)
}

/// Invisible characters that numbers pasted from Persian text carry (bidi marks and isolates,
/// zero-width joiner and space, byte-order mark, soft hyphen): ignored wherever they are.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'
            | '\u{200D}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Dashes (word processors turn `-` into Unicode ones) and the dot, which people put between
/// digit groups of a phone number.
fn is_dash_or_dot(c: char) -> bool {
    matches!(c, '-' | '.' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// A run of digits with nothing between them, of any script.
#[derive(Debug)]
struct Group {
    /// ASCII digits.
    digits: String,
    start: usize,
    end: usize,
    /// Whether the gap before this group, in its run, is exactly one dot.
    after_dot: bool,
    /// Parentheses in the gap before this group: opened, closed.
    parens_before: (u8, u8),
}

/// What may stand between two digit groups of one number: at most four visible characters, of
/// which at most two spaces, one dash or dot and one of each parenthesis — enough for
/// «0912 345 6789», «021 - 8877», «+98 (912) 345.67.89», «(0912) - 345». A line break, a slash or a comma ends
/// the number, so that a date (۱۴۰۳/۰۵/۱۲) or an amount (2,500,000, ۲٬۵۰۰٬۰۰۰) never reads as a
/// long number, and is never glued to its neighbour.
#[derive(Debug, Default)]
struct Gap {
    visible: u8,
    spaces: u8,
    dashes_or_dots: u8,
    opened: u8,
    closed: u8,
    only_a_dot: bool,
}

impl Gap {
    /// Adds one character; `false` if it may not stand inside a number.
    fn push(&mut self, c: char) -> bool {
        if is_invisible(c) {
            return true;
        }
        match c {
            '\n' | '\r' => return false,
            c if c.is_whitespace() => self.spaces += 1,
            c if is_dash_or_dot(c) => self.dashes_or_dots += 1,
            '(' => self.opened += 1,
            ')' => self.closed += 1,
            _ => return false,
        }
        self.visible += 1;
        self.only_a_dot = self.visible == 1 && c == '.';
        self.visible <= 4
            && self.spaces <= 2
            && self.dashes_or_dots <= 1
            && self.opened <= 1
            && self.closed <= 1
    }
}

/// The runs of digit groups in `text`, each run being groups joined by allowed gaps.
fn digit_runs(chars: &[(usize, char)], text_len: usize) -> Vec<Vec<Group>> {
    let end_of = |i: usize| chars.get(i).map_or(text_len, |&(at, _)| at);
    let mut runs = Vec::new();
    let mut run: Vec<Group> = Vec::new();
    let mut gap_before = Gap::default();
    let mut i = 0;
    while i < chars.len() {
        if digit_value(chars[i].1).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        while let Some(d) = chars.get(i).and_then(|&(_, c)| digit_value(c)) {
            digits.push(char::from(b'0' + d));
            i += 1;
        }
        run.push(Group {
            digits,
            start: end_of(start),
            end: end_of(i),
            after_dot: !run.is_empty() && gap_before.only_a_dot,
            parens_before: (gap_before.opened, gap_before.closed),
        });
        // Does an allowed gap lead to another group of this run?
        let mut gap = Gap::default();
        let mut j = i;
        let continues = loop {
            match chars.get(j) {
                Some(&(_, c)) if digit_value(c).is_some() => break j > i,
                Some(&(_, c)) if gap.push(c) => j += 1,
                _ => break false,
            }
        };
        if continues {
            gap_before = gap;
            i = j;
        } else {
            gap_before = Gap::default();
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// The citizen's tracking codes, as ASCII digits, to look for in a text.
struct OwnCodes(HashSet<Vec<u8>>);

impl OwnCodes {
    fn of(who: &CitizenIdentity) -> OwnCodes {
        OwnCodes(
            who.tracking_codes
                .iter()
                .map(|code| super::text::ascii_digits(code).into_bytes())
                .filter(|code| code.len() == tracking_code::LENGTH)
                .filter(|code| code.iter().all(u8::is_ascii_digit))
                .collect(),
        )
    }

    /// Whether these ASCII digits are one of the citizen's codes, or one with a typing mistake:
    /// one wrong digit, or two neighbours swapped. The at most 119 such variants of `digits`
    /// (108 changed digits, 11 swaps) are looked up in the set, so the cost does not grow with
    /// the number of codes.
    fn matches(&self, digits: &[u8]) -> bool {
        if self.0.is_empty() || digits.len() != tracking_code::LENGTH {
            return false;
        }
        if self.0.contains(digits) {
            return true;
        }
        let mut typo = digits.to_vec();
        for i in 0..typo.len() {
            let typed = typo[i];
            for other in (b'0'..=b'9').filter(|&d| d != typed) {
                typo[i] = other;
                if self.0.contains(&typo) {
                    return true;
                }
            }
            typo[i] = typed;
        }
        (1..typo.len()).any(|i| {
            typo.swap(i - 1, i);
            let hit = self.0.contains(&typo);
            typo.swap(i - 1, i);
            hit
        })
    }
}

/// The kind of identifier that a number of these ASCII digits is, if any. Only 10 to 14 digits
/// can be one; shorter and longer numbers are room numbers, years, amounts, codes.
fn classify(digits: &str, who: &CitizenIdentity, own_codes: &OwnCodes) -> Option<IdentifierKind> {
    if !(10..=14).contains(&digits.len()) {
        return None;
    }
    // The citizen's own id may start with 9 like a mobile; it is named for what it is.
    if who
        .national_id
        .is_some_and(|id| super::text::ascii_digits(id) == digits)
    {
        return Some(IdentifierKind::NationalId);
    }
    // So is their own tracking code, which may start with 9 or 98 like a phone number.
    if own_codes.matches(digits.as_bytes()) {
        return Some(IdentifierKind::TrackingCode);
    }
    if MobileNumber::parse(digits).is_ok() {
        return Some(IdentifierKind::Mobile);
    }
    // A landline: 0, an area code starting 1 to 8, 11 digits in all; or the same written for
    // international dialling, 98 or 0098 instead of the 0.
    let national = match digits.len() {
        11 => digits.strip_prefix('0'),
        12 => digits.strip_prefix("98"),
        14 => digits.strip_prefix("0098"),
        _ => None,
    };
    if national.is_some_and(|n| n.len() == 10 && matches!(n.as_bytes()[0], b'1'..=b'8')) {
        return Some(IdentifierKind::Landline);
    }
    // Anyone's tracking code, unless it is a phone number as a whole (a code that is one is
    // still replaced, by the phone's marker).
    if TrackingCode::is_canonical(digits) {
        return Some(IdentifierKind::TrackingCode);
    }
    (digits.len() == 10).then_some(IdentifierKind::NationalId)
}

/// Whether groups joined by single dots are shaped as thousands (1.500.000.000): an amount, not a
/// number with dots between its groups (0912.345.6789).
fn is_dotted_amount(groups: &[Group]) -> bool {
    let [first, rest @ ..] = groups else {
        return false;
    };
    rest.len() >= 2
        && (1..=3).contains(&first.digits.len())
        && rest.iter().all(|g| g.after_dot && g.digits.len() == 3)
}

/// Tracking codes, phone numbers and national ids, of anyone: in each run, consecutive groups
/// whose digits form one. A run may hold a number glued by a space to its neighbour («اتاق ۲۱۴
/// ۰۹۱۲…»), so every stretch of groups is tried, and the longest stretch from the earliest group.
/// Tracking codes are tried first, so that a code read out in groups stays one finding: in pairs
/// («۴۵ ۰۳ ۳۷ ۵۱ ۹۷ ۰۷») it holds ten-digit stretches, some of them shaped like a mobile. Then
/// mobiles, then landlines, then national ids (a stretch that is not a mobile may well hold ten
/// digits). The price is that a phone number glued to a digit or two may be taken, with them,
/// for a code: still replaced, by another marker.
fn numbers(text: &str, who: &CitizenIdentity, own_codes: &OwnCodes) -> Vec<Finding> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    for run in digit_runs(&chars, text.len()) {
        let mut used = vec![false; run.len()];
        for kind in [
            IdentifierKind::TrackingCode,
            IdentifierKind::Mobile,
            IdentifierKind::Landline,
            IdentifierKind::NationalId,
        ] {
            // Stretches taken for codes, marked used once every code of the run is found.
            let mut codes: Vec<(usize, usize)> = Vec::new();
            let mut first = 0;
            while first < run.len() {
                let mut taken = None;
                let mut digits = String::new();
                for last in first..run.len() {
                    if used[last] || digits.len() > 14 {
                        break;
                    }
                    digits.push_str(&run[last].digits);
                    let stretch = &run[first..=last];
                    if classify(&digits, who, own_codes) == Some(kind) && !is_dotted_amount(stretch)
                    {
                        taken = Some(last);
                    }
                }
                match taken {
                    // Codes may overlap: in «اتاق ۲۱۴ ۴۵۰ ۳۳۷ ۵۱۹ ۷۰۷» both «۲۱۴ … ۵۱۹» and
                    // «۴۵۰ … ۷۰۷» may pass the check digit, and which one is the code cannot be
                    // told, so both are taken (and merged into one finding).
                    Some(last) if kind == IdentifierKind::TrackingCode => {
                        let (start, end) = widen(text, &run[first..=last]);
                        found.push(Finding { kind, start, end });
                        codes.push((first, last));
                        first += 1;
                    }
                    Some(last) => {
                        used[first..=last].iter_mut().for_each(|u| *u = true);
                        let (start, end) = widen(text, &run[first..=last]);
                        found.push(Finding { kind, start, end });
                        first = last + 1;
                    }
                    None => first += 1,
                }
            }
            for (first, last) in codes {
                used[first..=last].iter_mut().for_each(|u| *u = true);
            }
        }
    }
    found
}

/// The byte range of a number made of `groups`, widened to a `+` written just before it and to a
/// parenthesis that belongs to it (the `(` of «(0912) 345 6789» once «0912» is taken, the `)` of
/// «+98 (912) 3456789»), but not to parentheses that merely enclose it in the prose.
fn widen(text: &str, groups: &[Group]) -> (usize, usize) {
    let (mut start, mut end) = match (groups.first(), groups.last()) {
        (Some(first), Some(last)) => (first.start, last.end),
        _ => return (0, 0),
    };
    let (opened, closed) = groups.iter().skip(1).fold((0, 0), |(o, c), g| {
        (o + g.parens_before.0, c + g.parens_before.1)
    });
    let before = |at: usize| text[..at].chars().next_back();
    if before(start) == Some('+') {
        start -= 1;
    }
    if closed > opened && before(start) == Some('(') {
        start -= 1;
        if before(start) == Some('+') {
            start -= 1;
        }
    }
    if opened > closed && text[end..].starts_with(')') {
        end += 1;
    }
    // Bidi marks pasted around a number belong to it, and would only confuse a marker.
    while let Some(c) = before(start).filter(|&c| is_invisible(c)) {
        start -= c.len_utf8();
    }
    while let Some(c) = text[end..].chars().next().filter(|&c| is_invisible(c)) {
        end += c.len_utf8();
    }
    (start, end)
}

/// The citizen's own mobile, national id and tracking codes wherever their digits follow one
/// another with at most three non-letters between each two — also with the slashes, commas or
/// wide gaps that end a number for `numbers`, and inside a longer number.
fn own_numbers(text: &str, who: &CitizenIdentity, own_codes: &OwnCodes) -> Vec<Finding> {
    let digits = Digits::of(text);
    let mut found = digits.own_tracking_codes(own_codes);
    if let Some(id) = who.national_id {
        let id = super::text::ascii_digits(id);
        found.extend(
            digits
                .occurrences(id.as_bytes())
                .map(|(first, last)| digits.finding(IdentifierKind::NationalId, first, last)),
        );
    }
    if let Ok(mobile) = MobileNumber::parse(who.mobile) {
        found.extend(digits.mobiles(text, &mobile));
    }
    found
}

/// The digits of a text, in any script, with where each stands and whether it is loosely linked
/// to the next (at most three non-letters between, no letter or line break).
struct Digits {
    /// Each digit as ASCII, with its byte range in the text.
    at: Vec<(u8, usize, usize)>,
    ascii: Vec<u8>,
    /// `linked[i]`: digit `i` is linked to digit `i + 1`.
    linked: Vec<bool>,
}

impl Digits {
    fn of(text: &str) -> Self {
        let mut at: Vec<(u8, usize, usize)> = Vec::new();
        let mut linked = Vec::new();
        let (mut between, mut broken) = (0, false);
        for (i, c) in text.char_indices() {
            if let Some(d) = digit_value(c) {
                if !at.is_empty() {
                    linked.push(!broken && between <= 3);
                }
                at.push((b'0' + d, i, i + c.len_utf8()));
                (between, broken) = (0, false);
            } else if !is_invisible(c) {
                between += 1;
                broken |= c.is_alphabetic() || c == '\n';
            }
        }
        let ascii = at.iter().map(|&(d, _, _)| d).collect();
        Self { at, ascii, linked }
    }

    fn linked_over(&self, from: usize, to: usize) -> bool {
        self.linked[from..to].iter().all(|&l| l)
    }

    /// Where `needle` occurs among the digits, each digit linked to the next: first and last
    /// index.
    fn occurrences<'a>(&'a self, needle: &'a [u8]) -> impl Iterator<Item = (usize, usize)> + 'a {
        let fits = !needle.is_empty() && needle.len() <= self.ascii.len();
        let starts = if fits {
            self.ascii.len() - needle.len() + 1
        } else {
            0
        };
        (0..starts)
            .filter(move |&i| {
                self.ascii[i..i + needle.len()] == *needle
                    && self.linked_over(i, i + needle.len() - 1)
            })
            .map(move |i| (i, i + needle.len() - 1))
    }

    fn finding(&self, kind: IdentifierKind, first: usize, last: usize) -> Finding {
        Finding {
            kind,
            start: self.at[first].1,
            end: self.at[last].2,
        }
    }

    /// Every run of linked digits that is one of the citizen's tracking codes.
    fn own_tracking_codes(&self, own_codes: &OwnCodes) -> Vec<Finding> {
        let length = tracking_code::LENGTH;
        if self.ascii.len() < length {
            return Vec::new();
        }
        (0..=self.ascii.len() - length)
            .map(|first| (first, first + length - 1))
            .filter(|&(first, last)| {
                self.linked_over(first, last) && own_codes.matches(&self.ascii[first..=last])
            })
            .map(|(first, last)| self.finding(IdentifierKind::TrackingCode, first, last))
            .collect()
    }

    /// The citizen's mobile: its ten digits after `+98`, with whichever prefix was written
    /// before them (`0`, `98`, `0098`, `+98`).
    fn mobiles(&self, text: &str, mobile: &MobileNumber) -> Vec<Finding> {
        let national = &mobile.as_str().as_bytes()[3..];
        let preceded_by = |first: usize, prefix: &[u8]| {
            first >= prefix.len()
                && self.ascii[first - prefix.len()..first] == *prefix
                && self.linked_over(first - prefix.len(), first)
        };
        self.occurrences(national)
            .map(|(mut first, last)| {
                if preceded_by(first, b"98") {
                    first -= 2;
                    if preceded_by(first, b"00") {
                        first -= 2;
                    }
                } else if preceded_by(first, b"0") {
                    first -= 1;
                }
                let mut found = self.finding(IdentifierKind::Mobile, first, last);
                if text[..found.start].ends_with('+') {
                    found.start -= 1;
                }
                found
            })
            .collect()
    }
}

/// Whether a byte may be part of the local part of an email address.
fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Whether a byte may be part of the domain of an email address.
fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Email addresses of anyone, `local@domain.tld`, and the citizen's own however it is written.
fn emails(text: &str, who: &CitizenIdentity) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    // Non-ASCII bytes are neither local nor domain bytes, so both walks stop on character
    // boundaries.
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && is_local_byte(bytes[start - 1]) {
            start -= 1;
        }
        // Dots before an address end the sentence before it.
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_byte(bytes[end]) {
            end += 1;
        }
        // A dot or dash after an address ends the sentence or starts a dash.
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let labels_ok = domain.split('.').all(|label| !label.is_empty());
        let tld_ok = domain
            .rsplit_once('.')
            .is_some_and(|(_, tld)| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
        if start < at && labels_ok && tld_ok {
            found.push(Finding {
                kind: IdentifierKind::Email,
                start,
                end,
            });
        }
    }
    // The citizen's own address may hold characters the pattern above leaves out. ASCII case
    // folding keeps byte offsets, so they still refer to `text`.
    if let Some(own) = who.email.map(str::trim).filter(|e| !e.is_empty()) {
        let haystack = text.to_ascii_lowercase();
        let needle = own.to_ascii_lowercase();
        for (at, m) in haystack.match_indices(&needle) {
            found.push(Finding {
                kind: IdentifierKind::Email,
                start: at,
                end: at + m.len(),
            });
        }
    }
    found
}

/// One character of a text folded for comparing names, with the byte range it came from.
#[derive(Debug, Clone, Copy)]
struct Folded {
    c: char,
    start: usize,
    end: usize,
}

/// The form of a character in which spellings of one name agree, or `None` for marks that may or
/// may not be typed. Like `citizen::search_key`, but one character at a time so that every folded
/// character still knows where it stands in the original text; and looser, since here a false
/// match only costs a word: hamza and madda forms of alef, waw and yeh, and teh marbuta, fold too
/// («قائمی» and «قایمی» are one name).
fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{064A}' | '\u{0649}' | '\u{0626}' => Some('ی'),
        '\u{0643}' => Some('ک'),
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => Some('ا'),
        '\u{0624}' => Some('و'),
        '\u{0629}' | '\u{06C0}' => Some('ه'),
        // Harakat and other combining marks, superscript alef, tatweel.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => None,
        c if is_invisible(c) => None,
        c => digit_value(c).map_or(Some(c), |d| Some(char::from(b'0' + d))),
    }
}

/// `text` folded for comparing names. A character folded away lengthens the range of the one
/// before, so that a name's trailing mark (the kasra of «علیِ») goes with the name.
fn fold(text: &str) -> Vec<Folded> {
    let mut out: Vec<Folded> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        match fold_char(c) {
            Some(f) => out.extend(f.to_lowercase().map(|c| Folded { c, start: at, end })),
            None => {
                if let Some(last) = out.last_mut() {
                    last.end = end;
                }
            }
        }
    }
    out
}

/// Titles and words of address that often stand in a name as given but identify no one.
const NOT_NAMES: &[&str] = &[
    "آقای",
    "آقا",
    "خانم",
    "سید",
    "سیده",
    "دکتر",
    "مهندس",
    "حاج",
    "حاجی",
    "حاجیه",
    "جناب",
    "سرکار",
    "استاد",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "eng",
];

/// The parts of a name to look for, folded: each word of at least two characters that is not a
/// title, and each two adjacent parts written as one (people write «محمدرضا» for «محمد رضا»).
fn name_parts(name: &str) -> Vec<Vec<char>> {
    let folded = |s: &str| -> Vec<char> { fold(s).into_iter().map(|f| f.c).collect() };
    let not_names: Vec<Vec<char>> = NOT_NAMES.iter().map(|w| folded(w)).collect();
    let words: Vec<Vec<char>> = name
        .split(|c: char| c.is_whitespace() || c == ZWNJ || c == '-')
        .map(folded)
        .filter(|w| !w.is_empty())
        .collect();
    let mut parts: Vec<Vec<char>> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if word.len() >= 2 && !not_names.contains(word) {
            parts.push(word.clone());
        }
        if let Some(next) = words.get(i + 1) {
            parts.push([word.as_slice(), next.as_slice()].concat());
        }
    }
    parts.sort();
    parts.dedup();
    parts
}

/// The citizen's name parts, each as a whole word: not preceded or followed by a letter. A ZWNJ is
/// not a letter, so the part is found in «رضایی‌ها» too.
fn names(text: &str, who: &CitizenIdentity) -> Vec<Finding> {
    let folded = fold(text);
    let is_letter = |i: Option<&Folded>| i.is_some_and(|f| f.c.is_alphabetic());
    let mut found = Vec::new();
    for part in name_parts(who.name) {
        if part.len() > folded.len() {
            continue;
        }
        for i in 0..=folded.len() - part.len() {
            let end = i + part.len();
            let whole_word = !is_letter(i.checked_sub(1).and_then(|p| folded.get(p)))
                && !is_letter(folded.get(end));
            if whole_word && folded[i..end].iter().map(|f| f.c).eq(part.iter().copied()) {
                found.push(Finding {
                    kind: IdentifierKind::Name,
                    start: folded[i].start,
                    end: folded[end - 1].end,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const WHO: CitizenIdentity<'static> = CitizenIdentity {
        name: "آقای علی کریمی",
        mobile: "+989121234567",
        national_id: Some("0012345679"),
        email: Some("reza.karimi@example.ir"),
        tracking_codes: &[],
    };

    fn kinds_in(text: &str, who: &CitizenIdentity) -> Vec<IdentifierKind> {
        find_identifiers(text, who).iter().map(|f| f.kind).collect()
    }

    /// The text's digits, of any script, as ASCII.
    fn digits_of(text: &str) -> String {
        text.chars()
            .filter_map(digit_value)
            .map(|d| char::from(b'0' + d))
            .collect()
    }

    /// Asserts that `propose` turns `text` into `expected`, and that the result holds nothing
    /// left to find and passes `check_final` while the original does not.
    fn assert_proposal(text: &str, who: &CitizenIdentity, expected: &str) {
        let proposal = propose(text, who);
        assert_eq!(proposal, expected, "{text:?}");
        assert_eq!(find_identifiers(&proposal, who), vec![], "{proposal:?}");
        assert_eq!(check_final(&proposal, who), Ok(()), "{proposal:?}");
        assert!(check_final(text, who).is_err(), "{text:?}");
        assert_eq!(propose(&proposal, who), proposal, "a proposal is stable");
    }

    #[test]
    fn mobiles_in_every_script_and_format_are_replaced() {
        let forms = [
            "09121234567",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "0912 123 4567",
            "۰۹۱۲-۱۲۳-۴۵۶۷",
            "0912–123–4567",
            "0912 - 123 - 4567",
            "0912.123.4567",
            "+98 912 123 4567",
            "+۹۸ (۹۱۲) ۱۲۳.۴۵.۶۷",
            "0098-912-123-4567",
            "٠٠٩٨ ٩١٢ ١٢٣ ٤٥٦٧",
            "989121234567",
            "9121234567",
            "0912\u{00A0}123\u{00A0}4567",
            "\u{200F}+98 912 123 4567\u{200E}",
            // Someone else's number is just as telling.
            "09351112233",
        ];
        for form in forms {
            let text = format!("لطفاً با شماره {form} تماس بگیرید.");
            assert_eq!(
                kinds_in(&text, &WHO),
                vec![IdentifierKind::Mobile],
                "{text:?}"
            );
            assert_proposal(&text, &WHO, "لطفاً با شماره [شماره تماس] تماس بگیرید.");
        }
    }

    #[test]
    fn parentheses_go_with_the_number_only_when_they_belong_to_it() {
        assert_eq!(
            propose("تلفن: (0912) 123-4567 است", &WHO),
            "تلفن: [شماره تماس] است"
        );
        assert_eq!(
            propose("همراه (۰۹۱۲۱۲۳۴۵۶۷) دارد", &WHO),
            "همراه ([شماره تماس]) دارد"
        );
        assert_eq!(propose("(+98 912 123 4567)", &WHO), "([شماره تماس])");
    }

    #[test]
    fn landlines_are_replaced() {
        for form in [
            "021-88776655",
            "02188776655",
            "۰۲۱ ۸۸۷۷ ۶۶۵۵",
            "(021) 8877-6655",
            "+98 21 8877 6655",
        ] {
            let text = format!("تلفن منزل {form} است");
            assert_eq!(
                kinds_in(&text, &WHO),
                vec![IdentifierKind::Landline],
                "{text}"
            );
            assert_proposal(&text, &WHO, "تلفن منزل [شماره تماس] است");
        }
    }

    #[test]
    fn national_ids_with_or_without_separators_are_replaced() {
        for form in [
            "۰۰۱۲۳۴۵۶۷۹",
            "۰۰۱-۲۳۴۵۶۷-۹",
            "٠٠١ ٢٣٤ ٥٦٧ ٩",
            "0012345679",
            // Someone else's, or a mistyped one: the check digit is wrong.
            "1234567890",
            "۴۹۸۷۶۵۴۳۲۱",
        ] {
            let text = format!("کد ملی {form} می‌باشد");
            assert_eq!(
                kinds_in(&text, &WHO),
                vec![IdentifierKind::NationalId],
                "{text}"
            );
            assert_proposal(&text, &WHO, "کد ملی [کد ملی] می‌باشد");
        }
    }

    #[test]
    fn the_citizens_own_numbers_are_found_even_with_unusual_separators() {
        assert_proposal(
            "کد ملی: ۰۰۱/۲۳۴۵/۶۷۹ و همراه 0912/123/4567",
            &WHO,
            "کد ملی: [کد ملی] و همراه [شماره تماس]",
        );
        // The citizen's id starting with 9 is named as a national id, not as a mobile.
        let who = CitizenIdentity {
            national_id: Some("9123456784"),
            ..WHO
        };
        assert_eq!(propose("کد ملی ۹۱۲۳۴۵۶۷۸۴", &who), "کد ملی [کد ملی]");
    }

    #[test]
    fn emails_in_any_case_are_replaced() {
        for form in [
            "Reza.Karimi@Example.IR",
            "reza.karimi@example.ir",
            "SOMEONE_else+desk@mail.co.ir",
        ] {
            let text = format!("ایمیل من {form}. ممنون");
            assert_eq!(kinds_in(&text, &WHO), vec![IdentifierKind::Email], "{text}");
            assert_proposal(&text, &WHO, "ایمیل من [ایمیل]. ممنون");
        }
        // Digits inside an address are part of the address.
        assert_proposal(
            "به ali09121234567@gmail.com بنویسید",
            &WHO,
            "به [ایمیل] بنویسید",
        );
        // Not addresses.
        for text in ["قیمت @ ۲۰۰", "a@b", "user@localhost", "@example.ir"] {
            assert_eq!(kinds_in(text, &WHO), vec![], "{text}");
        }
    }

    #[test]
    fn name_parts_are_replaced_whatever_the_yeh_and_kaf() {
        // Arabic yeh (ي) and kaf (ك), and the Persian forms.
        assert_proposal(
            "اينجانب علي كريمي درخواست دارم. کریمی هستم و علی صدایم می‌کنند.",
            &WHO,
            "اينجانب [نام] درخواست دارم. [نام] هستم و [نام] صدایم می‌کنند.",
        );
        // Written in the name with Arabic letters, in the text with Persian ones.
        let who = CitizenIdentity {
            name: "علي كريمي",
            ..WHO
        };
        assert_proposal("خانواده‌ی کریمی", &who, "خانواده‌ی [نام]");
    }

    #[test]
    fn a_name_part_before_a_zwnj_suffix_is_replaced() {
        let who = CitizenIdentity {
            name: "مریم رضایی",
            ..WHO
        };
        assert_proposal(
            "خانواده رضایی‌ها در محله هستند",
            &who,
            "خانواده [نام]‌ها در محله هستند",
        );
    }

    #[test]
    fn name_parts_are_whole_words_only() {
        let who = CitizenIdentity {
            name: "سید علی رضا",
            ..WHO
        };
        // «علیرضا» is one word written as two parts; «عالی», «رضایت» and «سید» are not the name.
        assert_eq!(
            propose("علیرضا از کار عالی رضایت دارد؛ سید است", &who),
            "[نام] از کار عالی رضایت دارد؛ سید است"
        );
        assert_eq!(
            propose("رضا، علی و «رضا» آمدند", &who),
            "[نام]، [نام] و «[نام]» آمدند"
        );
    }

    #[test]
    fn a_latin_name_is_found_in_any_case_and_marks_do_not_hide_names() {
        let who = CitizenIdentity {
            name: "Reza Karimi",
            ..WHO
        };
        assert_proposal(
            "Dear REZA karimi, regards from Rezaei.",
            &who,
            "Dear [نام], regards from Rezaei.",
        );
        // A Persian name is not searched in Latin letters.
        assert_eq!(propose("Ali Karimi", &WHO), "Ali Karimi");
        // Harakat, tatweel and a hamza form do not hide a name.
        let who = CitizenIdentity {
            name: "محمد قائمی",
            ..WHO
        };
        assert_proposal("آقای مُحَمَّد قــایمی", &who, "آقای [نام]");
    }

    #[test]
    fn dates_amounts_and_short_numbers_are_kept() {
        for text in [
            "در تاریخ ۱۴۰۳/۰۵/۱۲ مبلغ ۲٬۵۰۰٬۰۰۰ ریال پرداخت شد",
            "مبلغ 2,500,000 تومان و 1,250,000,000 ریال",
            "مبلغ ۱.۵۰۰.۰۰۰.۰۰۰ ریال",
            "به اتاق ۲۱۴ طبقه ۳ مراجعه کردم",
            "سال ۱۴۰۲ و ۱۴۰۳ و 2024",
            "از 1403-05-12 تا 1403-06-12",
            "۱۴۰۳/۰۵/۱۲ ۱۴۰۳/۰۶/۱۲",
            "ساعت ۱۰:۳۰ تا ۱۲:۰۰",
            "نامه شماره ۱۲۳۴۵/۶۷۸",
        ] {
            assert_eq!(find_identifiers(text, &WHO), vec![], "{text}");
            assert_eq!(propose(text, &WHO), text);
            assert_eq!(check_final(text, &WHO), Ok(()), "{text}");
        }
    }

    #[test]
    fn a_number_glued_to_its_neighbour_is_still_found_alone() {
        assert_eq!(
            propose("اتاق ۲۱۴ ۰۹۱۲ ۱۲۳ ۴۵۶۷ و ۰۰۱۲۳۴۵۶۷۹ ۲۱", &WHO),
            "اتاق ۲۱۴ [شماره تماس] و [کد ملی] ۲۱"
        );
    }

    #[test]
    fn everything_is_replaced_and_nothing_else_is_touched() {
        let text = "با سلام، اینجانب علي كريمي با کد ملی ۰۰۱-۲۳۴۵۶۷-۹ در تاریخ ۱۴۰۳/۰۵/۱۲ \
                    مبلغ ۲٬۵۰۰٬۰۰۰ ریال به اتاق ۲۱۴ پرداخت کردم.\n\
                    همراه: ٠٩١٢ ١٢٣ ٤٥٦٧، منزل: 021-88776655، ایمیل: Reza.Karimi@Example.IR\n\
                    خانواده کریمی‌ها منتظر پاسخ هستند.";
        let expected = "با سلام، اینجانب [نام] با کد ملی [کد ملی] در تاریخ ۱۴۰۳/۰۵/۱۲ \
                        مبلغ ۲٬۵۰۰٬۰۰۰ ریال به اتاق ۲۱۴ پرداخت کردم.\n\
                        همراه: [شماره تماس]، منزل: [شماره تماس]، ایمیل: [ایمیل]\n\
                        خانواده [نام]‌ها منتظر پاسخ هستند.";
        assert_proposal(text, &WHO, expected);
        let proposal = propose(text, &WHO);
        for gone in ["علي", "كريمي", "کریمی", "Reza", "Karimi", "@"] {
            assert!(!proposal.contains(gone), "{gone}");
        }
        assert_eq!(digits_of(&proposal), "140305122500000214");
        assert_eq!(
            check_final(text, &WHO).map_err(|found| kinds(&found)),
            Err(vec![
                IdentifierKind::Name,
                IdentifierKind::Mobile,
                IdentifierKind::Landline,
                IdentifierKind::NationalId,
                IdentifierKind::Email,
            ])
        );
    }

    #[test]
    fn findings_are_ordered_and_name_the_original_bytes() {
        let text = "علي: ۰۹۱۲۱۲۳۴۵۶۷ و reza.karimi@example.ir";
        let found = find_identifiers(text, &WHO);
        let spans: Vec<(IdentifierKind, &str)> = found
            .iter()
            .map(|f| (f.kind, &text[f.start..f.end]))
            .collect();
        assert_eq!(
            spans,
            vec![
                (IdentifierKind::Name, "علي"),
                (IdentifierKind::Mobile, "۰۹۱۲۱۲۳۴۵۶۷"),
                (IdentifierKind::Email, "reza.karimi@example.ir"),
            ]
        );
    }

    #[test]
    fn a_name_that_is_also_a_marker_word_does_not_refuse_the_proposal() {
        let who = CitizenIdentity {
            name: "نام ملی",
            ..WHO
        };
        assert_proposal(
            "آقای ملی با کد ملی 0012345679",
            &who,
            "آقای [نام] با کد [نام] [کد ملی]",
        );
    }

    /// A code whose check digit holds (the one of issue 13's example text).
    const CODE: &str = "450337519707";

    /// `WHO` with these tracking codes.
    fn with_codes(codes: &[String]) -> CitizenIdentity<'_> {
        CitizenIdentity {
            tracking_codes: codes,
            ..WHO
        }
    }

    #[test]
    fn tracking_codes_in_every_script_and_grouping_are_one_finding() {
        let own = [CODE.to_owned()];
        for form in [
            "۴۵۰۳۳۷۵۱۹۷۰۷",
            "٤٥٠٣٣٧٥١٩٧٠٧",
            "450337519707",
            "۴۵۰۳ ۳۷۵۱ ۹۷۰۷",
            "۴۵۰-۳۳۷-۵۱۹-۷۰۷",
            "۴۵۰۳ - ۳۷۵۱ - ۹۷۰۷",
            "4503–3751–9707",
            "٤٥ ٠٣ ٣٧ ٥١ ٩٧ ٠٧",
            "4 5 0 3 3 7 5 1 9 7 0 7",
            "450337\u{00A0}519707",
            // The last ten digits alone would be a national id.
            "۴۵ ۰۳۳۷۵۱۹۷۰۷",
            "\u{200F}۴۵۰۳۳۷۵۱۹۷۰۷\u{200E}",
        ] {
            let text = format!("پیرو درخواست قبلی‌ام با کد رهگیری {form} پیگیری کنید.");
            // The citizen's own code, and anyone's: the check digit holds.
            for who in [with_codes(&own), WHO] {
                let found = find_identifiers(&text, &who);
                assert_eq!(found.len(), 1, "{text:?}: {found:?}");
                assert_eq!(found[0].kind, IdentifierKind::TrackingCode, "{text:?}");
                assert_eq!(digits_of(&text[found[0].start..found[0].end]), CODE);
                assert_proposal(
                    &text,
                    &who,
                    "پیرو درخواست قبلی‌ام با کد رهگیری [کد رهگیری] پیگیری کنید.",
                );
            }
        }
    }

    #[test]
    fn a_code_is_not_split_where_part_of_it_looks_like_a_phone() {
        // Read out in pairs, «91 23 45 67 89» looks like a mobile.
        let own = ["912345678909".to_owned()];
        for who in [with_codes(&own), WHO] {
            let found = find_identifiers("کد ۹۱ ۲۳ ۴۵ ۶۷ ۸۹ ۰۹ است", &who);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].kind, IdentifierKind::TrackingCode);
            assert_eq!(
                propose("کد ۹۱ ۲۳ ۴۵ ۶۷ ۸۹ ۰۹ است", &who),
                "کد [کد رهگیری] است"
            );
        }
    }

    #[test]
    fn a_phone_number_with_a_good_check_digit_stays_a_phone_unless_it_is_the_citizens_code() {
        // Both pass the check digit, as one twelve-digit number in ten does.
        for (number, kind) in [
            ("989121234564", IdentifierKind::Mobile),
            ("982123456780", IdentifierKind::Landline),
        ] {
            assert!(TrackingCode::is_canonical(number));
            let text = format!("شماره {number} است");
            assert_eq!(kinds(&find_identifiers(&text, &WHO)), vec![kind], "{text}");
            let own = [number.to_owned()];
            assert_eq!(
                kinds(&find_identifiers(&text, &with_codes(&own))),
                vec![IdentifierKind::TrackingCode],
                "{text}"
            );
        }
    }

    #[test]
    fn the_citizens_codes_are_found_however_written_and_with_a_typing_mistake() {
        // Another request filed with the same mobile, and this one.
        let own = ["123456789018".to_owned(), CODE.to_owned()];
        let who = with_codes(&own);
        for form in [
            // Separators that end a number for anyone else's code.
            "۴۵۰/۳۳۷/۵۱۹/۷۰۷",
            "4503, 3751, 9707",
            "۴۵۰۳   ۳۷۵۱   ۹۷۰۷",
            // One wrong digit, two neighbours swapped: the check digit fails, but the code
            // is a few tries away.
            "450337519708",
            "۵۴۰۳۳۷۵۱۹۷۰۷",
            "4503 3751 9770",
            // The other request's code.
            "۱۲۳۴ ۵۶۷۸ ۹۰۱۸",
        ] {
            let text = format!("کد رهگیری {form} را پیگیری کنید");
            assert_eq!(
                kinds(&find_identifiers(&text, &who)),
                vec![IdentifierKind::TrackingCode],
                "{text}"
            );
            assert_proposal(&text, &who, "کد رهگیری [کد رهگیری] را پیگیری کنید");
        }
        // Someone else's code is taken only when written as a number and its check digit holds.
        for kept in ["۴۵۰/۳۳۷/۵۱۹/۷۰۷", "450337519708", "۵۴۰۳۳۷۵۱۹۷۰۷"] {
            assert_eq!(find_identifiers(kept, &WHO), vec![], "{kept}");
        }
    }

    #[test]
    fn a_code_glued_to_a_number_that_could_be_part_of_it_takes_that_number_too() {
        // «۲۱۴ ۴۵۰ ۳۳۷ ۵۱۹» passes the check digit as well as the code does.
        assert!(TrackingCode::is_canonical("214450337519"));
        let text = "اتاق ۲۱۴ ۴۵۰ ۳۳۷ ۵۱۹ ۷۰۷ را پیگیری کنید";
        assert_eq!(
            kinds(&find_identifiers(text, &WHO)),
            vec![IdentifierKind::TrackingCode]
        );
        assert_proposal(text, &WHO, "اتاق [کد رهگیری] را پیگیری کنید");
    }

    #[test]
    fn findings_are_told_in_code_points() {
        // Persian digits are two bytes each, «ع» too; the offsets count characters.
        let text = "علی: ۴۵۰۳۳۷۵۱۹۷۰۷ و ۰۹۱۲۱۲۳۴۵۶۷";
        let Err(found) = check_final(text, &WHO) else {
            panic!("{text} passed");
        };
        let spans = in_code_points(text, &found);
        assert_eq!(
            spans,
            vec![
                FindingSpan {
                    kind: IdentifierKind::Name,
                    start: 0,
                    end: 3
                },
                FindingSpan {
                    kind: IdentifierKind::TrackingCode,
                    start: 5,
                    end: 17
                },
                FindingSpan {
                    kind: IdentifierKind::Mobile,
                    start: 20,
                    end: 31
                },
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        let marked: String = chars[5..17].iter().collect();
        assert_eq!(marked, "۴۵۰۳۳۷۵۱۹۷۰۷");
        assert_eq!(spans[2].end, chars.len());
        assert_eq!(
            serde_json::to_value(spans[1]).unwrap(),
            serde_json::json!({"kind": "tracking_code", "start": 5, "end": 17})
        );
    }

    #[test]
    fn kinds_are_reported_once_each_in_a_stable_order() {
        assert_eq!(
            check_final("reza.karimi@example.ir ۰۹۱۲۱۲۳۴۵۶۷ 09351112233 کریمی", &WHO)
                .map_err(|found| kinds(&found)),
            Err(vec![
                IdentifierKind::Name,
                IdentifierKind::Mobile,
                IdentifierKind::Email
            ])
        );
        assert_eq!(check_final("", &WHO), Ok(()));
    }

    #[test]
    fn kinds_have_stable_names_and_markers() {
        let names: Vec<&str> = IdentifierKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "name",
                "mobile",
                "landline",
                "national_id",
                "email",
                "tracking_code"
            ]
        );
        for kind in IdentifierKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
        assert_eq!(IdentifierKind::Name.marker(), "[نام]");
        assert_eq!(IdentifierKind::Mobile.marker(), "[شماره تماس]");
        assert_eq!(IdentifierKind::Landline.marker(), "[شماره تماس]");
        assert_eq!(IdentifierKind::NationalId.marker(), "[کد ملی]");
        assert_eq!(IdentifierKind::Email.marker(), "[ایمیل]");
        assert_eq!(IdentifierKind::TrackingCode.marker(), "[کد رهگیری]");
    }

    /// Rewrites the ASCII digits of `s` in the script whose zero is `zero`.
    fn in_script(s: &str, zero: char) -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(zero as u32 + d).unwrap(),
                _ => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn any_mobile_in_any_script_and_style_is_removed(
            rest in "[0-9]{9}",
            prefix in prop::sample::select(vec!["0", "", "+98", "+98 ", "0098", "0098-", "98", "+98 ("]),
            separator in prop::sample::select(vec!["", " ", "-", "–", ".", " - ", "\u{00A0}"]),
            zero in prop::sample::select(vec!['0', '۰', '٠']),
            before in prop::sample::select(vec!["شماره من ", "همراه: ", "اتاق ۲۱۴ ", "", "«"]),
            after in prop::sample::select(vec![" است.", "، ممنون", "", "»", "\nبا تشکر"]),
        ) {
            let (a, b, c) = (&rest[..2], &rest[2..5], &rest[5..]);
            let close = if prefix.ends_with('(') { ")" } else { "" };
            let number = format!("{prefix}9{a}{close}{separator}{b}{separator}{c}");
            let text = format!("{before}{}{after}", in_script(&number, zero));
            let proposal = propose(&text, &WHO);
            prop_assert_eq!(
                &proposal,
                &format!("{before}[شماره تماس]{after}"),
                "{:?}", text
            );
            prop_assert_eq!(digits_of(&proposal), digits_of(&format!("{before}{after}")));
            prop_assert!(find_identifiers(&proposal, &WHO).is_empty());
            prop_assert_eq!(
                check_final(&text, &WHO).map_err(|found| kinds(&found)),
                Err(vec![IdentifierKind::Mobile])
            );
            prop_assert_eq!(check_final(&proposal, &WHO), Ok(()));
        }

        #[test]
        fn any_tracking_code_in_any_script_and_grouping_is_one_finding(
            seed in any::<u64>(),
            grouping in prop::sample::select(vec![
                vec![12], vec![4, 4, 4], vec![3, 3, 3, 3], vec![2; 6], vec![1; 12], vec![2, 10], vec![6, 6],
            ]),
            separator in prop::sample::select(vec!["", " ", "-", "–", " - ", "\u{00A0}"]),
            zero in prop::sample::select(vec!['0', '۰', '٠']),
            own in any::<bool>(),
            before in prop::sample::select(vec!["کد رهگیری من ", "پیرو درخواست قبلی با کد ", "اتاق ۲۱۴ ", "", "«"]),
            after in prop::sample::select(vec![" است.", "، ممنون", "", "»", "\nبا تشکر", " ۲۱"]),
        ) {
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed)).into_string();
            // Anyone else's code that is a phone number as a whole is replaced as a phone.
            prop_assume!(own || !code.starts_with("98"));
            let mut groups = Vec::new();
            let mut at = 0;
            for length in grouping {
                groups.push(&code[at..at + length]);
                at += length;
            }
            let written = in_script(&groups.join(separator), zero);
            let text = format!("{before}{written}{after}");
            let codes = [code.clone()];
            let who = if own { with_codes(&codes) } else { WHO };
            let found = find_identifiers(&text, &who);
            prop_assert_eq!(found.len(), 1, "{:?}: {:?}", text, found);
            let Finding { kind, start, end } = found[0];
            prop_assert_eq!(kind, IdentifierKind::TrackingCode);
            // The whole code, and at most digits glued to it that could be part of it.
            prop_assert!(start <= before.len() && end >= before.len() + written.len(), "{:?}", text);
            prop_assert!(before.starts_with(&text[..start]), "{:?}", text);
            prop_assert!(after.ends_with(&text[end..]), "{:?}", text);
            let proposal = propose(&text, &who);
            prop_assert!(proposal.contains("[کد رهگیری]"));
            prop_assert!(!digits_of(&proposal).contains(&code), "{:?}", proposal);
            prop_assert_eq!(
                check_final(&text, &who).map_err(|found| kinds(&found)),
                Err(vec![IdentifierKind::TrackingCode])
            );
            prop_assert_eq!(check_final(&proposal, &who), Ok(()));
        }
    }
}
