//! The demo's mentoring project (L §5–7): a recruitment drive and a cohort of volunteers each
//! quarter, their Tier 1 / Tier 2 courses and training sessions, support sessions every six
//! weeks, matches with young people whose programme started, weekly mentor sessions, group
//! programme and workshops, parent and carer advice, complaints and telephone messages. Every
//! write goes through the same validated store calls as a coordinator's, so the demo can never
//! hold what the forms would refuse.

use anyhow::Result;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::plan::Window;
use crate::domain::assessment::{AreaRating, OUTCOME_AREAS};
use crate::domain::calendar::Quarter;
use crate::domain::codes::CodeLists;
use crate::domain::ids::new_id;
use crate::domain::mentoring::{
    Complaint, Match, Mentor, MentorSession, MentoringEvent, RecruitmentDrive, TelephoneMessage,
};
use crate::domain::record::Contact;
use crate::store::{mentoring, records, Store};

/// What the mentoring part of the demo wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MentoringSummary {
    pub drives: usize,
    pub mentors: usize,
    pub events: usize,
    pub matches: usize,
    pub sessions: usize,
    pub complaints: usize,
    pub messages: usize,
    /// Contacts written: one per mentor session, plus parent and carer advice.
    pub contacts: usize,
    /// Mentor sessions the young person did not attend (also contacts marked so).
    pub did_not_attend: usize,
}

const DRIVES: &[&str] = &[
    "University volunteering fair",
    "Local radio appeal",
    "Faith groups' evening",
    "Library and community centre posters",
    "Volunteer Centre listing",
];
const GENDERS: &[&str] = &["female", "female", "male", "male", "female"];
const ETHNICITIES: &[&str] = &["A", "A", "H", "J", "M", "N", "D", "K", "R", "C"];
const LANGUAGES: &[&str] = &[
    "English",
    "English, Punjabi",
    "English, Gujarati",
    "English, Polish",
];
const LEAVING: &[&str] = &[
    "commitment_completed",
    "work_or_study",
    "moved_away",
    "personal_circumstances",
];
const MATCH_ENDS: &[&str] = &[
    "goals_achieved",
    "period_completed",
    "young_person_withdrew",
];
const PLACES: &[&str] = &[
    "YMCA East Street",
    "City centre café",
    "Library",
    "Sports centre",
];
const ACTIVITIES: &[&str] = &[
    "Talked through the week; set a goal for college",
    "Went bowling; talked about friendships",
    "Worked on a CV together",
    "Talked about cannabis and sleep",
];
const COMPLAINTS: &[&str] = &[
    "Mentor cancelled at short notice",
    "Did not hear back after leaving a message",
    "Unhappy with how a group session was run",
];
const OUTCOMES: &[&str] = &[
    "resolved_informally",
    "upheld",
    "not_upheld",
    "partly_upheld",
];

struct Plan {
    mentor: Mentor,
    trained: Option<NaiveDate>,
}

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &'a [&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn weekday_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

