//! The name a file is shown and downloaded under. The uploader chooses it, so it is tidied
//! (no folders, no control or direction characters, at most 100 characters) and its extension
//! is the one of the type the content was found to be: a file named `letter.html` that is a PDF
//! downloads as `letter.pdf`, and no name can make a browser treat a file as something else.

use super::FileType;

const MAX_CHARS: usize = 100;

impl FileType {
    /// The extension a file of this type is saved with.
    pub fn extension(&self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }
}

/// The stored name of an upload called `given` (or nothing) whose content is `kind`.
pub fn file_name(given: Option<&str>, kind: FileType) -> String {
    let base = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let tidy: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c) && *c != '"')
        .collect();
    let stem = match tidy.rfind('.') {
        Some(dot) => &tidy[..dot],
        None => tidy.as_str(),
    };
    let stem = stem.trim().trim_matches('.');
    let stem: String = stem.chars().take(MAX_CHARS).collect();
    let stem = if stem.trim().is_empty() {
        "file".to_owned()
    } else {
        stem.trim_end().to_owned()
    };
    format!("{stem}.{}", kind.extension())
}

/// Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F): they can make
/// `invoice` + U+202E + `fdp.exe` read as `invoice.exe.pdf`. ZWNJ (U+200C), which Persian needs, stays.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_controls_and_take_the_contents_extension() {
        let cases = [
            (Some("C:\\Users\\ali\\نامه.pdf"), FileType::Pdf, "نامه.pdf"),
            (Some("../../etc/passwd"), FileType::Png, "passwd.png"),
            (Some("letter.html"), FileType::Pdf, "letter.pdf"),
            (Some("photo"), FileType::Jpeg, "photo.jpg"),
            (Some("a\u{202E}fdp.exe"), FileType::Pdf, "afdp.pdf"),
            (Some("  \"x\"\n.jpeg "), FileType::Jpeg, "x.jpg"),
            (Some("..."), FileType::Webp, "file.webp"),
            (Some(""), FileType::Pdf, "file.pdf"),
            (None, FileType::Pdf, "file.pdf"),
            (
                Some("می\u{200C}خواهم.png"),
                FileType::Png,
                "می\u{200C}خواهم.png",
            ),
        ];
        for (given, kind, expected) in cases {
            assert_eq!(file_name(given, kind), expected, "{given:?}");
        }
    }

    #[test]
    fn long_names_are_cut_to_a_hundred_characters_before_the_extension() {
        let name = file_name(Some(&format!("{}.pdf", "ب".repeat(300))), FileType::Pdf);
        assert_eq!(name.chars().count(), 104);
        assert!(name.ends_with(".pdf"));
    }
}
