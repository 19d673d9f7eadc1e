//! Pulse's use cases over the ports (ingest, recompute, reads, workspaces), and the one
//! axum Router that serves them — under `axum::serve` in `pulse serve` and under
//! `lambda_http` in the Lambda functions.

pub mod clock;
pub mod config;
pub mod definitions;
pub mod error;
pub mod evaluate;
pub mod http;
pub mod ingest;
pub mod keys;
pub mod notify;
pub mod profiles;
pub mod queries;
pub mod recompute;
pub mod telemetry;
pub mod webhooks;
pub mod worker;
pub mod workspace;

use std::sync::Arc;

use pulse_bus::{EventBus, NoBus};
use pulse_slack::{RetryPolicy, WebhookClient};
use pulse_store::Store;
use webhooks::{WebhookMap, Webhooks};

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AppConfig, Limits};
pub use error::AppError;

/// The application: ports and configuration, built once per process.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<AppConfig>,
    pub bus: Arc<dyn EventBus>,
    webhooks: Arc<dyn Webhooks>,
    slack: WebhookClient,
    keys: Arc<keys::KeyCache>,
    profiles: Arc<profiles::ProfileCache>,
}

impl App {
    /// An app with no event bus (nothing reacts to ingestion) and no webhooks (alerts are
    /// logged); see [`App::with_bus`] and [`App::with_webhooks`].
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: AppConfig) -> App {
        App {
            store,
            clock,
            config: Arc::new(config),
            bus: Arc::new(NoBus),
            webhooks: Arc::new(WebhookMap::empty()),
            slack: WebhookClient::new(RetryPolicy::default()),
            keys: Arc::new(keys::KeyCache::default()),
            profiles: Arc::new(profiles::ProfileCache::default()),
        }
    }

    /// Where domain events go (in-process locally, EventBridge on AWS).
    pub fn with_bus(mut self, bus: Arc<dyn EventBus>) -> App {
        self.bus = bus;
        self
    }

    /// Which Slack webhook each channel posts to.
    pub fn with_webhooks(mut self, webhooks: Arc<dyn Webhooks>) -> App {
        self.webhooks = webhooks;
        self
    }

    /// The Slack client (tests shorten its delays).
    pub fn with_slack(mut self, slack: WebhookClient) -> App {
        self.slack = slack;
        self
    }
}
