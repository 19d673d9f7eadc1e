//! Staging of a sharded recompute run, all in the run's partition `WS#<ws>#RUN#<run>`:
//!
//! - `P#<shard>#<save>#<index>`: a chunk of one put of a shard (binary `data`, and
//!   `part_shard`, `save_id`, `part_index`);
//! - `S#<shard>`: the shard's current put (`part_shard`, `save_id`, `chunk_count`);
//! - `DONE`: the number set `done` of the shards done.
//!
//! A put writes its chunks under a new save id, then points `S#<shard>` at it (readers
//! switch at once), then deletes the chunks of the put it replaced: a retried shard never
//! mixes with, nor duplicates, an earlier put, even when two invocations of it race. A put
//! that crashed before its switch leaves chunks no pointer names: ignored by readers,
//! removed by [`delete_run`] and by the TTL (`expires_at`, 2 days on every item).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};

use super::attrs::{Item, b, check_size, get_n, get_s, item, n, opt_b, opt_s, s};
use super::db::{Db, QuerySpec, Range, Write};
use super::keys::{self, EXPIRES_AT, entity};
use super::lists::new_save_id;
use super::reads::write_error;
use crate::error::StoreError;
use crate::recompute::{check_chunks, check_run, check_shard, check_split};

/// How long staged items live (TTL): a run's shards and final step take minutes.
const STAGED_FOR: Duration = Duration::days(2);

/// Reads of a run retried when a shard was rewritten while it was read.
const READ_ATTEMPTS: usize = 3;

fn expires_at() -> AttributeValue {
    n((Utc::now() + STAGED_FOR).timestamp())
}

pub(crate) async fn put_parts(
    db: &Db,
    workspace: &str,
    run: &str,
    shard: u32,
    chunks: Vec<Vec<u8>>,
) -> Result<(), StoreError> {
    check_run(run)?;
    check_shard(shard)?;
    check_chunks(&chunks)?;
    let save = new_save_id();
    let expires = expires_at();
    let count = chunks.len();
    let mut writes = Vec::with_capacity(count);
    for (index, data) in chunks.into_iter().enumerate() {
        let mut part = item(
            &keys::recompute_part(workspace, run, shard, &save, index),
            entity::RECOMPUTE_PART,
        );
        part.insert("part_shard".into(), n(shard));
        part.insert("save_id".into(), s(&save));
        part.insert("part_index".into(), n(index));
        // DynamoDB refuses nothing here, but an empty chunk needs no bytes.
        if !data.is_empty() {
            part.insert("data".into(), b(data));
        }
        part.insert(EXPIRES_AT.into(), expires.clone());
        check_size(&part, &format!("recompute chunk {index} of shard {shard}"))?;
        writes.push(Write::Put(part));
    }
    db.batch_write(writes).await?;
    let values = HashMap::from([
        (":et".to_string(), s(entity::RECOMPUTE_SHARD)),
        (":shard".to_string(), n(shard)),
        (":save".to_string(), s(&save)),
        (":chunks".to_string(), n(count)),
        (":expires".to_string(), expires),
    ]);
    let replaced = db
        .update(
            &keys::recompute_shard(workspace, run, shard),
            "SET et = :et, part_shard = :shard, save_id = :save, chunk_count = :chunks, expires_at = :expires",
            None,
            values,
            true,
        )
        .await
        .map_err(write_error)?;
    let Some(replaced) = replaced else {
        return Ok(());
    };
    let old_save = get_s(&replaced, "save_id")?;
    let old_count: usize = get_n(&replaced, "chunk_count")?;
    let stale = (0..old_count)
        .map(|index| Write::Delete(keys::recompute_part(workspace, run, shard, old_save, index)))
        .collect();
    db.batch_write(stale).await
}

/// A shard's current put, as its pointer names it.
struct Pointer {
    save: String,
    chunks: usize,
}

pub(crate) async fn parts(db: &Db, workspace: &str, run: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    check_run(run)?;
    let spec = QuerySpec::table(keys::recompute_run_partition(workspace, run), Range::All);
    for _ in 0..READ_ATTEMPTS {
        let items = db.query(&spec).await?;
        if let Some(parts) = assemble(items)? {
            return Ok(parts);
        }
    }
    Err(StoreError::Unavailable(format!(
        "recompute run `{run}`: shards kept being staged again while it was read; retry"
    )))
}

