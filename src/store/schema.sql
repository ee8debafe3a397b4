-- casebook schema, migration 1. Dates are ISO-8601 text (YYYY-MM-DD); timestamps UTC RFC 3339.
-- IDs are UUID v7 text so two offline laptops never collide. Case records are never deleted:
-- `in_error_at` / `in_error_reason` mark a record entered in error, and it is kept.

CREATE TABLE workers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role        TEXT NOT NULL CHECK (role IN ('outreach','duty','manager','coordinator')),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);

CREATE TABLE young_people (
    id                    TEXT PRIMARY KEY,
    reference             TEXT NOT NULL UNIQUE,
    given_name            TEXT NOT NULL,
    family_name           TEXT NOT NULL,
    -- lower-cased, accent-folded "given family" for searching
    name_key              TEXT NOT NULL,
    date_of_birth         TEXT,
    sex                   TEXT,
    gender                TEXT,
    ethnicity             TEXT,
    postcode_district     TEXT,
    gp_registered         INTEGER,
    looked_after          INTEGER,
    consent_to_share      INTEGER,
    consent_date          TEXT,
    parent_carer_involved INTEGER,
    created_at            TEXT NOT NULL,
    in_error_at           TEXT,
    in_error_reason       TEXT
);
CREATE INDEX young_people_name_key ON young_people(name_key);
CREATE INDEX young_people_dob ON young_people(date_of_birth);

CREATE TABLE young_person_vulnerabilities (
    id               TEXT PRIMARY KEY,
    young_person_id  TEXT NOT NULL REFERENCES young_people(id),
    code             TEXT NOT NULL,
    recorded_on      TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT,
    UNIQUE (young_person_id, code)
);

CREATE TABLE episodes (
    id                  TEXT PRIMARY KEY,
    young_person_id     TEXT NOT NULL REFERENCES young_people(id),
    referral_date       TEXT NOT NULL,
    referral_source     TEXT,
    referrer            TEXT,
    referrer_contact    TEXT,
    referral_reason     TEXT,
    urgency             TEXT,
    first_contact_date  TEXT,
    triage_date         TEXT,
    triage_outcome      TEXT,
    assessment_date     TEXT,
    treatment_start     TEXT,
    intervention        TEXT,
    care_plan_date      TEXT,
    key_worker_id       TEXT REFERENCES workers(id),
    joint_worked        INTEGER NOT NULL DEFAULT 0,
    exit_date           TEXT,
    exit_reason         TEXT,
    -- the register row this episode was imported from, so re-importing adds nothing twice
    import_key          TEXT UNIQUE,
    created_at          TEXT NOT NULL,
    in_error_at         TEXT,
    in_error_reason     TEXT
);
CREATE INDEX episodes_young_person ON episodes(young_person_id, referral_date);
CREATE INDEX episodes_referral_date ON episodes(referral_date);
CREATE INDEX episodes_triage_date ON episodes(triage_date);
CREATE INDEX episodes_assessment_date ON episodes(assessment_date);
CREATE INDEX episodes_treatment_start ON episodes(treatment_start, exit_date);
CREATE INDEX episodes_care_plan_date ON episodes(care_plan_date);
CREATE INDEX episodes_exit_date ON episodes(exit_date);
CREATE INDEX episodes_key_worker ON episodes(key_worker_id, young_person_id);

-- Triage / initial assessment answers (S §8.4); the date and outcome also sit on the episode.
CREATE TABLE triages (
    id                TEXT PRIMARY KEY,
    episode_id        TEXT NOT NULL UNIQUE REFERENCES episodes(id),
    date              TEXT NOT NULL,
    presenting_needs  TEXT,
    seriousness       TEXT,
    urgency           TEXT,
    motivation        INTEGER,
    risk_factors      TEXT,
    injecting         TEXT,
    sharing           INTEGER,
    outcome           TEXT NOT NULL,
    interim_plan      TEXT,
    worker_id         TEXT REFERENCES workers(id),
    created_at        TEXT NOT NULL,
    in_error_at       TEXT,
    in_error_reason   TEXT
);

-- Substances per episode: rank 1 primary, 2 secondary, 3+ others.
CREATE TABLE episode_substances (
    id             TEXT PRIMARY KEY,
    episode_id     TEXT NOT NULL REFERENCES episodes(id),
    rank           INTEGER NOT NULL,
    substance      TEXT NOT NULL,
    route          TEXT,
    frequency      TEXT,
    age_first_use  INTEGER,
    in_error_at    TEXT,
    in_error_reason TEXT
);
CREATE INDEX episode_substances_episode ON episode_substances(episode_id, rank);

-- Comprehensive assessment (S §8.5): holistic needs and the DASH count.
CREATE TABLE assessments (
    id               TEXT PRIMARY KEY,
    episode_id       TEXT NOT NULL REFERENCES episodes(id),
    date             TEXT NOT NULL,
    dash_yes_count   INTEGER,
    marac_referral   INTEGER NOT NULL DEFAULT 0,
    notes            TEXT,
    worker_id        TEXT REFERENCES workers(id),
    created_at       TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT
);
CREATE INDEX assessments_episode ON assessments(episode_id);

