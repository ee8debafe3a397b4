-- The mentoring project (L §5–7, §10.3 B): volunteer mentors, their drives, training and
-- support, matches with young people's episodes, mentor sessions, complaints, telephone
-- messages. Nothing is deleted; rows entered in error are marked so.

CREATE TABLE recruitment_drives (
    id              TEXT PRIMARY KEY,
    start_date      TEXT NOT NULL,
    end_date        TEXT,
    title           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    in_error_at     TEXT,
    in_error_reason TEXT
);
CREATE INDEX recruitment_drives_start ON recruitment_drives(start_date);

CREATE TABLE mentors (
    id                   TEXT PRIMARY KEY,
    given_name           TEXT NOT NULL,
    family_name          TEXT NOT NULL,
    gender               TEXT,
    ethnicity            TEXT,
    languages            TEXT,
    recruited_on         TEXT,
    recruitment_drive_id TEXT REFERENCES recruitment_drives(id),
    check_date           TEXT,
    check_result         TEXT,
    references_on        TEXT,
    commitment_start     TEXT,
    tier1_on             TEXT,
    tier2_on             TEXT,
    status               TEXT NOT NULL,
    left_on              TEXT,
    leaving_reason       TEXT,
    created_at           TEXT NOT NULL,
    in_error_at          TEXT,
    in_error_reason      TEXT
);
CREATE INDEX mentors_recruited ON mentors(recruited_on);
CREATE INDEX mentors_left ON mentors(left_on);

-- Training sessions and courses, support sessions, group programme and workshops.
CREATE TABLE mentoring_events (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    date            TEXT NOT NULL,
    title           TEXT NOT NULL,
    facilitator     TEXT,
    created_at      TEXT NOT NULL,
    in_error_at     TEXT,
    in_error_reason TEXT
);
CREATE INDEX mentoring_events_date ON mentoring_events(date, kind);

-- Who attended: a mentor or a young person (one of the two).
CREATE TABLE mentoring_event_attendance (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES mentoring_events(id),
    mentor_id        TEXT REFERENCES mentors(id),
    young_person_id  TEXT REFERENCES young_people(id),
    created_at       TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT,
    CHECK ((mentor_id IS NULL) <> (young_person_id IS NULL))
);
CREATE INDEX mentoring_event_attendance_event ON mentoring_event_attendance(event_id);
CREATE INDEX mentoring_event_attendance_mentor ON mentoring_event_attendance(mentor_id);
CREATE INDEX mentoring_event_attendance_yp ON mentoring_event_attendance(young_person_id);

-- What the young person said they would like in a mentor (L §7.1 b).
CREATE TABLE mentoring_preferences (
    id               TEXT PRIMARY KEY,
    episode_id       TEXT NOT NULL UNIQUE REFERENCES episodes(id),
    mentor_gender    TEXT,
    same_background  INTEGER NOT NULL DEFAULT 0,
    language         TEXT,
    created_at       TEXT NOT NULL
);

CREATE TABLE mentor_matches (
    id              TEXT PRIMARY KEY,
    episode_id      TEXT NOT NULL REFERENCES episodes(id),
    mentor_id       TEXT NOT NULL REFERENCES mentors(id),
    start_date      TEXT NOT NULL,
    end_date        TEXT,
    end_reason      TEXT,
    created_at      TEXT NOT NULL,
    in_error_at     TEXT,
    in_error_reason TEXT
);
CREATE INDEX mentor_matches_episode ON mentor_matches(episode_id);
CREATE INDEX mentor_matches_mentor ON mentor_matches(mentor_id);
CREATE INDEX mentor_matches_open ON mentor_matches(mentor_id) WHERE end_date IS NULL AND in_error_at IS NULL;

-- A mentor session is also a contact (type mentor_session) so it shows in the case view and
-- counts in the return; this row adds the match, the attendance, the place and the activity.
CREATE TABLE mentor_sessions (
    id              TEXT PRIMARY KEY,
    contact_id      TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    match_id        TEXT NOT NULL REFERENCES mentor_matches(id),
    date            TEXT NOT NULL,
    attendance      TEXT NOT NULL,
    place           TEXT,
    activity        TEXT,
    created_at      TEXT NOT NULL,
    in_error_at     TEXT,
    in_error_reason TEXT
);
CREATE INDEX mentor_sessions_match ON mentor_sessions(match_id, date);
CREATE INDEX mentor_sessions_date ON mentor_sessions(date);

CREATE TABLE complaints (
    id               TEXT PRIMARY KEY,
    received_on      TEXT NOT NULL,
    young_person_id  TEXT REFERENCES young_people(id),
    about            TEXT NOT NULL,
    outcome          TEXT,
    outcome_on       TEXT,
    created_at       TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT
);
CREATE INDEX complaints_received ON complaints(received_on);

CREATE TABLE telephone_messages (
    id               TEXT PRIMARY KEY,
    received_on      TEXT NOT NULL,
    from_whom        TEXT NOT NULL,
    young_person_id  TEXT REFERENCES young_people(id),
    about            TEXT,
    answered_on      TEXT,
    created_at       TEXT NOT NULL,
    in_error_at      TEXT,
    in_error_reason  TEXT
);
CREATE INDEX telephone_messages_open ON telephone_messages(received_on) WHERE answered_on IS NULL AND in_error_at IS NULL;
