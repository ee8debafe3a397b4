-- Possible duplicates decided by a person (issue 15). A merged young person is kept, marked
-- entered in error, and names the record it was merged into; everything keyed by it moves.
ALTER TABLE young_people ADD COLUMN merged_into TEXT REFERENCES young_people(id);

-- A person's decision on a possible duplicate. It travels like casework; when two devices
-- decide one item differently, every device keeps both rows and the same one stands (a merge
-- before a dismissal, then the earlier), so the overruled one stays visible.
CREATE TABLE sync_duplicate_decisions (
    id              TEXT PRIMARY KEY,
    duplicate_id    TEXT NOT NULL,
    young_person_a  TEXT NOT NULL REFERENCES young_people(id),
    young_person_b  TEXT NOT NULL REFERENCES young_people(id),
    decision        TEXT NOT NULL CHECK (decision IN ('merge', 'not_duplicate')),
    kept_id         TEXT REFERENCES young_people(id),
    merged_id       TEXT REFERENCES young_people(id),
    decided_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK ((decision = 'merge') = (kept_id IS NOT NULL AND merged_id IS NOT NULL))
);
CREATE INDEX sync_duplicate_decisions_item ON sync_duplicate_decisions(duplicate_id);
CREATE INDEX young_people_merged ON young_people(merged_into) WHERE merged_into IS NOT NULL;
-- A merge (and the settling after each applied bundle) finds records by young person.
CREATE INDEX risk_flags_young_person ON risk_flags(young_person_id);
CREATE INDEX complaints_young_person ON complaints(young_person_id);
CREATE INDEX telephone_messages_young_person ON telephone_messages(young_person_id);
