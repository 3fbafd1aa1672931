//! Persian-first text normalisation (PRODUCT rule 6): Arabic yeh and kaf become their Persian
//! forms, invisible and control characters go, whitespace and ZWNJ are tidied. Applied to every
//! name and free text before it is stored or compared, so that «علي» and «علی» are one name.

const ZWNJ: char = '\u{200C}';

/// Maps one character to its Persian form, or `None` to drop it.
fn persian_char(c: char) -> Option<char> {
    match c {
        // Arabic yeh, alef maksura and the Farsi yeh's final forms → Persian yeh.
        '\u{064A}' | '\u{0649}' => Some('\u{06CC}'),
        // Arabic kaf → Persian keheh.
        '\u{0643}' => Some('\u{06A9}'),
        // Zero-width joiner, byte-order mark, bidi marks and overrides: invisible noise that makes
        // equal-looking names compare unequal (and can disguise text).
        '\u{200B}'
        | '\u{200D}'
        | '\u{FEFF}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => None,
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            Some(' ')
        }
        '\r' => None,
        c if c.is_control() && c != '\n' => None,
        c => Some(c),
    }
}

/// Normalises free text that may span lines: each line tidied, at most one empty line in a row.
pub fn normalise_text(input: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in input.split('\n').map(normalise_line) {
        let previous_empty = lines.last().is_some_and(|l| l.is_empty());
        if !(line.is_empty() && previous_empty) {
            lines.push(line);
        }
    }
    lines.join("\n").trim_matches('\n').to_owned()
}

/// Normalises a one-line value (a name, a title): line breaks become spaces.
pub fn normalise_line(input: &str) -> String {
    let mapped: String = input
        .chars()
        .filter_map(persian_char)
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    tidy_spacing(&mapped)
}

/// Collapses runs of spaces, removes ZWNJ that is repeated or that touches a space or an end of
/// the text (where it joins nothing), and trims.
fn tidy_spacing(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        let last = out.chars().last();
        match c {
            ' ' if matches!(last, None | Some(' ')) => {}
            ' ' if last == Some(ZWNJ) => {
                out.pop();
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            ZWNJ if matches!(last, None | Some(' ') | Some(ZWNJ)) => {}
            c => out.push(c),
        }
    }
    while out.ends_with(' ') || out.ends_with(ZWNJ) {
        out.pop();
    }
    out
}

/// Replaces Persian (۰–۹) and Arabic-Indic (٠–٩) digits by ASCII ones: for values that are
/// numbers (mobiles, national ids, codes), not for prose.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            c => c,
        })
        .collect()
}

/// Length in characters (what a person counts), not bytes.
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_yeh_and_kaf_become_persian() {
        assert_eq!(normalise_line("علي كريمي"), "علی کریمی");
        assert_eq!(normalise_line("مصطفى"), "مصطفی");
    }

    #[test]
    fn spaces_are_collapsed_and_trimmed() {
        assert_eq!(normalise_line("  واحد \t  مالی  "), "واحد مالی");
        assert_eq!(normalise_line("a\u{00A0}\u{00A0}b"), "a b");
    }

    #[test]
    fn stray_zwnj_is_removed_and_joining_zwnj_kept() {
        assert_eq!(normalise_line("می\u{200C}خواهم"), "می\u{200C}خواهم");
        assert_eq!(
            normalise_line("\u{200C}می\u{200C}\u{200C}خواهم\u{200C}"),
            "می\u{200C}خواهم"
        );
        assert_eq!(normalise_line("کتاب\u{200C} ها"), "کتاب ها");
        assert_eq!(normalise_line("کتاب \u{200C}ها"), "کتاب ها");
    }

    #[test]
    fn invisible_and_control_characters_are_dropped() {
        assert_eq!(normalise_line("ab\u{200B}c\u{202E}d\u{0007}"), "abcd");
    }

    #[test]
    fn free_text_keeps_lines_but_not_runs_of_empty_ones() {
        assert_eq!(
            normalise_text("سلام\r\n\n\n\n  خداحافظ  \n"),
            "سلام\n\nخداحافظ"
        );
    }

    #[test]
    fn digits_of_every_script_become_ascii() {
        assert_eq!(ascii_digits("۰۹۱۲-٣٤٥ 67"), "0912-345 67");
    }

    #[test]
    fn length_counts_characters() {
        assert_eq!(char_len("علی"), 3);
    }
}
