//! `pulse serve`: the HTTP API on the embedded store, a recompute schedule in-process, and
//! a clean shutdown on Ctrl-C / SIGTERM (in-flight requests finish; every 200 was committed).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Duration as ChronoDuration;
use pulse_app::webhooks::WebhookMap;
use pulse_app::{App, AppConfig, SystemClock};
use pulse_bus::InProcessBus;
use pulse_store::DEDUPLICATION_DAYS;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;

pub async fn run(args: ServeArgs) -> Result<()> {
    let store = crate::target::open_store(&args.data).await?;
    let config = AppConfig {
        public_url: args.public_url.clone(),
        print_alerts: true,
        ..AppConfig::default()
    };
    let webhooks = WebhookMap::from_env().context("reading the Slack webhooks (PULSE_SLACK_*)")?;
    let channels = webhooks.configured();
    if channels.is_empty() {
        tracing::info!(
            "no Slack webhook configured (PULSE_SLACK_DEFAULT, PULSE_SLACK_<CHANNEL>): alerts are printed here"
        );
    } else {
        tracing::info!(?channels, "Slack webhooks configured");
    }
    let (bus, events) = InProcessBus::new();
    let purges = args.data.store == crate::cli::StoreKind::Sqlite;
    let app = App::new(store, Arc::new(SystemClock), config)
        .with_bus(Arc::new(bus))
        .with_webhooks(Arc::new(webhooks));
    let worker = tokio::spawn(pulse_app::worker::run(app.clone(), events));
    let listener = TcpListener::bind(args.addr).await.with_context(|| {
        format!(
            "listening on {} (is another server using it? try --addr)",
            args.addr
        )
    })?;
    let address = listener.local_addr()?;
    // One line on stdout that scripts (and the end-to-end tests) can wait for.
    println!(
        "pulse listening on http://{address} (data: {})",
        args.data.data.display()
    );
    tracing::info!(%address, every = ?args.every, "serving");
    let schedule = tokio::spawn(schedule(app.clone(), args.every, purges));
    axum::serve(listener, pulse_app::http::router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    schedule.abort();
    worker.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Recomputes every workspace's profiles as of today, now and then every `every`, and
/// forgets message ids past the de-duplication window.
async fn schedule(app: App, every: Duration, purge_message_ids: bool) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        recompute_all(&app).await;
        // DynamoDB forgets message ids by itself (TTL); SQLite needs the purge.
        if !purge_message_ids {
            continue;
        }
        let horizon = app.clock.now() - ChronoDuration::days(DEDUPLICATION_DAYS);
        match app.store.purge_message_ids(horizon).await {
            Ok(purged) if purged > 0 => tracing::info!(purged, "forgot expired message ids"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "purging expired message ids failed; will retry"),
        }
    }
}

async fn recompute_all(app: &App) {
    let workspaces = match app.store.workspaces().await {
        Ok(workspaces) => workspaces,
        Err(error) => {
            tracing::warn!(%error, "scheduled recompute: listing workspaces failed; will retry");
            return;
        }
    };
    for workspace in workspaces {
        if let Err(error) = app.recompute_profiles(&workspace.id, None, None).await {
            tracing::warn!(workspace = %workspace.id, %error, "scheduled recompute failed; will retry");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
