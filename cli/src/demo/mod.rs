//! `pulse demo`: a simulated product (see [`sim`]) fed through the real pipeline — the
//! same ingestion, store and recompute as `pulse serve` — one day at a time, then the
//! report a CS team would read (see [`report`]).

mod report;
mod sim;

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use pulse_app::ingest::IngestBody;
use pulse_app::recompute::RecomputeSummary;
use pulse_app::webhooks::WebhookMap;
use pulse_app::{App, AppConfig, AppError, Clock, ManualClock, worker};
use pulse_bus::InProcessBus;
use pulse_core::{BatchDefaults, Day, Slug};
use pulse_store::sqlite::SqliteStore;

use self::report::{DemoRun, print_report};
use self::sim::{SimConfig, Simulation};
use crate::cli::DemoArgs;

/// The profile the demo scores with: the sample shipped in `infra/profiles/cs.yaml`.
const DEMO_PROFILE: &str = include_str!("../../../infra/profiles/cs.yaml");
/// The alert rules a CS team would start from (`infra/alerts/`), and a custom segment.
const DEMO_ALERT_RULES: [&str; 5] = [
    include_str!("../../../infra/alerts/cooling-off.yaml"),
    include_str!("../../../infra/alerts/new-users.yaml"),
    include_str!("../../../infra/alerts/core-feature.yaml"),
    include_str!("../../../infra/alerts/activated.yaml"),
    include_str!("../../../infra/alerts/gone-quiet.yaml"),
];
const DEMO_SEGMENT: &str = include_str!("../../../infra/segments/at-risk.yaml");
/// Calls stored per batch (the ingestion limit).
const BATCH: usize = 2_500;

async fn finish_day(
    run: &mut DemoRun,
    progress: &ProgressBar,
    scoring: tokio::task::JoinHandle<Result<RecomputeSummary, AppError>>,
) -> Result<()> {
    let summary = scoring.await.context("the recompute task failed")??;
    progress.set_message(format!(
        "{} events, {} users scored ({} active)",
        run.calls, summary.users, summary.active_users
    ));
    progress.inc(1);
    run.days.push((summary.as_of, summary));
    Ok(())
}

pub async fn run(args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    let temporary = match &args.data {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("creating a temporary data directory")?),
    };
    let dir = args
        .data
        .clone()
        .unwrap_or_else(|| temporary.as_ref().expect("set above").path().to_path_buf());
    let last_day = Day::of(Utc::now()).plus(-1);
    let first_day = last_day.plus(1 - args.days as i32);
    let clock = ManualClock::new(first_day.start());
    let store: Arc<dyn pulse_store::Store> =
        Arc::new(SqliteStore::open(&dir).with_context(|| format!("opening {}", dir.display()))?);
    let (bus, mut events) = InProcessBus::new();
    // Every day's alerts are raised and recorded; only the last day's are sent to Slack
    // (when a webhook is configured) — the earlier ones are history, kept as "logged".
    let quiet = App::new(store.clone(), Arc::new(clock.clone()), AppConfig::default())
        .with_bus(Arc::new(bus));
    let webhooks = WebhookMap::from_env().context("reading the Slack webhooks (PULSE_SLACK_*)")?;
    let sends_to_slack = !webhooks.configured().is_empty();
    let loud = quiet.clone().with_webhooks(Arc::new(webhooks));
    let app = quiet.clone();
    let created = app
        .create_workspace("Demo: Lumen Analytics (simulated)")
        .await?;
    let workspace = Slug::parse(&created.workspace)?;
    let profile = app
        .apply_profile(&workspace, None, DEMO_PROFILE.as_bytes())
        .await
        .context("the demo profile")?;
    app.apply_segment(&workspace, None, DEMO_SEGMENT.as_bytes())
        .await
        .context("the demo segment")?;
    for rule in DEMO_ALERT_RULES {
        app.apply_alert_rule(&workspace, None, rule.as_bytes())
            .await
            .context("a demo alert rule")?;
    }

    let mut simulation = Simulation::new(SimConfig {
        seed: args.seed,
        accounts: args.accounts as usize,
        days: args.days,
        start: first_day.date(),
    });
    eprintln!(
        "Simulating {} accounts over {} days ({first_day} to {last_day}) and scoring each day…",
        args.accounts, args.days
    );
    let progress = ProgressBar::new(u64::from(args.days)).with_style(
        ProgressStyle::with_template("{spinner} day {pos}/{len} [{bar:30}] {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut run = DemoRun::default();
    // Day D is scored while day D+1 is ingested: the recompute reads one consistent
    // snapshot and takes everything after D back out, so the overlap changes no number.
    let mut scoring: Option<tokio::task::JoinHandle<Result<RecomputeSummary, AppError>>> = None;
    for index in 0..args.days {
        let day = first_day.plus(index as i32);
        let calls = simulation.day_calls(index);
        // Calls arrive through the day; each batch is received at the end of the day.
        clock.set(day.end_exclusive() - Duration::seconds(1));
        for chunk in calls.chunks(BATCH) {
            let body = IngestBody {
                write_key: None,
                defaults: BatchDefaults::default(),
                calls: chunk.iter().cloned().map(Ok).collect(),
                fixed_type: None,
            };
            let report = app.ingest(&workspace, body, clock.now()).await?;
            run.calls += report.accepted as u64;
            run.rejected += report.rejected.len() as u64;
        }
        if let Some(previous) = scoring.take() {
            finish_day(&mut run, &progress, previous).await?;
            let notifier = if index + 1 == args.days {
                &loud
            } else {
                &quiet
            };
            worker::drain(notifier, &mut events).await?;
        }
        let (app, workspace, profile) = (app.clone(), workspace.clone(), profile.clone());
        scoring = Some(tokio::spawn(async move {
            app.recompute(&workspace, &profile, Some(day)).await
        }));
    }
    if let Some(last) = scoring.take() {
        finish_day(&mut run, &progress, last).await?;
        worker::drain(&loud, &mut events).await?;
    }
    progress.finish_and_clear();
    run.elapsed = started.elapsed();
    run.users = simulation.users_total();
    print_report(&app, &workspace, &profile, &run, simulation.accounts()).await?;
    if sends_to_slack {
        eprintln!(
            "\nThe last day's alerts were sent to the configured Slack webhooks (see `pulse alert deliveries`)."
        );
    }
    match &args.data {
        Some(dir) => eprintln!(
            "\nThe data stays in {}: try `pulse serve --data {}` and the admin key {}",
            dir.display(),
            dir.display(),
            created.admin_key
        ),
        None => eprintln!("\n(The demo's data was temporary; keep it with --data DIR.)"),
    }
    Ok(())
}
