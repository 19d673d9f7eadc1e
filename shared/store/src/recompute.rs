//! A sharded recompute: which recompute shard an identity belongs to, and the limits every
//! adapter checks on the staging of a run (see [`Store::scoring_data_shard`] and
//! [`Store::put_recompute_parts`]).
//!
//! [`Store::scoring_data_shard`]: crate::Store::scoring_data_shard
//! [`Store::put_recompute_parts`]: crate::Store::put_recompute_parts

use crate::dynamodb::keys;
use crate::error::StoreError;

/// The most shards a recompute may be split into: the DynamoDB adapter's partitions per
/// workspace ([`keys::SHARDS`]), so that every recompute shard reads whole partitions.
pub const MAX_RECOMPUTE_SHARDS: u32 = keys::SHARDS;

/// The largest staged chunk, in bytes: with its key and attributes it stays under
/// DynamoDB's 400 KB item limit. Callers split larger results into several chunks.
pub const MAX_RECOMPUTE_CHUNK_BYTES: usize = 350_000;

/// The longest run id, in characters.
pub const MAX_RUN_ID_CHARS: usize = 100;

/// The recompute shard (`0..shards`) of an identity, by its storage key (`u:<userId>`,
/// `a:<anonymousId>`): its stable FNV-1a partition (one of 16, the DynamoDB adapter's
/// [`keys::shard`]) modulo `shards`. Every adapter assigns identities with this function,
/// so a split is the same whatever the store, and on DynamoDB shard `k` reads exactly the
/// partitions `p` with `p % shards == k`.
///
/// # Panics
///
/// When `shards` is not in `1..=16` ([`MAX_RECOMPUTE_SHARDS`]); the store refuses such a
/// split as `Invalid`.
pub fn recompute_shard_of(identity_key: &str, shards: u32) -> u32 {
    assert!(
        (1..=MAX_RECOMPUTE_SHARDS).contains(&shards),
        "a recompute is split into 1 to {MAX_RECOMPUTE_SHARDS} shards, not {shards}"
    );
    keys::shard(identity_key) % shards
}

/// `shards` in `1..=16` and `shard < shards`.
pub(crate) fn check_split(shard: u32, shards: u32) -> Result<(), StoreError> {
    if !(1..=MAX_RECOMPUTE_SHARDS).contains(&shards) {
        return Err(StoreError::Invalid(format!(
            "a recompute is split into 1 to {MAX_RECOMPUTE_SHARDS} shards, not {shards}"
        )));
    }
    if shard >= shards {
        return Err(StoreError::Invalid(format!(
            "recompute shard {shard} does not exist in a split of {shards} (shards are 0 to {})",
            shards - 1
        )));
    }
    Ok(())
}

/// A shard number any split could have (`< 16`).
pub(crate) fn check_shard(shard: u32) -> Result<(), StoreError> {
    if shard >= MAX_RECOMPUTE_SHARDS {
        return Err(StoreError::Invalid(format!(
            "recompute shard {shard} is out of range (shards are 0 to {})",
            MAX_RECOMPUTE_SHARDS - 1
        )));
    }
    Ok(())
}

/// A run id: 1 to 100 characters, no control characters.
pub(crate) fn check_run(run: &str) -> Result<(), StoreError> {
    let length = run.chars().count();
    if length == 0 || length > MAX_RUN_ID_CHARS {
        return Err(StoreError::Invalid(format!(
            "a recompute run id has 1 to {MAX_RUN_ID_CHARS} characters, not {length}"
        )));
    }
    if run.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "a recompute run id must not contain control characters".into(),
        ));
    }
    Ok(())
}

/// Every chunk at most [`MAX_RECOMPUTE_CHUNK_BYTES`].
pub(crate) fn check_chunks(chunks: &[Vec<u8>]) -> Result<(), StoreError> {
    match chunks
        .iter()
        .position(|chunk| chunk.len() > MAX_RECOMPUTE_CHUNK_BYTES)
    {
        Some(index) => Err(StoreError::Invalid(format!(
            "recompute chunk {index} has {} bytes, over the limit of {MAX_RECOMPUTE_CHUNK_BYTES}: split it",
            chunks[index].len()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recompute_shard_is_the_partition_modulo_the_split() {
        assert_eq!(
            recompute_shard_of("u:u-1", 16),
            15,
            "pinned with keys::shard"
        );
        assert_eq!(recompute_shard_of("u:u-1", 3), 0);
        assert_eq!(recompute_shard_of("u:u-1", 1), 0);
        for n in 0..200 {
            let key = format!("a:anon-{n}");
            assert_eq!(recompute_shard_of(&key, 4), keys::shard(&key) % 4);
        }
    }

    #[test]
    #[should_panic(expected = "1 to 16 shards")]
    fn a_split_into_no_shard_is_a_bug() {
        recompute_shard_of("u:u-1", 0);
    }

    #[test]
    fn splits_runs_and_chunks_are_checked() {
        assert!(check_split(0, 1).is_ok());
        assert!(check_split(15, 16).is_ok());
        assert!(check_split(0, 0).is_err());
        assert!(check_split(0, 17).is_err());
        assert!(check_split(3, 3).is_err());
        assert!(check_shard(15).is_ok());
        assert!(check_shard(16).is_err());
        assert!(check_run("run-1").is_ok());
        assert!(check_run(&"é".repeat(100)).is_ok());
        assert!(check_run("").is_err());
        assert!(check_run(&"r".repeat(101)).is_err());
        assert!(check_run("a\nb").is_err());
        assert!(check_chunks(&[vec![0; MAX_RECOMPUTE_CHUNK_BYTES], Vec::new()]).is_ok());
        assert!(check_chunks(&[vec![0; MAX_RECOMPUTE_CHUNK_BYTES + 1]]).is_err());
    }
}
