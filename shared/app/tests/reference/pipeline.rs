//! The pipeline route: the raw calls go through `App::ingest` (batched by the moment they
//! were received, as clients flush them) into an embedded SQLite store; `App::recompute`
//! runs each computed day oldest first; every user and account resource is read back
//! page by page from the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use pulse_app::ingest::IngestBody;
use pulse_app::{App, AppConfig, ManualClock};
use pulse_core::{BatchDefaults, Day, Profile, Slug, SubjectKind, WorkspaceId};
use pulse_store::sqlite::SqliteStore;
use pulse_store::{ListQuery, Sort, SortField};
use serde_json::Value;

use super::generator::RawCall;

/// Resources read back for one profile and day, by subject id.
pub struct Resources {
    pub users: BTreeMap<String, Value>,
    pub accounts: BTreeMap<String, Value>,
}

pub struct Pipeline {
    pub app: App,
    pub workspace: WorkspaceId,
    /// Recompute in this many shards (`App::recompute_shard`) instead of one pass.
    shards: Option<u32>,
    _data: tempfile::TempDir,
}

impl Pipeline {
    /// A fresh store with the calls ingested, `now` being after the last one arrived.
    pub async fn with_calls(calls: &[RawCall], now: DateTime<Utc>) -> Pipeline {
        let data = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(data.path()).expect("the store opens");
        let app = App::new(
            Arc::new(store),
            Arc::new(ManualClock::new(now)),
            AppConfig::default(),
        );
        let created = app
            .create_workspace("reference check")
            .await
            .expect("workspace");
        let workspace = Slug::parse(&created.workspace).expect("a workspace id");
        let mut start = 0;
        while start < calls.len() {
            let received_at = calls[start].received_at;
            let mut end = start;
            while end < calls.len() && calls[end].received_at == received_at && end - start < 2_000
            {
                end += 1;
            }
            let body = IngestBody {
                write_key: None,
                defaults: BatchDefaults::default(),
                calls: calls[start..end]
                    .iter()
                    .map(|call| Ok(call.body.clone()))
                    .collect(),
                fixed_type: None,
            };
            let report = app
                .ingest(&workspace, body, received_at)
                .await
                .expect("ingest");
            assert!(
                report.rejected.is_empty(),
                "rejected calls: {:?}",
                report.rejected
            );
            start = end;
        }
        Pipeline {
            app,
            workspace,
            shards: None,
            _data: data,
        }
    }

    /// Recomputes in `shards` shards, run last-first, the last one to run finishing the run.
    pub fn sharded(mut self, shards: u32) -> Pipeline {
        self.shards = Some(shards);
        self
    }

    pub async fn apply(&self, yaml: &str) -> Profile {
        self.app
            .apply_profile(&self.workspace, None, yaml.as_bytes())
            .await
            .expect("the profile is valid")
    }

    pub async fn recompute(&self, profile: &Profile, day: NaiveDate) {
        let Some(shards) = self.shards else {
            self.app
                .recompute(&self.workspace, profile, Some(to_day(day)))
                .await
                .expect("recompute");
            return;
        };
        let run = format!("check-{}-{day}", profile.id);
        let mut identities = 0;
        for (position, shard) in (0..shards).rev().enumerate() {
            let outcome = self
                .app
                .recompute_shard(
                    &self.workspace,
                    profile.id.as_str(),
                    to_day(day),
                    &run,
                    shard,
                    shards,
                )
                .await
                .expect("a recompute shard");
            identities += outcome.identities;
            let last = position + 1 == shards as usize;
            assert_eq!(
                outcome.finished.is_some(),
                last,
                "only the shard that completes the run finishes it: {outcome:?}"
            );
        }
        assert!(identities > 0, "the shards measured nobody");
    }

    pub async fn read(&self, profile: &Profile, day: NaiveDate) -> Resources {
        Resources {
            users: self.read_kind(profile, SubjectKind::Users, day).await,
            accounts: self.read_kind(profile, SubjectKind::Accounts, day).await,
        }
    }

    async fn read_kind(
        &self,
        profile: &Profile,
        kind: SubjectKind,
        day: NaiveDate,
    ) -> BTreeMap<String, Value> {
        let mut all = BTreeMap::new();
        let mut cursor = None;
        loop {
            let query = ListQuery {
                segment: None,
                account: None,
                sort: Sort {
                    field: SortField::Id,
                    descending: false,
                },
                limit: 37,
                cursor,
            };
            let page = self
                .app
                .store
                .snapshots(
                    &self.workspace,
                    profile.id.as_str(),
                    kind,
                    to_day(day),
                    &query,
                )
                .await
                .expect("snapshots");
            for item in page.items {
                let id = item["id"]
                    .as_str()
                    .expect("resources have an id")
                    .to_string();
                assert!(all.insert(id.clone(), item).is_none(), "{id} listed twice");
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return all,
            }
        }
    }
}

fn to_day(day: NaiveDate) -> Day {
    day.to_string().parse().expect("a day")
}
