//! The SQLite schema and its versioned migrations (`PRAGMA user_version`). A migration is
//! applied once, in a transaction, in order; a database newer than this binary is refused.

use rusqlite::Connection;

use crate::error::StoreError;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE api_keys (
    hash        TEXT PRIMARY KEY,
    workspace   TEXT NOT NULL REFERENCES workspaces(id),
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
-- messageId de-duplication; accepted_at in ms since the epoch.
CREATE TABLE message_ids (
    workspace   TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    PRIMARY KEY (workspace, message_id)
) WITHOUT ROWID;
CREATE INDEX message_ids_by_age ON message_ids (accepted_at);
-- Raw identities: 'u:<userId>' or 'a:<anonymousId>'. event_days: sorted i32 LE day numbers.
CREATE TABLE identities (
    workspace   TEXT NOT NULL,
    identity    TEXT NOT NULL,
    linked_to   TEXT,
    traits      TEXT NOT NULL DEFAULT '{}',
    first_seen  INTEGER,
    last_event  INTEGER,
    event_days  BLOB NOT NULL DEFAULT x'',
    PRIMARY KEY (workspace, identity)
) WITHOUT ROWID;
CREATE TABLE accounts (
    workspace   TEXT NOT NULL,
    account     TEXT NOT NULL,
    traits      TEXT NOT NULL DEFAULT '{}',
    first_seen  INTEGER,
    PRIMARY KEY (workspace, account)
) WITHOUT ROWID;
CREATE TABLE memberships (
    workspace   TEXT NOT NULL,
    identity    TEXT NOT NULL,
    account     TEXT NOT NULL,
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace, identity, account)
) WITHOUT ROWID;
-- Per identity, per day, per event counts: the aggregates everything is computed from.
CREATE TABLE daily_usage (
    workspace   TEXT NOT NULL,
    day         INTEGER NOT NULL,
    identity    TEXT NOT NULL,
    event       TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (workspace, day, identity, event)
) WITHOUT ROWID;
CREATE TABLE lifetime_usage (
    workspace   TEXT NOT NULL,
    identity    TEXT NOT NULL,
    event       TEXT NOT NULL,
    count       INTEGER NOT NULL,
    first_day   INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    PRIMARY KEY (workspace, identity, event)
) WITHOUT ROWID;
CREATE TABLE profiles (
    workspace   TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (workspace, id)
) WITHOUT ROWID;
CREATE TABLE computations (
    workspace   TEXT NOT NULL,
    profile     TEXT NOT NULL,
    day         INTEGER NOT NULL,
    computed_at TEXT NOT NULL,
    p90         REAL,
    users       INTEGER NOT NULL,
    accounts    INTEGER NOT NULL,
    PRIMARY KEY (workspace, profile, day)
) WITHOUT ROWID;
-- kind: 'users' | 'accounts'. The sortable numbers sit beside the JSON resource.
CREATE TABLE snapshots (
    workspace    TEXT NOT NULL,
    profile      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    day          INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    score        REAL NOT NULL,
    raw_score    REAL NOT NULL,
    score_change REAL,
    activation   REAL,
    frequency    REAL NOT NULL,
    last_seen    INTEGER,
    segments     TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (workspace, profile, kind, day, subject)
) WITHOUT ROWID;
-- Filters for lists: link = 'segment' or 'account'.
CREATE TABLE snapshot_links (
    workspace   TEXT NOT NULL,
    profile     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    day         INTEGER NOT NULL,
    link        TEXT NOT NULL,
    value       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    PRIMARY KEY (workspace, profile, kind, day, link, value, subject)
) WITHOUT ROWID;
CREATE TABLE segment_spans (
    workspace   TEXT NOT NULL,
    profile     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    segment     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    entered     INTEGER NOT NULL,
    left_on     INTEGER,
    PRIMARY KEY (workspace, profile, kind, segment, subject, entered)
) WITHOUT ROWID;
CREATE INDEX segment_spans_by_subject ON segment_spans (workspace, profile, kind, subject);
"#,
    // 2: a subject's history (single-item reads) without scanning every computed day.
    r#"
CREATE INDEX snapshots_by_subject ON snapshots (workspace, profile, kind, subject, day);
"#,
    // 3: list filters read the snapshot's own JSON lists; the link table cost a row per
    // subject × segment at every recompute.
    r#"
ALTER TABLE snapshots ADD COLUMN accounts TEXT NOT NULL DEFAULT '[]';
DROP TABLE snapshot_links;
"#,
    // 4: segments and alerts — rule state, definitions, alerts with their deliveries, and
    // each account's first use of the events that are core features.
    r#"
CREATE TABLE rule_matches (
    workspace   TEXT NOT NULL,
    profile     TEXT NOT NULL,
    day         INTEGER NOT NULL,
    rule_key    TEXT NOT NULL,
    subjects    TEXT NOT NULL,
    PRIMARY KEY (workspace, profile, day, rule_key)
) WITHOUT ROWID;
CREATE TABLE definitions (
    workspace   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (workspace, kind, id)
) WITHOUT ROWID;
CREATE TABLE alerts (
    workspace       TEXT NOT NULL,
    id              TEXT NOT NULL,
    rule            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    channel         TEXT,
    raised_at       INTEGER NOT NULL,
    status          TEXT NOT NULL,
    next_attempt_at INTEGER,
    alert           TEXT NOT NULL,
    attempts        TEXT NOT NULL,
    PRIMARY KEY (workspace, id)
) WITHOUT ROWID;
CREATE INDEX alerts_due ON alerts (status, next_attempt_at);
CREATE INDEX alerts_by_time ON alerts (workspace, raised_at);
CREATE INDEX alerts_by_rule ON alerts (workspace, rule, subject, raised_at);
CREATE INDEX identities_by_link ON identities (workspace, linked_to);
CREATE TABLE account_first_uses (
    workspace   TEXT NOT NULL,
    account     TEXT NOT NULL,
    event       TEXT NOT NULL,
    first_at    INTEGER NOT NULL,
    identity    TEXT NOT NULL,
    PRIMARY KEY (workspace, account, event)
) WITHOUT ROWID;
"#,
    // 5: staging of sharded recompute runs — each shard's chunks (a put replaces the
    // shard's rows; rowid table: chunks are large) and the set of shards done.
    r#"
CREATE TABLE recompute_parts (
    workspace   TEXT NOT NULL,
    run         TEXT NOT NULL,
    shard       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (workspace, run, shard, idx)
);
CREATE TABLE recompute_done (
    workspace   TEXT NOT NULL,
    run         TEXT NOT NULL,
    shard       INTEGER NOT NULL,
    PRIMARY KEY (workspace, run, shard)
) WITHOUT ROWID;
"#,
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Brings the database to [`SCHEMA_VERSION`].
pub fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let current: usize = connection
        .query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map_err(|error| StoreError::Unavailable(format!("reading the schema version: {error}")))?
        as usize;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Invalid(format!(
            "the data directory was written by a newer Pulse (schema {current}, this binary knows {SCHEMA_VERSION}); upgrade Pulse"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
        let transaction = connection
            .transaction()
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        transaction
            .execute_batch(migration)
            .and_then(|()| transaction.pragma_update(None, "user_version", (index + 1) as i64))
            .and_then(|()| transaction.commit())
            .map_err(|error| {
                StoreError::Unavailable(format!("migrating the schema to {}: {error}", index + 1))
            })?;
    }
    Ok(())
}