CREATE TABLE assessment_needs (
    id             TEXT PRIMARY KEY,
    assessment_id  TEXT NOT NULL REFERENCES assessments(id),
    domain         TEXT NOT NULL,
    need           TEXT,
    UNIQUE (assessment_id, domain)
);

-- Risk assessment over the six domains of S §8.5.5.
CREATE TABLE risk_assessments (
    id             TEXT PRIMARY KEY,
    assessment_id  TEXT NOT NULL REFERENCES assessments(id),
    domain         TEXT NOT NULL,
    level          TEXT NOT NULL CHECK (level IN ('low','medium','high')),
    action         TEXT,
    UNIQUE (assessment_id, domain)
);

CREATE TABLE risk_flags (
    id               TEXT PRIMARY KEY,
    young_person_id  TEXT NOT NULL REFERENCES young_people(id),
    episode_id       TEXT REFERENCES episodes(id),
    flag_type        TEXT NOT NULL,
    level            TEXT NOT NULL CHECK (level IN ('low','medium','high')),
    raised_by        TEXT NOT NULL REFERENCES workers(id),
    raised_on        TEXT NOT NULL,
    action           TEXT NOT NULL,
    review_date      TEXT,
    closed_on        TEXT,
    closed_by        TEXT REFERENCES workers(id),
    close_reason     TEXT,
    created_at       TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT
);
CREATE INDEX risk_flags_active ON risk_flags(young_person_id) WHERE closed_on IS NULL;
CREATE INDEX risk_flags_review ON risk_flags(review_date) WHERE closed_on IS NULL;

-- A flag's history as a caseworker reads it: raised, reviewed, level changed, resolved.
CREATE TABLE risk_flag_events (
    id           TEXT PRIMARY KEY,
    flag_id      TEXT NOT NULL REFERENCES risk_flags(id),
    date         TEXT NOT NULL,
    worker_id    TEXT NOT NULL REFERENCES workers(id),
    kind         TEXT NOT NULL CHECK (kind IN ('raised','reviewed','level_changed','resolved')),
    level        TEXT,
    review_date  TEXT,
    note         TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX risk_flag_events_flag ON risk_flag_events(flag_id, date);

-- Integrated care plan (S §8.6–8.8, §16); each review makes a new version, old ones kept.
CREATE TABLE care_plans (
    id                 TEXT PRIMARY KEY,
    episode_id         TEXT NOT NULL REFERENCES episodes(id),
    version            INTEGER NOT NULL,
    date               TEXT NOT NULL,
    support_level      INTEGER CHECK (support_level BETWEEN 1 AND 4),
    interim            INTEGER NOT NULL DEFAULT 0,
    signed_off_by      TEXT REFERENCES workers(id),
    signed_off_on      TEXT,
    spend_approved_by  TEXT REFERENCES workers(id),
    spend_approved_on  TEXT,
    review_id          TEXT,
    created_at         TEXT NOT NULL,
    in_error_at        TEXT,
    in_error_reason    TEXT,
    UNIQUE (episode_id, version)
);

CREATE TABLE care_plan_goals (
    id            TEXT PRIMARY KEY,
    care_plan_id  TEXT NOT NULL REFERENCES care_plans(id),
    position      INTEGER NOT NULL,
    domain        TEXT NOT NULL,
    goal          TEXT NOT NULL,
    progress      TEXT
);
CREATE INDEX care_plan_goals_plan ON care_plan_goals(care_plan_id, position);

CREATE TABLE care_plan_actions (
    id           TEXT PRIMARY KEY,
    goal_id      TEXT NOT NULL REFERENCES care_plan_goals(id),
    position     INTEGER NOT NULL,
    what         TEXT NOT NULL,
    owner_kind   TEXT NOT NULL,
    owner_name   TEXT,
    target_date  TEXT,
    status       TEXT NOT NULL DEFAULT 'not_started',
    risk_domain  TEXT
);
CREATE INDEX care_plan_actions_goal ON care_plan_actions(goal_id, position);

CREATE TABLE care_plan_budget_items (
    id            TEXT PRIMARY KEY,
    care_plan_id  TEXT NOT NULL REFERENCES care_plans(id),
    position      INTEGER NOT NULL,
    description   TEXT NOT NULL,
    budget        TEXT NOT NULL,
    amount_pence  INTEGER NOT NULL CHECK (amount_pence >= 0)
);
CREATE INDEX care_plan_budget_items_plan ON care_plan_budget_items(care_plan_id);

CREATE TABLE reviews (
    id            TEXT PRIMARY KEY,
    episode_id    TEXT NOT NULL REFERENCES episodes(id),
    date          TEXT NOT NULL,
    participants  TEXT,
    notes         TEXT,
    worker_id     TEXT REFERENCES workers(id),
    created_at    TEXT NOT NULL,
    in_error_at   TEXT,
    in_error_reason TEXT
);
CREATE INDEX reviews_episode ON reviews(episode_id, date, in_error_at);
CREATE INDEX reviews_date ON reviews(date);

-- Outcome profiles: TOP-style (S §8.9.4, KPI 6a) and the mentoring outcome areas (L §3.1).
CREATE TABLE outcome_profiles (
    id                     TEXT PRIMARY KEY,
    episode_id             TEXT NOT NULL REFERENCES episodes(id),
    date                   TEXT NOT NULL,
    occasion               TEXT NOT NULL CHECK (occasion IN ('start','review','exit','other')),
    injecting_days         INTEGER,
    sharing                INTEGER,
    offending_days         INTEGER,
    psychological_health   INTEGER CHECK (psychological_health BETWEEN 0 AND 20),
    physical_health        INTEGER CHECK (physical_health BETWEEN 0 AND 20),
    quality_of_life        INTEGER CHECK (quality_of_life BETWEEN 0 AND 20),
    accommodation          TEXT,
    education_employment   TEXT,
    worker_id              TEXT REFERENCES workers(id),
    created_at             TEXT NOT NULL,
    in_error_at            TEXT,
    in_error_reason        TEXT
);
CREATE INDEX outcome_profiles_episode ON outcome_profiles(episode_id, date, in_error_at);
CREATE INDEX outcome_profiles_date ON outcome_profiles(date);

CREATE TABLE outcome_substance_days (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL REFERENCES outcome_profiles(id),
    substance   TEXT NOT NULL,
    days        INTEGER NOT NULL CHECK (days BETWEEN 0 AND 28),
    UNIQUE (profile_id, substance)
);

CREATE TABLE outcome_ratings (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL REFERENCES outcome_profiles(id),
    area        TEXT NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 20),
    UNIQUE (profile_id, area)
);

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY,
    young_person_id   TEXT NOT NULL REFERENCES young_people(id),
    episode_id        TEXT REFERENCES episodes(id),
    date              TEXT NOT NULL,
    time              TEXT,
    contact_type      TEXT NOT NULL,
    duration_minutes  INTEGER,
    present           TEXT,
    note              TEXT,
    did_not_attend    INTEGER NOT NULL DEFAULT 0,
    dna_follow_up     TEXT,
    dna_followed_up_on TEXT,
    worker_id         TEXT REFERENCES workers(id),
    created_at        TEXT NOT NULL,
    in_error_at       TEXT,
    in_error_reason   TEXT
);
CREATE INDEX contacts_young_person ON contacts(young_person_id, date);
-- "last contact" on the caseload reads this index alone
CREATE INDEX contacts_last ON contacts(young_person_id, date) WHERE in_error_at IS NULL;
CREATE INDEX contacts_episode ON contacts(episode_id, date);
CREATE INDEX contacts_date_type ON contacts(date, contact_type);
CREATE INDEX contacts_dna_open ON contacts(date) WHERE did_not_attend = 1 AND dna_followed_up_on IS NULL;

