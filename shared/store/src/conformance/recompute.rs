//! Checks: a sharded recompute — the shards of a split partition the scoring data, the
//! final step reads every account, and the staging of a run (chunks per shard replaced
//! whole, the set of shards done, cleanup) is exact and per workspace.

use std::collections::{BTreeMap, BTreeSet};

use pulse_core::records::ScoringData;
use pulse_core::{Day, WorkspaceId};
use serde_json::json;

use super::fixtures::{
    alias, batch, canonical, day, group, identify, ingest, new_workspace, scoring_data, track,
    track_in,
};
use crate::{MAX_RECOMPUTE_CHUNK_BYTES, Store, StoreError, StoreResult, recompute_shard_of};

/// Daily usage is read from this day on; the data set has usage before it too.
const USAGE_FROM: &str = "2026-11-29";

/// Several users on several days, two anonymous identities linked to users (identify with
/// both ids, alias), accounts with members, and usage before [`USAGE_FROM`].
async fn ingest_data_set(store: &dyn Store, workspace: &WorkspaceId) {
    ingest(
        store,
        workspace,
        &batch(
            "2026-12-01T18:00:00Z",
            &[
                json!({"type": "page", "messageId": "r1", "anonymousId": "anon-1",
                       "timestamp": "2026-11-29T08:00:00Z"}),
                json!({"type": "page", "messageId": "r2", "anonymousId": "anon-2",
                       "timestamp": "2026-11-28T08:00:00Z"}),
                json!({"type": "identify", "messageId": "r3", "userId": "ann",
                       "anonymousId": "anon-1", "traits": {"plan": "pro"},
                       "timestamp": "2026-11-29T09:00:00Z"}),
                group(
                    "r4",
                    "ann",
                    "acme-inc",
                    json!({"name": "Acme Inc"}),
                    "2026-11-29T09:05:00Z",
                ),
                track("r5", "ann", "Report Created", "2026-11-30T10:00:00Z"),
                track("r6", "ann", "Report Created", "2026-12-01T10:00:00Z"),
                track_in(
                    "r7",
                    "bob",
                    "Report Created",
                    "acme-inc",
                    "2026-11-28T11:00:00Z",
                ),
                track_in(
                    "r8",
                    "bob",
                    "Invite Sent",
                    "acme-inc",
                    "2026-11-30T11:00:00Z",
                ),
                alias("r9", "anon-2", "bob", "2026-11-30T12:00:00Z"),
                group(
                    "r10",
                    "cid",
                    "globex",
                    json!({"plan": "free"}),
                    "2026-11-30T13:00:00Z",
                ),
                track("r11", "cid", "Invite Sent", "2026-12-01T13:00:00Z"),
                identify(
                    "r12",
                    "dee",
                    json!({"role": "admin"}),
                    "2026-11-29T14:00:00Z",
                ),
                track("r13", "dee", "Report Created", "2026-11-29T14:05:00Z"),
                track("r14", "eve", "Report Created", "2026-11-30T15:00:00Z"),
                track("r15", "fay", "Invite Sent", "2026-12-01T16:00:00Z"),
                track("r16", "gus", "Report Created", "2026-11-28T17:00:00Z"),
                track("r17", "gus", "Report Created", "2026-12-01T17:00:00Z"),
            ],
        ),
    )
    .await;
}

async fn shard_of_data(
    store: &dyn Store,
    workspace: &WorkspaceId,
    shard: u32,
    shards: u32,
) -> ScoringData {
    store
        .scoring_data_shard(workspace, day(USAGE_FROM), shard, shards)
        .await
        .unwrap_or_else(|error| {
            panic!("reading recompute shard {shard} of {shards} of `{workspace}`: {error}")
        })
}

