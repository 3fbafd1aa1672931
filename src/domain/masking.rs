//! What staff see of an identity until someone reveals it on purpose (PRODUCT rule 11): enough
//! to tell two people apart on a screen and to confirm a caller ("the number ending 4567?"),
//! not enough to reach or name anyone.
//!
//! - a name: the first letter of each word, `م. ا.`;
//! - a mobile: the operator prefix and the last four digits, `+98912***4567`;
//! - a national ID: the last two digits, `********78`;
//! - an email: the first letter of the mailbox and the top-level domain, `a***@***.ir`.

/// `name` as initials.
pub fn name(name: &str) -> String {
    let initials: Vec<String> = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .map(|first| format!("{first}."))
        .collect();
    if initials.is_empty() {
        "***".to_owned()
    } else {
        initials.join(" ")
    }
}

pub use super::phone::mask as mobile;

/// A national ID with all but its last two digits hidden.
pub fn national_id(id: &str) -> String {
    let digits: Vec<char> = id.chars().collect();
    if digits.len() < 4 {
        return "***".to_owned();
    }
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("{}{tail}", "*".repeat(digits.len() - 2))
}

/// An email with its mailbox and domain hidden but the first letter and the top-level domain.
pub fn email(email: &str) -> String {
    let Some((mailbox, domain)) = email.rsplit_once('@') else {
        return "***".to_owned();
    };
    let first: String = mailbox.chars().take(1).collect();
    let top = domain.rsplit_once('.').map_or("", |(_, top)| top);
    format!("{first}***@***.{top}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_keeps_only_its_hint() {
        assert_eq!(name("مریم  احمدی"), "م. ا.");
        assert_eq!(name("Ali"), "A.");
        assert_eq!(name(""), "***");
        assert_eq!(mobile("+989121234567"), "+98912***4567");
        assert_eq!(national_id("0012345678"), "********78");
        assert_eq!(national_id("12"), "***");
        assert_eq!(email("ali.rezaei@example.co.ir"), "a***@***.ir");
        assert_eq!(email("no-at-sign"), "***");
    }

    #[test]
    fn a_mask_never_holds_the_value_it_masks() {
        let (n, m, i, e) = ("زهرا کریمی", "+989351112233", "1234567891", "zahra@mail.ir");
        assert!(!name(n).contains("زهرا") && !name(n).contains("کریمی"));
        assert!(!mobile(m).contains("9351112233"));
        assert!(!national_id(i).contains("12345678"));
        assert!(!email(e).contains("zahra") && !email(e).contains("mail"));
    }
}
