//! The code lists the forms offer as choices, behind one small function so the source of the
//! lists can change without touching any form.

/// One choice: the code stored in the record and the label a worker reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// The choices of code list `list`, in the list's own order (empty for an unknown list).
pub fn choices(list: &str) -> Vec<Choice> {
    let pairs: &[(&str, &str)] = match list {
        "contact_types" => &[
            ("face_to_face", "Face-to-face session"),
            ("phone", "Phone call"),
            ("video", "Video call"),
            ("message", "Text or message"),
            ("home_visit", "Home visit"),
            ("outreach", "Outreach meeting"),
            ("school", "School or college visit"),
            ("mentor_session", "Mentor session"),
            ("group", "Group session"),
        ],
        "contact_present" => &[
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
        ],
        "risk_types" => &[
            ("self_harm", "Self-harm"),
            ("risk_from_others", "Risk from others"),
            ("risk_to_others", "Risk to others"),
            ("housing", "Housing"),
            ("sexual_exploitation", "Sexual exploitation"),
            ("domestic_violence", "Domestic violence"),
            ("child_protection", "Child protection"),
            ("mash", "MASH referral"),
            ("marac", "MARAC referral"),
        ],
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

/// The label of `code` in `list`, or the code itself when the list does not know it (an
/// imported or retired code is still shown, never hidden).
pub fn label(list: &str, code: &str) -> String {
    choices(list)
        .into_iter()
        .find(|c| c.code == code)
        .map(|c| c.label)
        .unwrap_or_else(|| code.replace('_', " "))
}