pub async fn recompute_shards_split_the_scoring_data_exactly(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest_data_set(store, &acme).await;
    let whole = scoring_data(store, &acme, USAGE_FROM).await;
    let days: BTreeSet<Day> = whole.usage.iter().map(|row| row.day).collect();
    assert!(
        whole.identities.len() >= 9 && days.len() >= 3 && !whole.accounts.is_empty(),
        "the data set has many identities, usage on several days and accounts: {whole:?}"
    );
    let mut expected = canonical(whole);
    expected.accounts.clear();

    for shards in [1, 3, 16] {
        let mut union = ScoringData::default();
        let mut owner: BTreeMap<String, u32> = BTreeMap::new();
        let mut used = 0;
        for shard in 0..shards {
            let part = shard_of_data(store, &acme, shard, shards).await;
            assert!(
                part.accounts.is_empty(),
                "shard {shard} of {shards} must leave accounts empty, got {:?}",
                part.accounts
            );
            for record in &part.identities {
                assert_eq!(
                    recompute_shard_of(&record.key, shards),
                    shard,
                    "`{}` is in shard {shard} of {shards}, not in recompute_shard_of's",
                    record.key
                );
                if let Some(other) = owner.insert(record.key.clone(), shard) {
                    panic!(
                        "`{}` appears twice in a split into {shards}: shards {other} and {shard}",
                        record.key
                    );
                }
            }
            for identity in part
                .usage
                .iter()
                .map(|row| &row.identity)
                .chain(part.lifetime.iter().map(|row| &row.identity))
            {
                assert_eq!(
                    recompute_shard_of(identity, shards),
                    shard,
                    "shard {shard} of {shards} returned usage of `{identity}`, another shard's"
                );
            }
            used += usize::from(!part.identities.is_empty());
            union.identities.extend(part.identities);
            union.usage.extend(part.usage);
            union.lifetime.extend(part.lifetime);
        }
        if shards > 1 {
            assert!(
                used >= 2,
                "the data set spreads over several of {shards} shards (only {used} used)"
            );
        }
        assert_eq!(
            canonical(union),
            expected,
            "the shards of a split into {shards} together must be scoring_data without accounts"
        );
    }
}

fn assert_invalid<T: std::fmt::Debug>(result: StoreResult<T>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "{what} must be refused as Invalid, got {result:?}"
    );
}

pub async fn invalid_recompute_shard_arguments_are_refused(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let from = day(USAGE_FROM);
    for (shard, shards) in [(0, 0), (0, 17), (3, 3), (4, 3), (16, 16)] {
        assert_invalid(
            store.scoring_data_shard(&acme, from, shard, shards).await,
            &format!("scoring_data_shard({shard}, {shards})"),
        );
        assert_invalid(
            store
                .finish_recompute_shard(&acme, "run", shard, shards)
                .await,
            &format!("finish_recompute_shard({shard}, {shards})"),
        );
    }
    assert_invalid(
        store
            .put_recompute_parts(&acme, "run", 16, vec![b"x".to_vec()])
            .await,
        "staging shard 16",
    );
    let too_long = "r".repeat(101);
    for run in ["", too_long.as_str(), "line\nbreak"] {
        let what = format!("run id {run:?}");
        assert_invalid(
            store
                .put_recompute_parts(&acme, run, 0, vec![b"x".to_vec()])
                .await,
            &what,
        );
        assert_invalid(store.recompute_parts(&acme, run).await, &what);
        assert_invalid(store.finish_recompute_shard(&acme, run, 0, 1).await, &what);
        assert_invalid(store.delete_recompute_run(&acme, run).await, &what);
    }
    assert_eq!(
        parts(store, &acme, "run").await,
        Vec::<Vec<u8>>::new(),
        "a refused put stages nothing"
    );
    assert!(
        !finish(store, &acme, "run", 0, 2).await,
        "a refused finish records nothing"
    );

    let longest = "é".repeat(100);
    put(store, &acme, &longest, 0, &[b"ok"]).await;
    assert_eq!(
        parts(store, &acme, &longest).await,
        vec![b"ok".to_vec()],
        "a run id of 100 characters is valid"
    );
    let empty = shard_of_data(store, &acme, 15, 16).await;
    assert!(
        empty.identities.is_empty() && empty.usage.is_empty() && empty.lifetime.is_empty(),
        "the last shard of 16 is valid, and empty in an empty workspace"
    );
}

