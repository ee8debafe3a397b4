-- Migration 2: the audit log's chained compact form (see src/store/audit.rs). The first
-- schema's rows are converted by the migration's Rust hook in this same transaction.

-- Devices whose audit rows this file holds; `is_local` marks this database's own.
CREATE TABLE audit_device (
    n          INTEGER PRIMARY KEY,
    device_id  TEXT NOT NULL UNIQUE,
    is_local   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX audit_device_local ON audit_device(is_local) WHERE is_local = 1;

DROP INDEX audit_log_record;
ALTER TABLE audit_log RENAME TO audit_log_v1;

-- Every write and every view of a young person's record, hash-chained per device.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    device      INTEGER NOT NULL REFERENCES audit_device(n),
    device_seq  INTEGER NOT NULL,
    at          INTEGER NOT NULL,          -- Unix seconds, UTC
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('insert','update','in_error','view')),
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    changes     BLOB,                      -- compact (column, old, new) triples; for a view, what was seen
    row_hash    BLOB,                      -- SHA-256 of the record's content after the write
    hash        BLOB NOT NULL              -- SHA-256(previous hash || canonical content)
);
CREATE INDEX audit_log_record ON audit_log(table_name, record_id);
