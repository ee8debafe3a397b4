-- Follow-ups after a completed episode (S §20.5, issue 17): how and with what outcome each
-- was attempted. Rows from before this migration have no outcome: they were follow-ups done,
-- and are read as "reached".
ALTER TABLE follow_ups ADD COLUMN method TEXT;
ALTER TABLE follow_ups ADD COLUMN outcome TEXT;
ALTER TABLE follow_ups ADD COLUMN substance_use TEXT;
ALTER TABLE follow_ups ADD COLUMN re_referral INTEGER;
ALTER TABLE follow_ups ADD COLUMN reason TEXT;

-- An after-exit clock (exit TOP, 3- or 6-month follow-up) a worker closed with a reason,
-- directly or through a follow-up with a closing outcome (then follow_up_id names it).
CREATE TABLE clock_closures (
    id              TEXT PRIMARY KEY,
    episode_id      TEXT NOT NULL REFERENCES episodes(id),
    clock           TEXT NOT NULL CHECK (clock IN ('top_exit','follow_up_3m','follow_up_6m')),
    closed_on       TEXT NOT NULL,
    reason          TEXT NOT NULL,
    follow_up_id    TEXT REFERENCES follow_ups(id),
    worker_id       TEXT REFERENCES workers(id),
    created_at      TEXT NOT NULL,
    in_error_at     TEXT,
    in_error_reason TEXT
);
CREATE INDEX clock_closures_episode ON clock_closures(episode_id, in_error_at);

-- Exited episodes whose after-exit work may still be open: the due-list reads these instead
-- of every closed episode. Derived, not casework (so not audited): kept by the store's write
-- path (`Tx`) whenever an episode, TOP, follow-up or closure is written. Unplanned exits stay
-- listed (the planned category lives in the code lists); the due-list reads only the planned
-- reasons, through the index.
CREATE TABLE after_exit_open (
    episode_id   TEXT PRIMARY KEY REFERENCES episodes(id),
    exit_reason  TEXT NOT NULL,
    exit_date    TEXT NOT NULL
);
CREATE INDEX after_exit_open_reason ON after_exit_open(exit_reason, episode_id);

-- Open episodes, for the due-list without reading closed ones.
CREATE INDEX episodes_open ON episodes(referral_date) WHERE exit_date IS NULL AND in_error_at IS NULL;

INSERT INTO after_exit_open (episode_id, exit_reason, exit_date)
SELECT e.id, coalesce(e.exit_reason, ''), e.exit_date FROM episodes e
 WHERE e.exit_date IS NOT NULL AND e.in_error_at IS NULL AND NOT (
       (EXISTS (SELECT 1 FROM outcome_profiles t WHERE t.episode_id = e.id
                   AND t.in_error_at IS NULL AND t.date >= date(e.exit_date, '-14 days')))
   AND (SELECT count(DISTINCT f.date) FROM follow_ups f WHERE f.episode_id = e.id
           AND f.in_error_at IS NULL AND f.date > e.exit_date) >= 2);
