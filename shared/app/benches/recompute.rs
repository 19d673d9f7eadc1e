//! Recompute time for a workspace of N users over a 7-day window: load the aggregates
//! from SQLite, assemble, score users and accounts, save every snapshot and segment span.
//!
//! `cargo bench -p pulse-app --bench recompute` (env PULSE_BENCH_USERS="10000,100000";
//! PULSE_BENCH_SHARDS=S recomputes in S shards instead of one pass).

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use pulse_app::{App, AppConfig, ManualClock};
use pulse_core::records::{assemble_parts, encode_parts};
use pulse_core::{Call, CallType, Day, EventName, Profile};
use pulse_store::sqlite::SqliteStore;
use pulse_store::{AcceptedCall, IngestBatch};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PROFILE: &str = "id: cs\nwindow_days: 7\nevents: {Report Created: 10, Dashboard Shared: 8, Invite Sent: 5, Viewed Page: 1}\n\
core_features: [Report Created]\nactivation:\n - {name: invites, event: Invite Sent, min_count: 2}\n - {name: size, trait: employees}\n";
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
const EVENTS: [&str; 5] = [
    "Report Created",
    "Dashboard Shared",
    "Invite Sent",
    "Viewed Page",
    "Logged In",
];

fn main() {
    pulse_app::telemetry::init(false, "warn");
    let sizes: Vec<usize> = std::env::var("PULSE_BENCH_USERS")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for users in sizes {
        runtime.block_on(bench(users));
    }
}

async fn bench(users: usize) {
    let as_of = Day::from_ymd(2026, 12, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(as_of.end_exclusive());
    let app = App::new(
        Arc::new(SqliteStore::open(dir.path()).unwrap()),
        Arc::new(clock),
        AppConfig::default(),
    );
    let workspace =
        pulse_core::Slug::parse(&app.create_workspace("bench").await.unwrap().workspace).unwrap();
    let loading = Instant::now();
    let mut rng = StdRng::seed_from_u64(users as u64);
    let mut calls = Vec::new();
    let mut events = 0usize;
    let mut known_users = 0usize;
    for user in 0..users {
        let before = events;
        let account = format!("acct-{}", user / 20);
        let active_days = rng.random_range(0..=5);
        if active_days == 0 {
            // Known but inactive this week: one event a month ago.
            calls.push(call(user, &account, "Viewed Page", as_of.plus(-30).start()));
            events += 1;
        }
        for _ in 0..active_days {
            let day = as_of.plus(-rng.random_range(0..7));
            for _ in 0..rng.random_range(1..=6) {
                let event = EVENTS[rng.random_range(0..EVENTS.len())];
                calls.push(call(
                    user,
                    &account,
                    event,
                    day.start() + Duration::hours(rng.random_range(8..18)),
                ));
                events += 1;
            }
        }
        if user % 3 == 0 {
            calls.push(call(user, &account, "Invite Sent", as_of.plus(-30).start()));
            events += 1;
        }
        known_users += usize::from(events > before);
        if calls.len() >= 2_000 {
            ingest(&app, &workspace, std::mem::take(&mut calls)).await;
        }
    }
    ingest(&app, &workspace, calls).await;
    let loaded = loading.elapsed();
    let profile = Profile::parse(PROFILE).unwrap();
    app.store.put_profile(&workspace, &profile).await.unwrap();
    let shards: u32 = std::env::var("PULSE_BENCH_SHARDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1);
    println!(
        "recompute: {known_users} users, {} accounts, {events} events over 7 days (+ older history); loaded in {:.1} s",
        users.div_ceil(20),
        loaded.as_secs_f64()
    );
    if shards > 1 {
        sharded(&app, &workspace, &profile, as_of, shards, known_users).await;
        return;
    }
    let mut runs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let summary = app
            .recompute(&workspace, &profile, Some(as_of))
            .await
            .unwrap();
        runs.push(started.elapsed());
        assert_eq!(
            summary.users, known_users,
            "every user with a call is scored"
        );
    }
    runs.sort();
    println!(
        "  recompute (7-day window): min {:.2} s, median {:.2} s, max {:.2} s",
        runs[0].as_secs_f64(),
        runs[1].as_secs_f64(),
        runs[2].as_secs_f64()
    );
}

/// PULSE_BENCH_SHARDS=S: the same recompute as S shards run one after the other (on AWS
/// they run in parallel), then the normalisation by the last one; what each step takes and
/// how many bytes a shard stages per identity.
async fn sharded(
    app: &App,
    workspace: &pulse_core::WorkspaceId,
    profile: &Profile,
    as_of: Day,
    shards: u32,
    known_users: usize,
) {
    let period_from = as_of.plus(1 - profile.window_days as i32);
    let mut staged = 0usize;
    let mut identities = 0usize;
    for shard in 0..shards {
        let data = app
            .store
            .scoring_data_shard(workspace, period_from, shard, shards)
            .await
            .unwrap();
        let parts = assemble_parts(&data, as_of, period_from, &[]);
        identities += parts.len();
        staged += encode_parts(&parts).len();
    }
    println!(
        "  sharded in {shards}: {identities} identities staged, {:.0} bytes each ({:.1} MB in all)",
        staged as f64 / identities as f64,
        staged as f64 / 1e6
    );
    for round in 0..3 {
        let run = format!("bench-{round}");
        let mut shard_times = Vec::new();
        let mut finish = None;
        for shard in 0..shards {
            let started = Instant::now();
            let outcome = app
                .recompute_shard(workspace, profile.id.as_str(), as_of, &run, shard, shards)
                .await
                .unwrap();
            let took = started.elapsed();
            match outcome.finished {
                Some(summary) => {
                    assert_eq!(summary.users, known_users, "every user is scored");
                    finish = Some((took, summary.took_ms));
                }
                None => shard_times.push(took),
            }
        }
        let (last, finish_ms) = finish.expect("the last shard finishes the run");
        let slowest = shard_times.iter().max().copied().unwrap_or_default();
        println!(
            "  round {round}: shards (stage only) max {:.2} s; last shard (stage + normalise) {:.2} s, of which normalising and saving {:.2} s",
            slowest.as_secs_f64(),
            last.as_secs_f64(),
            finish_ms as f64 / 1000.0
        );
    }
}

fn call(user: usize, account: &str, event: &str, at: chrono::DateTime<Utc>) -> AcceptedCall {
    AcceptedCall {
        message_id: format!(
            "m-{}",
            NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
        call: Call {
            call_type: CallType::Track,
            message_id: None,
            user_id: Some(format!("user-{user}")),
            anonymous_id: None,
            event: Some(EventName::parse(event).unwrap()),
            group_id: Some(account.to_string()),
            previous_id: None,
            traits: Default::default(),
            timestamp: at,
        },
    }
}

async fn ingest(app: &App, workspace: &pulse_core::WorkspaceId, calls: Vec<AcceptedCall>) {
    let received_at = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
    app.store
        .ingest(
            workspace,
            IngestBatch {
                received_at,
                calls,
                first_use_events: Vec::new(),
            },
        )
        .await
        .unwrap();
}