pub async fn account_records_are_every_account_of_the_workspace(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    ingest_data_set(store, &acme).await;
    let mut expected = scoring_data(store, &acme, USAGE_FROM).await.accounts;
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        expected.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["acme-inc", "globex"]
    );

    let mut accounts = store
        .account_records(&acme)
        .await
        .unwrap_or_else(|error| panic!("reading the accounts of `acme`: {error}"));
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        accounts, expected,
        "account_records must be scoring_data's accounts"
    );
    assert_eq!(
        store.account_records(&globex).await.unwrap(),
        Vec::new(),
        "workspaces are isolated"
    );
}

async fn put(store: &dyn Store, workspace: &WorkspaceId, run: &str, shard: u32, chunks: &[&[u8]]) {
    store
        .put_recompute_parts(
            workspace,
            run,
            shard,
            chunks.iter().map(|chunk| chunk.to_vec()).collect(),
        )
        .await
        .unwrap_or_else(|error| panic!("staging shard {shard} of run `{run}`: {error}"));
}

async fn parts(store: &dyn Store, workspace: &WorkspaceId, run: &str) -> Vec<Vec<u8>> {
    store
        .recompute_parts(workspace, run)
        .await
        .unwrap_or_else(|error| panic!("reading the chunks of run `{run}`: {error}"))
}

async fn finish(
    store: &dyn Store,
    workspace: &WorkspaceId,
    run: &str,
    shard: u32,
    shards: u32,
) -> bool {
    store
        .finish_recompute_shard(workspace, run, shard, shards)
        .await
        .unwrap_or_else(|error| {
            panic!("finishing shard {shard} of {shards} of run `{run}`: {error}")
        })
}

fn bytes(chunks: &[&str]) -> Vec<Vec<u8>> {
    chunks
        .iter()
        .map(|chunk| chunk.as_bytes().to_vec())
        .collect()
}

