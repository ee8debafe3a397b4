//! Every code the demo writes, with how often it is drawn, in one place so the lists can be
//! corrected against `assets/codes/*.toml` without hunting through the generator. Weights are
//! relative (they need not add to 100); they shape the demo, they are not statistics.

/// A code and its relative weight.
pub type Weighted<T> = &'static [(T, u32)];

pub const REFERRAL_SOURCES: Weighted<&str> = &[
    ("self", 8),
    ("family_carer", 12),
    ("gp", 8),
    ("school_college", 18),
    ("yot", 14),
    ("social_care", 14),
    ("camhs", 7),
    ("hospital", 4),
    ("police", 4),
    ("housing", 3),
    ("outreach", 5),
    ("other", 3),
];

/// Who referred, as a role (never a name): the register's `referrer` column.
pub fn referrer_for(source: &str) -> Option<&'static str> {
    Some(match source {
        "family_carer" => "Parent or carer",
        "gp" => "GP practice",
        "school_college" => "Designated safeguarding lead",
        "yot" => "YOT case manager",
        "social_care" => "Social worker",
        "camhs" => "CAMHS clinician",
        "hospital" => "A&E liaison nurse",
        "police" => "Police youth officer",
        "housing" => "Housing support worker",
        "outreach" => "Outreach team",
        "other" => "Voluntary sector worker",
        _ => return None,
    })
}

pub const REFERRAL_REASONS: &[&str] = &[
    "Cannabis use affecting school attendance",
    "Drinking at weekends, found intoxicated",
    "Concerns about cocaine use with older peers",
    "Nitrous oxide use in the park",
    "Ketamine use, bladder pain reported",
    "Substance use linked to offending",
    "Family worried about changes in behaviour",
    "Excluded from school after possession",
    "Asked for help cutting down",
    "Use alongside low mood and self-harm",
];

pub const SEX: Weighted<&str> = &[
    ("male", 57),
    ("female", 39),
    ("other", 2),
    ("not_stated", 2),
];

/// NHS ethnic category codes (A–S, Z, 99).
pub const ETHNICITY: Weighted<&str> = &[
    ("A", 62),
    ("B", 2),
    ("C", 5),
    ("D", 3),
    ("E", 1),
    ("F", 2),
    ("G", 2),
    ("H", 4),
    ("J", 4),
    ("K", 1),
    ("L", 1),
    ("M", 2),
    ("N", 3),
    ("P", 1),
    ("R", 1),
    ("S", 2),
    ("Z", 3),
    ("99", 1),
];

/// Southampton- and Leicester-like postcode districts.
pub const POSTCODE_DISTRICTS: Weighted<&str> = &[
    ("SO14", 12),
    ("SO15", 10),
    ("SO16", 9),
    ("SO17", 5),
    ("SO18", 8),
    ("SO19", 9),
    ("SO30", 3),
    ("SO31", 3),
    ("LE1", 8),
    ("LE2", 9),
    ("LE3", 8),
    ("LE4", 8),
    ("LE5", 7),
];

/// Age on the first referral: mostly 11–24, a few outside it (nobody is refused, S §11.2).
pub const AGE_AT_REFERRAL: Weighted<u32> = &[
    (10, 1),
    (11, 2),
    (12, 4),
    (13, 8),
    (14, 12),
    (15, 15),
    (16, 15),
    (17, 12),
    (18, 7),
    (19, 6),
    (20, 5),
    (21, 4),
    (22, 3),
    (23, 3),
    (24, 2),
    (25, 1),
];

pub const TRIAGE_OUTCOMES: Weighted<&str> = &[
    (COMPREHENSIVE_ASSESSMENT, 55),
    (CRISIS_INTERVENTION, 7),
    (BRIEF_INTERVENTION, 15),
    (LOW_INTENSITY_SUPPORT, 15),
    (REFERRAL_OTHER_SERVICE, 8),
];
pub const COMPREHENSIVE_ASSESSMENT: &str = "comprehensive_assessment";
pub const CRISIS_INTERVENTION: &str = "crisis_intervention";
pub const BRIEF_INTERVENTION: &str = "brief_intervention";
pub const LOW_INTENSITY_SUPPORT: &str = "low_intensity_support";
pub const REFERRAL_OTHER_SERVICE: &str = "referral_other_service";

pub const INTERVENTIONS: Weighted<&str> = &[
    ("psychosocial", 60),
    ("family_work", 15),
    ("harm_reduction", 20),
    ("pharmacological", 5),
];

/// Substances and routes, ready for when the store can write an episode's substances (it has
/// no function for that yet, so the demo records none).
pub const SUBSTANCES: &[&str] = &[
    "alcohol",
    "cannabis",
    "cocaine",
    "crack",
    "heroin",
    "ecstasy",
    "ketamine",
    "nitrous_oxide",
    "benzodiazepines",
    "amphetamine",
];
pub const ROUTES: &[&str] = &["oral", "smoking", "sniffing", "injecting"];