/// Writes the mentoring project for the demo window. `people` scales the volunteer cohort.
pub fn generate(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    window: &Window,
    seed: u64,
    people: usize,
) -> Result<MentoringSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
    let codes = CodeLists::embedded();
    let today = window.today;
    let cohort_extra = (people / 400).min(4);
    let mut summary = MentoringSummary::default();

    // Plan drives, mentors and their courses quarter by quarter.
    let mut drives = Vec::new();
    let mut plans: Vec<Plan> = Vec::new();
    let mut events: Vec<(MentoringEvent, Vec<String>, Vec<String>)> = Vec::new();
    let mut q = Quarter::containing(window.start);
    while q.start() <= today {
        let drive_day = q.start() + Duration::days(rng.random_range(2..15));
        if drive_day <= today && drive_day >= window.start {
            let drive = RecruitmentDrive {
                id: new_id(),
                start_date: drive_day,
                end_date: Some(drive_day + Duration::days(14)),
                title: pick(&mut rng, DRIVES).to_string(),
            };
            let tier1 = weekday_on_or_after(drive_day + Duration::days(28));
            let tier2 = weekday_on_or_after(drive_day + Duration::days(42));
            let mut cohort = Vec::new();
            for _ in 0..(2 + rng.random_range(0..2) + cohort_extra) {
                let recruited = drive_day + Duration::days(rng.random_range(0..14));
                if recruited > today {
                    continue;
                }
                let gender = pick(&mut rng, GENDERS);
                let (given, family) = fake_name(&mut rng, gender);
                let t1 = Some(tier1).filter(|d| *d <= today);
                let t2 = Some(tier2).filter(|d| *d <= today);
                let check = Some(recruited + Duration::days(rng.random_range(7..21)))
                    .filter(|d| *d <= today);
                let refs = Some(recruited + Duration::days(rng.random_range(5..20)))
                    .filter(|d| *d <= today);
                let mut m = Mentor {
                    id: new_id(),
                    given_name: given,
                    family_name: family,
                    gender: Some(gender.into()),
                    ethnicity: Some(pick(&mut rng, ETHNICITIES).into()),
                    languages: Some(pick(&mut rng, LANGUAGES).into()),
                    recruited_on: Some(recruited),
                    recruitment_drive_id: Some(drive.id.clone()),
                    check_date: check,
                    check_result: check.map(|_| {
                        if rng.random_range(0..10) == 0 {
                            "clear_with_disclosure".to_string()
                        } else {
                            "clear".to_string()
                        }
                    }),
                    references_on: refs,
                    commitment_start: t2,
                    tier1_on: t1,
                    tier2_on: t2,
                    status: "in_training".into(),
                    ..Mentor::default()
                };
                let trained = m.trained_on();
                if m.not_ready_reasons().is_empty() {
                    m.status = "active".into();
                    // The first of each cohort leaves when the 12-month commitment is done
                    // (so every quarter after the first year has a leaver); about a third of
                    // the rest leave after 7 to 18 months.
                    let first = cohort.is_empty();
                    if first || rng.random_bool(0.35) {
                        let after = if first {
                            365 + rng.random_range(0..20)
                        } else {
                            rng.random_range(210..540)
                        };
                        let left = t2.unwrap_or(recruited) + Duration::days(after);
                        if left < today {
                            m.status = "left".into();
                            m.left_on = Some(left);
                            m.leaving_reason = Some(if first {
                                "commitment_completed".into()
                            } else {
                                pick(&mut rng, LEAVING).into()
                            });
                        }
                    } else if rng.random_range(0..10) == 0 {
                        m.status = "paused".into();
                    }
                }
                cohort.push(m.id.clone());
                plans.push(Plan { mentor: m, trained });
            }
            for (date, title) in [
                (tier1, "Tier 1 drug awareness"),
                (tier2, "Tier 2 drug awareness"),
            ] {
                if date <= today && !cohort.is_empty() {
                    events.push((
                        MentoringEvent {
                            id: String::new(),
                            kind: "training_course".into(),
                            date,
                            title: title.into(),
                            facilitator: Some("Drug and Alcohol Response Team".into()),
                        },
                        cohort.clone(),
                        Vec::new(),
                    ));
                }
            }
            drives.push(drive);
        }
        // A developmental training session mid-quarter (L §7.3: up to three a year).
        let session_day = weekday_on_or_after(q.start() + Duration::days(55));
        if session_day <= today && session_day >= window.start {
            let who = active_on(&plans, session_day);
            if !who.is_empty() {
                events.push((
                    MentoringEvent {
                        id: String::new(),
                        kind: "training_session".into(),
                        date: session_day,
                        title: "Boundaries and confidentiality".into(),
                        facilitator: Some("Project manager".into()),
                    },
                    who,
                    Vec::new(),
                ));
            }
        }
        q = q.next();
    }
    // Support sessions every six weeks (L §7.5).
    let mut day = weekday_on_or_after(window.start + Duration::days(20));
    while day <= today {
        let who: Vec<String> = active_on(&plans, day)
            .into_iter()
            .filter(|_| rng.random_range(0..100) < 85)
            .collect();
        if !who.is_empty() {
            events.push((
                MentoringEvent {
                    id: String::new(),
                    kind: "support_session".into(),
                    date: day,
                    title: "Mentor support and review".into(),
                    facilitator: Some("Mentoring coordinator".into()),
                },
                who,
                Vec::new(),
            ));
        }
        day = weekday_on_or_after(day + Duration::days(42));
    }

    store.write(actor, now, |tx| {
        for d in &drives {
            mentoring::add_drive(tx, d, today)?;
            summary.drives += 1;
        }
        for p in &plans {
            mentoring::add_mentor(tx, &codes, &p.mentor, today)?;
            summary.mentors += 1;
        }
        for (e, ms, yps) in &events {
            mentoring::add_event(tx, e, ms, yps, today)?;
            summary.events += 1;
        }
        Ok(())
    })?;

    // Matches: young people whose programme started, with a ready mentor who has room.
    let episodes = mentoring::episodes_started_between(store, window.start, today)?;
    let mut load: Vec<Vec<(NaiveDate, NaiveDate)>> = vec![Vec::new(); plans.len()];
    let mut matched: Vec<(String, NaiveDate, NaiveDate, String)> = Vec::new();
    for (episode_id, start, exit) in episodes {
        if !rng.random_bool(0.4) {
            continue;
        }
        let begin = start + Duration::days(rng.random_range(0..10));
        if begin > today || exit.is_some_and(|x| begin > x) {
            continue;
        }
        let free = plans.iter().enumerate().position(|(i, p)| {
            p.trained.is_some_and(|t| t < begin)
                && p.mentor
                    .left_on
                    .is_none_or(|l| l > begin + Duration::days(28))
                && p.mentor.status != "paused"
                && load[i]
                    .iter()
                    .filter(|(s, e)| *s <= begin && begin <= *e)
                    .count()
                    < 2
        });
        let Some(i) = free else { continue };
        let planned_end = begin + Duration::days(rng.random_range(90..330));
        let mut end = planned_end;
        let mut reason = pick(&mut rng, MATCH_ENDS).to_string();
        if let Some(x) = exit.filter(|x| *x < end) {
            end = x;
            reason = "period_completed".into();
        }
        if let Some(l) = plans[i].mentor.left_on.filter(|l| *l < end) {
            end = l;
            reason = "match_ended".into();
        }
        let open = end > today;
        load[i].push((begin, if open { NaiveDate::MAX } else { end }));
        let young_person = mentoring::young_person_of_episode(store, &episode_id)?;
        let m = Match {
            id: new_id(),
            episode_id: episode_id.clone(),
            mentor_id: plans[i].mentor.id.clone(),
            start_date: begin,
            end_date: (!open).then_some(end),
            end_reason: (!open).then_some(reason),
        };
        let mut sessions = Vec::new();
        let mut d = begin + Duration::days(rng.random_range(0..5));
        let last = if open { today } else { end };
        while d <= last {
            let roll = rng.random_range(0..100);
            let attendance = match roll {
                0..=79 => "attended",
                80..=91 => "did_not_attend",
                _ => "offered",
            };
            sessions.push(MentorSession {
                id: String::new(),
                match_id: m.id.clone(),
                date: d,
                attendance: attendance.into(),
                place: Some(pick(&mut rng, PLACES).into()),
                activity: (attendance == "attended").then(|| pick(&mut rng, ACTIVITIES).into()),
            });
            d += Duration::days(rng.random_range(6..9));
        }
        // An ended match closes with a session together.
        if let (false, Some(s)) = (open, sessions.last_mut()) {
            s.attendance = "attended".into();
            s.activity = Some("Closing session: looked back at the goals".into());
        }
        let advice = rng.random_range(0..4) == 0;
        // The coordinator rates the L §3.1 areas on the episode's outcome profiles: a start
        // between 4 and 12, then drifting, mostly upwards.
        let profiles = crate::store::assessments::outcome_profiles_of(store, &episode_id)?;
        let mut level: Vec<i32> = OUTCOME_AREAS
            .iter()
            .map(|_| rng.random_range(4..13))
            .collect();
        let mut rated = Vec::new();
        for p in profiles.iter().filter(|p| p.ratings.is_empty()) {
            let ratings: Vec<AreaRating> = OUTCOME_AREAS
                .iter()
                .zip(level.iter_mut())
                .map(|(a, l)| {
                    let r = *l;
                    *l = (*l + rng.random_range(-2..5)).clamp(0, 20);
                    AreaRating {
                        area: a.code.to_string(),
                        rating: r,
                    }
                })
                .collect();
            rated.push((p.id.clone(), ratings));
        }
        store.write(actor, now, |tx| {
            for (pid, ratings) in &rated {
                mentoring::add_area_ratings(tx, pid, ratings)?;
            }
            mentoring::add_match(tx, &codes, &m, today)?;
            for s in &sessions {
                mentoring::add_session(tx, s, None, today)?;
            }
            if let (true, Some(yp)) = (advice, young_person.as_deref()) {
                // Advice to the young person's parent or carer (L §7.6).
                records::add_contact(
                    tx,
                    &Contact {
                        young_person_id: yp.to_string(),
                        episode_id: Some(m.episode_id.clone()),
                        date: begin + Duration::days(14).min(last - begin),
                        contact_type: "parent_carer_advice".into(),
                        present: Some("parent/carer".into()),
                        note: Some("Advice on supporting the young person at home".into()),
                        ..Contact::default()
                    },
                )?;
            }
            Ok(())
        })?;
        summary.matches += 1;
        summary.sessions += sessions.len();
        summary.contacts += sessions.len() + usize::from(advice && young_person.is_some());
        summary.did_not_attend += sessions
            .iter()
            .filter(|s| s.attendance == "did_not_attend")
            .count();
        if let Some(yp) = young_person {
            matched.push((yp, begin, last, m.mentor_id.clone()));
        }
    }

    // Group programme and workshops (L §7.2), complaints and telephone messages, by quarter.
    let mut q = Quarter::containing(window.start);
    let mut later = Vec::new();
    while q.start() <= today {
        for (offset, kind, title) in [
            (20, "group_programme", "Skills group: managing anger"),
            (
                70,
                "workshop",
                "Joint workshop: health and drugs information",
            ),
        ] {
            let day = weekday_on_or_after(q.start() + Duration::days(offset));
            if day > today || day < window.start {
                continue;
            }
            let yps: Vec<String> = matched
                .iter()
                .filter(|(_, s, e, _)| *s <= day && day <= *e)
                .map(|(yp, ..)| yp.clone())
                .take(8)
                .collect();
            later.push(Later::Event(
                MentoringEvent {
                    id: String::new(),
                    kind: kind.into(),
                    date: day,
                    title: title.into(),
                    facilitator: Some("Project manager".into()),
                },
                yps,
            ));
        }
        for _ in 0..rng.random_range(1..4) {
            let received = q.start() + Duration::days(rng.random_range(0..90));
            if received > today || received < window.start {
                continue;
            }
            let about = matched
                .get(rng.random_range(0..matched.len().max(1)))
                .map(|(yp, ..)| yp.clone())
                .filter(|_| rng.random_bool(0.6));
            let decided = received + Duration::days(rng.random_range(7..35));
            let outcome = pick(&mut rng, OUTCOMES);
            later.push(Later::Complaint(Complaint {
                id: String::new(),
                received_on: received,
                young_person_id: about,
                about: pick(&mut rng, COMPLAINTS).into(),
                outcome: (decided <= today).then(|| outcome.into()),
                outcome_on: Some(decided).filter(|d| *d <= today),
            }));
        }
        q = q.next();
    }
    // About three messages a week; most answered within two working days.
    let mut day = weekday_on_or_after(window.start);
    while day <= today {
        let about = matched
            .iter()
            .find(|(_, s, e, _)| *s <= day && day <= *e)
            .map(|(yp, ..)| yp.clone());
        let wait = match rng.random_range(0..100) {
            0..=84 => rng.random_range(0..3),
            _ => rng.random_range(3..7),
        };
        let answered = Some(day + Duration::days(wait)).filter(|d| *d <= today);
        later.push(Later::Message(TelephoneMessage {
            id: String::new(),
            received_on: day,
            from_whom: pick(
                &mut rng,
                &["Social worker", "Foster carer", "Mentor", "School"],
            )
            .into(),
            young_person_id: about,
            about: None,
            answered_on: answered,
        }));
        day = weekday_on_or_after(day + Duration::days(rng.random_range(1..4)));
    }
    store.write(actor, now, |tx| {
        for l in &later {
            match l {
                Later::Event(e, yps) => {
                    mentoring::add_event(tx, e, &[], yps, today)?;
                    summary.events += 1;
                }
                Later::Complaint(c) => {
                    mentoring::add_complaint(tx, &codes, c, today)?;
                    summary.complaints += 1;
                }
                Later::Message(m) => {
                    mentoring::add_message(tx, m, today)?;
                    summary.messages += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(summary)
}

enum Later {
    Event(MentoringEvent, Vec<String>),
    Complaint(Complaint),
    Message(TelephoneMessage),
}

/// Mentors trained and not yet left on `day`.
fn active_on(plans: &[Plan], day: NaiveDate) -> Vec<String> {
    plans
        .iter()
        .filter(|p| p.trained.is_some_and(|t| t <= day))
        .filter(|p| p.mentor.left_on.is_none_or(|l| l > day))
        .map(|p| p.mentor.id.clone())
        .collect()
}

fn fake_name(rng: &mut ChaCha8Rng, gender: &str) -> (String, String) {
    use super::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE};
    let given = if gender == "female" {
        GIVEN_FEMALE[rng.random_range(0..GIVEN_FEMALE.len())]
    } else {
        GIVEN_MALE[rng.random_range(0..GIVEN_MALE.len())]
    };
    (
        given.to_string(),
        FAMILY[rng.random_range(0..FAMILY.len())].to_string(),
    )
}