pub async fn staged_chunks_read_back_in_shard_order_and_a_put_replaces_its_shard(
    store: &dyn Store,
) {
    let acme = new_workspace(store, "acme").await;
    let run = "2026-12-01T18:00:00Z#full";
    assert_eq!(parts(store, &acme, run).await, Vec::<Vec<u8>>::new());
    let many: Vec<String> = (0..12).map(|index| format!("b{index:02}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();

    put(store, &acme, run, 10, &[b"k0", b"k1"]).await;
    put(
        store,
        &acme,
        run,
        2,
        &many.iter().map(|c| c.as_bytes()).collect::<Vec<_>>(),
    )
    .await;
    put(store, &acme, run, 0, &[b"a0", b"", b"a2"]).await;
    put(store, &acme, run, 5, &[]).await;
    let mut expected = bytes(&["a0", "", "a2"]);
    expected.extend(bytes(&many));
    expected.extend(bytes(&["k0", "k1"]));
    assert_eq!(
        parts(store, &acme, run).await,
        expected,
        "chunks in (shard, index) order, an empty chunk kept, shard 10 after shard 2"
    );

    put(store, &acme, run, 2, &[b"retry-0", b"retry-1"]).await;
    assert_eq!(
        parts(store, &acme, run).await,
        bytes(&["a0", "", "a2", "retry-0", "retry-1", "k0", "k1"]),
        "a shard staged again with fewer chunks leaves none of its earlier ones"
    );
    put(store, &acme, run, 10, &[b"x0", b"x1", b"x2"]).await;
    put(store, &acme, run, 0, &[]).await;
    assert_eq!(
        parts(store, &acme, run).await,
        bytes(&["retry-0", "retry-1", "x0", "x1", "x2"]),
        "a shard staged again with more chunks, or none, replaces its chunks exactly"
    );
    put(store, &acme, run, 10, &[b"x0", b"x1", b"x2"]).await;
    assert_eq!(
        parts(store, &acme, run).await,
        bytes(&["retry-0", "retry-1", "x0", "x1", "x2"]),
        "the same put twice stages its chunks once"
    );
    assert_eq!(
        parts(store, &acme, "2026-12-01T18:00:00Z").await,
        Vec::<Vec<u8>>::new(),
        "another run (a prefix of this one) sees none of them"
    );
}

pub async fn finishing_completes_a_run_only_when_every_distinct_shard_is_done(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let run = "run-1";
    assert!(!finish(store, &acme, run, 1, 3).await, "1 of 3 done");
    assert!(
        !finish(store, &acme, run, 1, 3).await,
        "shard 1 finished again still counts once"
    );
    assert!(!finish(store, &acme, run, 0, 3).await, "2 of 3 done");
    assert!(
        !finish(store, &acme, "run-2", 2, 3).await,
        "another run does not see run-1's shards"
    );
    assert!(
        finish(store, &acme, run, 2, 3).await,
        "the last distinct shard completes the set"
    );
    assert!(
        finish(store, &acme, run, 2, 3).await,
        "a repeated finish after completion still reports the set complete"
    );
    assert!(
        finish(store, &acme, "solo", 0, 1).await,
        "a run of one shard completes with it"
    );
    assert!(!finish(store, &acme, "run-2", 0, 3).await);
    assert!(finish(store, &acme, "run-2", 1, 3).await);
}

pub async fn a_chunk_over_the_limit_is_refused_and_changes_nothing(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let run = "run-1";
    put(store, &acme, run, 1, &[b"before"]).await;

    let refused = store
        .put_recompute_parts(
            &acme,
            run,
            1,
            vec![b"small".to_vec(), vec![1; MAX_RECOMPUTE_CHUNK_BYTES + 1]],
        )
        .await;
    assert_invalid(refused, "a chunk of 350,001 bytes");
    assert_eq!(
        parts(store, &acme, run).await,
        bytes(&["before"]),
        "a refused put leaves the shard's chunks as they were"
    );

    let largest: Vec<u8> = (0..MAX_RECOMPUTE_CHUNK_BYTES)
        .map(|index| (index % 251) as u8)
        .collect();
    put(store, &acme, run, 0, &[&largest]).await;
    let read = parts(store, &acme, run).await;
    assert_eq!(read.len(), 2, "a chunk of exactly 350,000 bytes is staged");
    assert!(
        read[0] == largest,
        "the 350,000-byte chunk reads back exactly"
    );
    assert_eq!(read[1], b"before");
}

pub async fn deleting_a_run_removes_its_chunks_and_finished_shards(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let run = "run-1";
    put(store, &acme, run, 0, &[b"a0", b"a1"]).await;
    put(store, &acme, run, 1, &[b"b0"]).await;
    put(store, &acme, run, 1, &[b"b0-again", b"b1-again"]).await;
    put(store, &acme, "run-2", 0, &[b"kept"]).await;
    assert!(!finish(store, &acme, run, 0, 2).await);
    assert!(finish(store, &acme, run, 1, 2).await);
    assert!(!finish(store, &acme, "run-2", 0, 2).await);

    store
        .delete_recompute_run(&acme, run)
        .await
        .unwrap_or_else(|error| panic!("deleting run `{run}`: {error}"));

    assert_eq!(
        parts(store, &acme, run).await,
        Vec::<Vec<u8>>::new(),
        "no chunk of a deleted run is left"
    );
    assert!(
        !finish(store, &acme, run, 0, 2).await,
        "the deleted run's finished shards are forgotten"
    );
    assert_eq!(
        parts(store, &acme, "run-2").await,
        bytes(&["kept"]),
        "other runs are untouched"
    );
    assert!(
        finish(store, &acme, "run-2", 1, 2).await,
        "other runs keep their finished shards"
    );
    store
        .delete_recompute_run(&acme, "never-staged")
        .await
        .unwrap_or_else(|error| panic!("deleting a run never staged: {error}"));
}

pub async fn recompute_runs_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let run = "run-1";
    put(store, &acme, run, 0, &[b"acme"]).await;
    put(store, &globex, run, 1, &[b"globex"]).await;

    assert_eq!(parts(store, &acme, run).await, bytes(&["acme"]));
    assert_eq!(parts(store, &globex, run).await, bytes(&["globex"]));
    assert!(!finish(store, &acme, run, 0, 2).await);
    assert!(
        !finish(store, &globex, run, 1, 2).await,
        "acme's finished shard 0 does not complete globex's run"
    );

    store.delete_recompute_run(&acme, run).await.unwrap();
    assert_eq!(parts(store, &acme, run).await, Vec::<Vec<u8>>::new());
    assert_eq!(
        parts(store, &globex, run).await,
        bytes(&["globex"]),
        "deleting acme's run leaves globex's"
    );
    assert!(finish(store, &globex, run, 0, 2).await);
}
