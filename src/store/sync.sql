-- Sync through a folder (issue 15). Tables named sync_local*, sync_devices, sync_bundles_out,
-- sync_applied and sync_refused are this device's own bookkeeping and never travel; the
-- others (conflict values, choices, possible duplicates) travel like casework.

-- This database's own device in the team: one row once the database has joined or founded a
-- team. The device id is the audit log's own (audit_device, is_local = 1). The signing key is
-- SQLCipher-encrypted at rest with everything else, and is removed from the team's snapshot.
CREATE TABLE sync_local (
    one               INTEGER PRIMARY KEY CHECK (one = 1),
    team_id           TEXT NOT NULL,
    device_id         TEXT NOT NULL,
    device_name       TEXT NOT NULL,
    secret_key        BLOB NOT NULL,
    public_key        BLOB NOT NULL,
    snapshot_written  INTEGER NOT NULL DEFAULT 1,
    last_sync_at      TEXT
);

-- Every device this one has heard from, with the public key first seen for it (pinned).
CREATE TABLE sync_devices (
    device_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    public_key     BLOB NOT NULL,
    first_seen_at  TEXT NOT NULL
);

-- Each Store::write transaction since the team began, as a session changeset.
CREATE TABLE sync_local_changes (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    permission  TEXT NOT NULL,
    changeset   BLOB NOT NULL,
    audit_from  INTEGER,
    audit_to    INTEGER,
    bundle_seq  INTEGER
);
CREATE INDEX sync_local_changes_bundle ON sync_local_changes(bundle_seq, seq);

-- What each of this device's bundles holds, so a lost bundle file is written again byte for byte.
CREATE TABLE sync_bundles_out (
    bundle_seq    INTEGER PRIMARY KEY,
    first_change  INTEGER NOT NULL,
    last_change   INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    depends       TEXT NOT NULL
);

-- Every bundle applied here, with the digest of its content (a replay is recognised).
CREATE TABLE sync_applied (
    device_id    TEXT NOT NULL,
    bundle_seq   INTEGER NOT NULL,
    last_change  INTEGER NOT NULL,
    digest       BLOB NOT NULL,
    applied_at   TEXT NOT NULL,
    PRIMARY KEY (device_id, bundle_seq)
);

-- Changes refused on apply because their actor did not hold the role for them.
CREATE TABLE sync_refused (
    device_id   TEXT NOT NULL,
    change_seq  INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (device_id, change_seq)
);

-- The audited change that wrote each field's value here, since the team began, and the
-- bundle it travelled in (NULL while it is this device's own and not yet sent). A remote change
-- to a field whose writer it had not seen is concurrent with it: a conflict, even when the
-- values happen to line up.
CREATE TABLE sync_field_versions (
    table_name     TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    column_name    TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    audit_seq      INTEGER NOT NULL,
    origin_bundle  INTEGER,
    PRIMARY KEY (table_name, record_id, column_name)
) WITHOUT ROWID;
CREATE INDEX sync_field_versions_unsent ON sync_field_versions(device_id) WHERE origin_bundle IS NULL;

-- The hash of each record's content as a synced bundle left it here (audit verify --records
-- compares with it when that bundle's rows are the record's latest).
CREATE TABLE sync_attest (
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    row_hash    BLOB NOT NULL,
    at_seq      INTEGER NOT NULL,
    PRIMARY KEY (table_name, record_id)
) WITHOUT ROWID;

-- One value written to a field that another device changed differently at the same time.
-- The id is a hash of the field and the audited change that wrote the value, so every device
-- that sees the collision records the same rows.
CREATE TABLE sync_conflict_values (
    id           TEXT PRIMARY KEY,
    table_name   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    column_name  TEXT NOT NULL,
    value,
    device_id    TEXT NOT NULL,
    audit_seq    INTEGER NOT NULL,
    actor_id     TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX sync_conflict_values_field ON sync_conflict_values(table_name, record_id, column_name);

-- A person's choice of a field's value; it covers the conflict values it settles.
CREATE TABLE sync_choices (
    id           TEXT PRIMARY KEY,
    table_name   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    column_name  TEXT NOT NULL,
    value,
    chosen_by    TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE TABLE sync_choice_covers (
    id          TEXT PRIMARY KEY,
    choice_id   TEXT NOT NULL REFERENCES sync_choices(id),
    value_id    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX sync_choice_covers_value ON sync_choice_covers(value_id);

-- Two young people registered on different devices with the same name and date of birth.
CREATE TABLE sync_possible_duplicates (
    id               TEXT PRIMARY KEY,
    young_person_a   TEXT NOT NULL,
    young_person_b   TEXT NOT NULL
);

-- The audit rows of one device in order (bundles read and import them by device sequence).
CREATE INDEX audit_log_device_seq ON audit_log(device, device_seq);
