//! Tracking codes (کد رهگیری): the number a citizen is given for a request, reads out over the
//! phone and types into the portal to follow it. It owns how codes are made (random, with a check
//! digit) and read back (any digit script, grouping ignored, typing mistakes caught).

use super::error::HasCode;
use super::text::{ascii_digits, normalise_line};

/// A tracking code: twelve ASCII digits, eleven random and a Damm check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    /// Not twelve digits at all.
    #[error("a tracking code is 12 digits")]
    Format,
    /// Twelve digits, but not a code that was ever issued: almost certainly a mistyped digit or
    /// two swapped, which the citizen can fix by looking again.
    #[error("this tracking code has a typing mistake: check the digits and try again")]
    CheckDigit,
}

impl HasCode for TrackingCodeError {
    fn code(&self) -> &'static str {
        match self {
            TrackingCodeError::Format => "format",
            TrackingCodeError::CheckDigit => "check_digit",
        }
    }
}

/// Number of digits in a code, the check digit included.
pub const LENGTH: usize = 12;

/// The standard order-10 weakly totally anti-symmetric quasigroup of the Damm algorithm. With it
/// one check digit catches every single wrong digit and every swap of two adjacent digits — the
/// two mistakes people make copying a number — unlike Luhn, which misses the swap 09 ↔ 90.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm interim digit of a run of digit values (each 0–9). Appending it as a check digit
/// makes the interim of the whole run 0.
fn damm(digits: impl IntoIterator<Item = u8>) -> u8 {
    digits
        .into_iter()
        .fold(0, |interim, d| DAMM[usize::from(interim)][usize::from(d)])
}

/// The value of one ASCII digit.
fn value(ascii: u8) -> u8 {
    ascii - b'0'
}

/// What `TrackingCode::parse` reads as twelve digits, as an ECMA-262 pattern for the OpenAPI
/// document: any of the three digit scripts, spaces and dashes anywhere. (The check digit, and
/// the invisible marks the parser drops, are beyond a pattern.)
pub const PATTERN: &str = r"^[\s\-\u2010-\u2015]*([0-9۰-۹٠-٩][\s\-\u2010-\u2015]*){12}$";

impl TrackingCode {
    /// A fresh random code. Pass a cryptographically secure generator such as `rand::rng()`.
    ///
    /// Random, never sequential or derived from the time: knowing a code is enough to read a
    /// request's public status, so a guessable code would let anyone walk through other
    /// citizens' requests, and a sequence would also tell how many requests the desk receives.
    /// With 9×10¹⁰ possible codes a guess almost never hits one that was issued. Uniqueness is the
    /// caller's to ensure, against the codes already stored.
    ///
    /// The first digit is never 0, so that a code read out over the phone is not taken to be
    /// shorter than it is (or have its zero dropped by a spreadsheet).
    pub fn generate(rng: &mut impl rand::Rng) -> TrackingCode {
        let mut digits = Vec::with_capacity(LENGTH);
        digits.push(rng.random_range(1..=9u8));
        digits.extend((1..LENGTH - 1).map(|_| rng.random_range(0..=9u8)));
        digits.push(damm(digits.iter().copied()));
        Self(digits.iter().map(|&d| char::from(b'0' + d)).collect())
    }