/// The current chunks in (shard, index) order; `None` when a pointer names chunks the read
/// did not see (the shard was staged again meanwhile: the caller reads again).
fn assemble(items: Vec<Item>) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
    let mut pointers: BTreeMap<u32, Pointer> = BTreeMap::new();
    let mut chunks: HashMap<(u32, String, usize), Item> = HashMap::new();
    for item in items {
        match opt_s(&item, keys::ENTITY)? {
            Some(entity::RECOMPUTE_SHARD) => {
                pointers.insert(
                    get_n(&item, "part_shard")?,
                    Pointer {
                        save: get_s(&item, "save_id")?.to_string(),
                        chunks: get_n(&item, "chunk_count")?,
                    },
                );
            }
            Some(entity::RECOMPUTE_PART) => {
                let key = (
                    get_n(&item, "part_shard")?,
                    get_s(&item, "save_id")?.to_string(),
                    get_n(&item, "part_index")?,
                );
                chunks.insert(key, item);
            }
            _ => {}
        }
    }
    let mut parts = Vec::new();
    for (shard, pointer) in pointers {
        for index in 0..pointer.chunks {
            let Some(chunk) = chunks.remove(&(shard, pointer.save.clone(), index)) else {
                return Ok(None);
            };
            parts.push(opt_b(&chunk, "data")?.unwrap_or_default().to_vec());
        }
    }
    Ok(Some(parts))
}

/// One UpdateItem: `ADD` the shard to the run's set, returning the item after it
/// (`ALL_NEW`: the same single request and units as `UPDATED_NEW`, and the set is there even
/// when the shard was in it already, which moto leaves out of `UPDATED_NEW`).
pub(crate) async fn finish_shard(
    db: &Db,
    workspace: &str,
    run: &str,
    shard: u32,
    shards: u32,
) -> Result<bool, StoreError> {
    check_run(run)?;
    check_split(shard, shards)?;
    let values = HashMap::from([
        (
            ":shard".to_string(),
            AttributeValue::Ns(vec![shard.to_string()]),
        ),
        (":et".to_string(), s(entity::RECOMPUTE_DONE)),
        (":expires".to_string(), expires_at()),
    ]);
    let updated = db
        .update_all_new(
            &keys::recompute_done(workspace, run),
            "ADD done :shard SET et = :et, expires_at = :expires",
            values,
        )
        .await?;
    let done: BTreeSet<u32> = match updated.get("done") {
        Some(AttributeValue::Ns(numbers)) => numbers
            .iter()
            .map(|number| {
                number
                    .parse()
                    .map_err(|_| StoreError::corrupt(format!("a done shard `{number}`")))
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(StoreError::corrupt(format!(
                "the done set of run `{run}` is not a number set: {other:?}"
            )));
        }
    };
    Ok((0..shards).all(|shard| done.contains(&shard)))
}

/// Deletes the current chunks of every shard, the pointers and the done set, without
/// reading the chunks: one Query of the pointers, then BatchWriteItem. Chunks of a put that
/// crashed before its switch (named by no pointer, never read) are left to the TTL.
pub(crate) async fn delete_run(db: &Db, workspace: &str, run: &str) -> Result<(), StoreError> {
    check_run(run)?;
    let pointers = db
        .query(&QuerySpec::table(
            keys::recompute_run_partition(workspace, run),
            Range::Prefix(keys::RECOMPUTE_SHARD_PREFIX.into()),
        ))
        .await?;
    let mut deletes = vec![Write::Delete(keys::recompute_done(workspace, run))];
    for pointer in &pointers {
        let shard: u32 = get_n(pointer, "part_shard")?;
        let save = get_s(pointer, "save_id")?;
        let count: usize = get_n(pointer, "chunk_count")?;
        deletes.extend(
            (0..count).map(|index| {
                Write::Delete(keys::recompute_part(workspace, run, shard, save, index))
            }),
        );
    }
    // The chunks first: a pointer gone with its chunks left would strand them until the TTL.
    db.batch_write(deletes).await?;
    let pointers = pointers
        .iter()
        .map(|pointer| super::attrs::key_of(pointer).map(Write::Delete))
        .collect::<Result<Vec<_>, _>>()?;
    db.batch_write(pointers).await
}
