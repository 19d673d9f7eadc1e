//! Staging of a sharded recompute run: `recompute_parts` holds each shard's chunks (a put
//! deletes the shard's rows and inserts the new ones in one transaction, so a reader sees
//! one put whole), `recompute_done` the shards done. Arguments are checked by the caller.

use rusqlite::{Connection, params};

use super::codec::sql;
use crate::error::StoreError;

pub(crate) fn put_parts(
    connection: &Connection,
    workspace: &str,
    run: &str,
    shard: u32,
    chunks: &[Vec<u8>],
) -> Result<(), StoreError> {
    connection
        .execute(
            "DELETE FROM recompute_parts WHERE workspace = ?1 AND run = ?2 AND shard = ?3",
            params![workspace, run, shard],
        )
        .map_err(sql)?;
    let mut insert = connection
        .prepare_cached(
            "INSERT INTO recompute_parts (workspace, run, shard, idx, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql)?;
    for (index, chunk) in chunks.iter().enumerate() {
        insert
            .execute(params![workspace, run, shard, index as i64, chunk])
            .map_err(sql)?;
    }
    Ok(())
}

pub(crate) fn parts(
    connection: &Connection,
    workspace: &str,
    run: &str,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT data FROM recompute_parts WHERE workspace = ?1 AND run = ?2 ORDER BY shard, idx",
        )
        .map_err(sql)?;
    statement
        .query_map(params![workspace, run], |row| row.get::<_, Vec<u8>>(0))
        .map_err(sql)?
        .map(|row| row.map_err(sql))
        .collect()
}

/// Records the shard (once) and tells whether every shard `0..shards` is recorded.
pub(crate) fn finish_shard(
    connection: &Connection,
    workspace: &str,
    run: &str,
    shard: u32,
    shards: u32,
) -> Result<bool, StoreError> {
    connection
        .execute(
            "INSERT OR IGNORE INTO recompute_done (workspace, run, shard) VALUES (?1, ?2, ?3)",
            params![workspace, run, shard],
        )
        .map_err(sql)?;
    // Shards are distinct and at least 0: `shards` of them below `shards` are all of them.
    let done: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM recompute_done WHERE workspace = ?1 AND run = ?2 AND shard < ?3",
            params![workspace, run, shards],
            |row| row.get(0),
        )
        .map_err(sql)?;
    Ok(done == i64::from(shards))
}

pub(crate) fn delete_run(
    connection: &Connection,
    workspace: &str,
    run: &str,
) -> Result<(), StoreError> {
    for table in ["recompute_parts", "recompute_done"] {
        connection
            .execute(
                &format!("DELETE FROM {table} WHERE workspace = ?1 AND run = ?2"),
                params![workspace, run],
            )
            .map_err(sql)?;
    }
    Ok(())
}
