//! Property tests across the parsers and the anonymiser: whatever Unicode a client sends, they
//! answer (never panic), and what they accept reads back as itself.

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use crate::domain::anonymise::{
        CitizenIdentity, check_final, find_identifiers, in_code_points, propose,
    };
    use crate::domain::citizen::{CitizenName, ContactSummary, Email, RequestText, search_key};
    use crate::domain::national_id::NationalId;
    use crate::domain::phone::MobileNumber;
    use crate::domain::tracking_code::TrackingCode;

    /// Strings mixing Persian, Arabic-Indic and ASCII digits, separators, controls and any char.
    fn messy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                any::<char>(),
                prop::sample::select(vec![
                    '۰', '۹', '٠', '٩', '0', '9', '+', '-', ' ', '\u{200C}', 'ي', 'ك', '@', '.',
                    '\u{0000}', '\u{202E}'
                ]),
            ],
            0..80,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn parsers_answer_anything_and_accepted_values_parse_back_as_themselves(input in messy()) {
            if let Ok(mobile) = MobileNumber::parse(&input) {
                prop_assert_eq!(MobileNumber::parse(mobile.as_str()).ok(), Some(mobile.clone()));
                prop_assert_eq!(MobileNumber::parse(&mobile.national()).ok(), Some(mobile));
            }
            if let Ok(id) = NationalId::parse(&input) {
                prop_assert_eq!(NationalId::parse(id.as_str()).ok(), Some(id));
            }
            if let Ok(code) = TrackingCode::parse(&input) {
                prop_assert_eq!(TrackingCode::parse(code.as_str()).ok(), Some(code));
            }
            if let Ok(name) = CitizenName::parse(&input) {
                prop_assert_eq!(CitizenName::parse(name.as_str()).ok(), Some(name));
            }
            if let Ok(text) = RequestText::parse(&input) {
                prop_assert_eq!(RequestText::parse(text.as_str()).ok(), Some(text));
            }
            if let Ok(summary) = ContactSummary::parse(&input) {
                prop_assert_eq!(ContactSummary::parse(summary.as_str()).ok(), Some(summary));
            }
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()).ok(), Some(email));
            }
            let key = search_key(&input);
            prop_assert_eq!(search_key(&key), key);
        }

        #[test]
        fn the_anonymiser_answers_anything_and_its_proposal_is_stable(
            text in messy(),
            name in messy(),
            seed in any::<u64>(),
            at in any::<prop::sample::Index>(),
        ) {
            // One of the citizen's tracking codes spliced in somewhere, among the noise.
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed)).into_string();
            let codes = [code.clone(), TrackingCode::generate(&mut StdRng::seed_from_u64(!seed)).into_string()];
            let chars: Vec<char> = text.chars().collect();
            let split = at.index(chars.len() + 1);
            let text: String = chars[..split].iter().chain(code.chars().collect::<Vec<_>>().iter()).chain(&chars[split..]).collect();
            let who = CitizenIdentity {
                name: &name, mobile: "+989121234567", national_id: Some("0499370899"), email: Some("a@example.org"),
                tracking_codes: &codes,
            };
            let proposal = propose(&text, &who);
            prop_assert_eq!(propose(&proposal, &who), proposal.clone());
            prop_assert!(!proposal.contains(&code), "{:?} keeps the code: {:?}", text, proposal);
            prop_assert_eq!(check_final(&proposal, &who), Ok(()));
            let found = find_identifiers(&text, &who);
            prop_assert_eq!(check_final(&text, &who), Err(found.clone()));
            // Spans in code points: ordered, non-empty, within the text.
            let spans = in_code_points(&text, &found);
            let length = text.chars().count();
            let mut previous_end = 0;
            for span in spans {
                prop_assert!(previous_end <= span.start && span.start < span.end && span.end <= length);
                previous_end = span.end;
            }
        }
    }
}
