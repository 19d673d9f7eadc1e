//! Pulse's use cases over the ports (ingest, recompute, reads, workspaces), and the one
//! axum Router that serves them — under `axum::serve` in `pulse serve` and under
//! `lambda_http` in the Lambda functions.

pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod ingest;
pub mod keys;
pub mod profiles;
pub mod queries;
pub mod recompute;
pub mod telemetry;
pub mod workspace;

use std::sync::Arc;

use pulse_store::Store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AppConfig, Limits};
pub use error::AppError;

/// The application: ports and configuration, built once per process.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<AppConfig>,
    keys: Arc<keys::KeyCache>,
    profiles: Arc<profiles::ProfileCache>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: AppConfig) -> App {
        App {
            store,
            clock,
            config: Arc::new(config),
            keys: Arc::new(keys::KeyCache::default()),
            profiles: Arc::new(profiles::ProfileCache::default()),
        }
    }
}