CREATE TABLE referrals_out (
    id             TEXT PRIMARY KEY,
    episode_id     TEXT NOT NULL REFERENCES episodes(id),
    date           TEXT NOT NULL,
    service        TEXT NOT NULL,
    reason         TEXT,
    joint_working  INTEGER NOT NULL DEFAULT 0,
    worker_id      TEXT REFERENCES workers(id),
    created_at     TEXT NOT NULL,
    in_error_at    TEXT,
    in_error_reason TEXT
);
CREATE INDEX referrals_out_episode ON referrals_out(episode_id, date);

CREATE TABLE follow_ups (
    id           TEXT PRIMARY KEY,
    episode_id   TEXT NOT NULL REFERENCES episodes(id),
    date         TEXT NOT NULL,
    note         TEXT,
    worker_id    TEXT REFERENCES workers(id),
    created_at   TEXT NOT NULL,
    in_error_at  TEXT,
    in_error_reason TEXT
);
CREATE INDEX follow_ups_episode ON follow_ups(episode_id, date, in_error_at);

CREATE TABLE outreach_tallies (
    id                  TEXT PRIMARY KEY,
    date                TEXT NOT NULL,
    setting             TEXT NOT NULL,
    count               INTEGER NOT NULL CHECK (count > 0),
    age_band            TEXT NOT NULL,
    gender              TEXT NOT NULL,
    brief_intervention  TEXT NOT NULL,
    worker_id           TEXT REFERENCES workers(id),
    created_at          TEXT NOT NULL,
    in_error_at         TEXT,
    in_error_reason     TEXT
);
CREATE INDEX outreach_tallies_date ON outreach_tallies(date);

-- Every write, in the same transaction as the write: who, when, which record, what changed.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('insert','update','in_error')),
    -- JSON object: column -> [old, new]
    changes     TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(table_name, record_id);

-- Form drafts saved as the worker types, so a closed terminal loses nothing.
-- Not casework: kept out of the audit log, deleted when the form is saved or discarded.
CREATE TABLE form_drafts (
    form_key    TEXT PRIMARY KEY,
    worker_id   TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    data        TEXT NOT NULL
);
