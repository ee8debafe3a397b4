//! The code lists the forms offer as choices and the screens read labels from, behind two small
//! functions so forms never depend on where a list comes from.

use crate::domain::codes::{CodeLists, ListName};

/// One choice: the code stored in the record and the label a worker reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// Who may be present at a contact. Not a code list of the returns: the contact keeps the
/// labels as text, so this list can change freely.
const CONTACT_PRESENT: &[(&str, &str)] = &[
    ("young_person", "Young person"),
    ("parent_carer", "Parent or carer"),
    ("family_member", "Other family member"),
    ("social_worker", "Social worker"),
    ("youth_offending", "Youth offending worker"),
    ("teacher", "Teacher or school staff"),
    ("health", "Health professional"),
    ("mentor", "Mentor"),
    ("interpreter", "Interpreter"),
    ("other_professional", "Other professional"),
];

/// The choices offered for new records from list `list` (retired codes left out), in the
/// list's own order; empty for an unknown list.
pub fn choices(codes: &CodeLists, list: &str) -> Vec<Choice> {
    if let Some(name) = ListName::from_name(list) {
        return codes
            .list(name)
            .active()
            .map(|c| Choice {
                code: c.code.clone(),
                label: c.label.clone(),
            })
            .collect();
    }
    let pairs: &[(&str, &str)] = match list {
        "contact_present" => CONTACT_PRESENT,
        _ => &[],
    };
    pairs
        .iter()
        .map(|(c, l)| Choice {
            code: (*c).to_string(),
            label: (*l).to_string(),
        })
        .collect()
}

/// The label of `code` in `list`, or the code itself (with spaces for underscores) when the
/// list does not know it: an imported or retired code is still shown, never hidden.
pub fn label(codes: &CodeLists, list: &str, code: &str) -> String {
    if let Some(name) = ListName::from_name(list) {
        let l = codes.label_of(name, code);
        if l != code {
            return l.to_string();
        }
    }
    code.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_come_from_the_code_lists() {
        let codes = CodeLists::embedded();
        let types = choices(&codes, "contact_types");
        assert!(types.iter().any(|c| c.code == "face_to_face"));
        assert_eq!(
            label(&codes, "contact_types", "face_to_face"),
            "Face-to-face session"
        );
        assert_eq!(
            label(&codes, "contact_types", "made_up_code"),
            "made up code"
        );
        assert!(!choices(&codes, "contact_present").is_empty());
        assert!(choices(&codes, "no_such_list").is_empty());
    }
}