    /// Reads a code as a person typed it: surrounding and inner spaces and dashes are ignored
    /// (codes are read out in groups), and Persian or Arabic-Indic digits count as digits.
    pub fn parse(raw: &str) -> Result<Self, TrackingCodeError> {
        let code: String = ascii_digits(&normalise_line(raw))
            .chars()
            .filter(|&c| !(c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}')))
            .collect();
        if code.len() != LENGTH || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TrackingCodeError::Format);
        }
        // A leading 0 is left to the check digit: such a code was never issued, but to the person
        // typing it, it is a mistyped digit like any other.
        if damm(code.bytes().map(value)) != 0 {
            return Err(TrackingCodeError::CheckDigit);
        }
        Ok(Self(code))
    }

    /// A code read back from the database, where only the canonical form is ever written;
    /// anything else is `None` rather than silently re-interpreted.
    pub fn from_stored(stored: String) -> Option<Self> {
        Self::is_canonical(&stored).then_some(Self(stored))
    }

    /// Whether `digits` is shaped as an issued code: twelve ASCII digits whose check digit
    /// holds (a leading 0 included, which `generate` never draws but `parse` lets through to
    /// the check digit). What the anonymiser takes for someone's tracking code.
    pub fn is_canonical(digits: &str) -> bool {
        digits.len() == LENGTH
            && digits.bytes().all(|b| b.is_ascii_digit())
            && damm(digits.bytes().map(value)) == 0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

    fn digits_of(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().map(value)
    }

    #[test]
    fn damm_matches_the_published_example() {
        // The worked example of the algorithm: 572 has check digit 4.
        assert_eq!(damm([5, 7, 2]), 4);
        assert_eq!(damm([5, 7, 2, 4]), 0);
    }

    #[test]
    fn the_table_is_a_latin_square_with_a_zero_diagonal() {
        for i in 0..10 {
            assert_eq!(DAMM[i][i], 0);
            let row: HashSet<u8> = DAMM[i].iter().copied().collect();
            let column: HashSet<u8> = DAMM.iter().map(|r| r[i]).collect();
            assert_eq!((row.len(), column.len()), (10, 10));
        }
    }

    #[test]
    fn generated_codes_are_unique_well_formed_and_parse() {
        let mut rng = StdRng::seed_from_u64(0x6d61_7264_6f6d);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let code = TrackingCode::generate(&mut rng);
            let text = code.as_str();
            assert_eq!(text.len(), 12);
            assert!(!text.starts_with('0'), "{text}");
            assert_eq!(TrackingCode::parse(text).as_ref(), Ok(&code));
            assert!(seen.insert(code.into_string()), "duplicate");
        }
    }

    #[test]
    fn the_thread_generator_works_too() {
        let code = TrackingCode::generate(&mut rand::rng());
        assert_eq!(TrackingCode::parse(code.as_str()), Ok(code));
    }

    #[test]
    fn scripts_spaces_and_dashes_are_accepted() {
        let code = TrackingCode::generate(&mut StdRng::seed_from_u64(7)).into_string();
        let persian: String = code
            .chars()
            .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
            .collect();
        let arabic: String = code
            .chars()
            .map(|c| char::from_u32('٠' as u32 + c.to_digit(10).unwrap()).unwrap())
            .collect();
        let grouped = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
        let spaced = format!("  {} {} {} ", &code[..4], &code[4..8], &code[8..]);
        for written in [persian, arabic, grouped, spaced] {
            let parsed = TrackingCode::parse(&written).map(TrackingCode::into_string);
            assert_eq!(parsed, Ok(code.clone()), "{written:?}");
        }
    }

    #[test]
    fn wrong_lengths_and_non_digits_are_format_errors() {
        for bad in [
            "",
            "   ",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "1234.5678.9012",
            "abcdefghijkl",
            "۱۲۳۴۵۶۷۸۹۰۱",
        ] {
            assert_eq!(
                TrackingCode::parse(bad),
                Err(TrackingCodeError::Format),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn errors_have_codes_and_messages() {
        assert_eq!(TrackingCodeError::Format.code(), "format");
        assert_eq!(TrackingCodeError::CheckDigit.code(), "check_digit");
        assert_eq!(
            TrackingCodeError::Format.to_string(),
            "a tracking code is 12 digits"
        );
        assert_eq!(
            TrackingCodeError::CheckDigit.to_string(),
            "this tracking code has a typing mistake: check the digits and try again"
        );
    }

    #[test]
    fn a_leading_zero_is_a_check_digit_error_not_a_crash() {
        // Twelve zeros pass Damm (the interim stays 0); one non-zero digit then fails it.
        assert_eq!(
            TrackingCode::parse("000000000001"),
            Err(TrackingCodeError::CheckDigit)
        );
    }

    #[test]
    fn is_canonical_holds_for_issued_codes_only() {
        let code = TrackingCode::generate(&mut StdRng::seed_from_u64(3)).into_string();
        assert!(TrackingCode::is_canonical(&code));
        // Any code whose check digit holds, and twelve zeros (Damm keeps 0 at 0).
        assert!(TrackingCode::is_canonical("450337519707"));
        assert!(TrackingCode::is_canonical("000000000000"));
        for not in [
            "450337519708",
            "45033751970",
            "4503375197070",
            "۴۵۰۳۳۷۵۱۹۷۰۷",
            "4503-37519707",
        ] {
            assert!(!TrackingCode::is_canonical(not), "{not}");
        }
    }

    #[test]
    fn from_stored_accepts_only_the_canonical_form() {
        let code = TrackingCode::generate(&mut StdRng::seed_from_u64(1));
        let text = code.as_str().to_owned();
        assert_eq!(TrackingCode::from_stored(text.clone()), Some(code));
        let grouped = format!("{}-{}", &text[..6], &text[6..]);
        let mut wrong = text.into_bytes();
        wrong[11] = b'0' + (value(wrong[11]) + 1) % 10;
        for stored in [grouped, String::from_utf8(wrong).unwrap(), String::new()] {
            assert_eq!(
                TrackingCode::from_stored(stored.clone()),
                None,
                "{stored:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_single_digit_substitution_is_caught(seed in any::<u64>()) {
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed)).into_string();
            prop_assert_eq!(damm(digits_of(&code)), 0);
            for position in 0..LENGTH {
                for replacement in b'0'..=b'9' {
                    let mut typed = code.clone().into_bytes();
                    if typed[position] == replacement {
                        continue;
                    }
                    typed[position] = replacement;
                    let typed = String::from_utf8(typed).unwrap();
                    prop_assert_eq!(
                        TrackingCode::parse(&typed),
                        Err(TrackingCodeError::CheckDigit),
                        "{} typed as {}", code, typed
                    );
                }
            }
        }

        #[test]
        fn every_adjacent_swap_is_caught(seed in any::<u64>()) {
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed)).into_string();
            for position in 0..LENGTH - 1 {
                let mut typed = code.clone().into_bytes();
                if typed[position] == typed[position + 1] {
                    continue;
                }
                typed.swap(position, position + 1);
                let typed = String::from_utf8(typed).unwrap();
                prop_assert_eq!(
                    TrackingCode::parse(&typed),
                    Err(TrackingCodeError::CheckDigit),
                    "{} typed as {}", code, typed
                );
            }
        }
    }
}