pub const PLANNED_EXITS: Weighted<&str> = &[
    ("completed_drug_free", 70),
    ("referral_more_appropriate", 12),
];
/// Planned, and only for young people who are 18 or over at exit.
pub const TRANSFERRED_ADULT_SERVICES: &str = "transfer_adult_services";
pub const TREATMENT_COMPLETED: &str = "completed_drug_free";
pub const REFERRED_MORE_APPROPRIATE_SERVICE: &str = "referral_more_appropriate";
pub const UNPLANNED_EXITS: Weighted<&str> = &[
    ("self_exit", 55),
    ("declined_treatment", 15),
    ("moved_away", 15),
    ("remanded_custody", 10),
    ("disciplinary", 5),
];

pub const RISK_TYPES: Weighted<&str> = &[
    ("self_harm", 25),
    ("risk_from_others", 15),
    ("risk_to_others", 10),
    ("housing", 14),
    ("sexual_exploitation", 10),
    ("domestic_violence", 12),
    ("child_protection", 14),
];
pub const CHILD_PROTECTION: &str = "child_protection";

/// What to do about a risk, by type: a flag always says.
pub fn risk_action(flag_type: &str) -> &'static str {
    match flag_type {
        "self_harm" => "Safety plan agreed; check in at every session and share with GP",
        "risk_from_others" => "Meet only in safe venues; update the safety plan",
        "risk_to_others" => "Two workers for home visits; liaise with YOT",
        "housing" => "Chase the housing referral; check where they are staying each week",
        "sexual_exploitation" => {
            "Complete the exploitation screening; discuss at the next strategy meeting"
        }
        "domestic_violence" => "DASH checklist done; consider MARAC referral",
        "child_protection" => "Refer to MASH; inform the social worker",
        _ => "Discuss with the duty manager",
    }
}

pub const FLAG_REVIEW_NOTES: &[&str] = &[
    "Reviewed with the young person; plan unchanged",
    "Reviewed in supervision; keep as is",
    "Spoke to the social worker; no new concerns",
    "Some improvement; keep monitoring",
];
pub const FLAG_RESOLVE_REASONS: &[&str] = &[
    "Risk reduced: agreed at review",
    "Situation resolved; no current concerns",
    "Other agency now leads; closed here",
];
pub const FLAG_CLOSED_AT_EXIT: &str = "Episode closed; risk handed over in the exit summary";
pub const FLAG_STEPPED_DOWN: &str = "Lower risk after review";

pub const SESSION_CONTACT_TYPES: Weighted<&str> = &[
    ("face_to_face", 50),
    ("telephone", 15),
    ("home_visit", 10),
    ("group", 8),
    ("text_online", 10),
    ("outreach", 7),
];
pub const TRIAGE_CONTACT_TYPES: Weighted<&str> =
    &[("face_to_face", 60), ("telephone", 30), ("home_visit", 10)];
pub const BRIEF_CONTACT_TYPES: Weighted<&str> = &[
    ("brief_intervention_alcohol", 45),
    ("brief_intervention_drugs", 55),
];
pub const FACE_TO_FACE: &str = "face_to_face";
pub const TELEPHONE: &str = "telephone";

pub const CONTACT_NOTES: &[&str] = &[
    "Talked about cannabis and sleep",
    "Went through the drink diary",
    "Worked on the care plan goals",
    "Harm reduction advice; gave leaflets",
    "Talked about school and attendance",
    "Session on triggers and cravings",
    "Checked in about home and family",
    "Planned for the weekend ahead",
];
pub const DNA_FOLLOW_UPS: &[&str] = &[
    "Text sent; rebook next week",
    "Phone the parent or carer",
    "Try at school on Thursday",
    "Letter sent with a new date",
];

pub const REFERRAL_SERVICES: Weighted<&str> = &[
    ("camhs", 30),
    ("yot", 20),
    ("housing", 15),
    ("gp", 10),
    ("sexual_health", 15),
    ("mash", 10),
];
pub const MASH: &str = "mash";

pub const OUTREACH_SETTINGS: Weighted<&str> =
    &[("generic", 40), ("school_college", 35), ("targeted", 25)];
pub const OUTREACH_GENDERS: Weighted<&str> = &[
    ("male", 50),
    ("female", 45),
    ("other", 3),
    ("not_stated", 2),
];
pub const BRIEF_INTERVENTIONS: Weighted<&str> =
    &[("none", 45), ("alcohol", 25), ("drugs", 20), ("both", 10)];

/// Outcome profile occasions (schema CHECK).
pub const TOP_START: &str = "start";
pub const TOP_REVIEW: &str = "review";
pub const TOP_EXIT: &str = "exit";
