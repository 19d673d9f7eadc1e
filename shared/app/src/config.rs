//! Configuration shared by every entry point (the `pulse` binary and the Lambda functions).

/// Request limits (SPEC §2). Documented in the README; enforced while reading bodies.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest ingestion request body, after decompression.
    pub max_body_bytes: usize,
    /// Largest single call.
    pub max_call_bytes: usize,
    /// Most calls in one batch.
    pub max_calls: usize,
    /// Largest admin request body (profiles, segments, alert rules).
    pub max_admin_body_bytes: usize,
    /// Most items one list page returns.
    pub max_page_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 500 * 1024,
            max_call_bytes: 32 * 1024,
            max_calls: 2_500,
            max_admin_body_bytes: 256 * 1024,
            max_page_size: 1_000,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct AppConfig {
    pub limits: Limits,
    /// Where people reach Pulse (for links in Slack messages), e.g. `https://pulse.example.com`.
    pub public_url: Option<String>,
    /// Print alerts that have no webhook to standard output (`pulse serve`, `pulse demo`).
    pub print_alerts: bool,
    /// Shards a workspace's recompute is split into when it is requested through the bus
    /// (`RecomputeRequested`; on AWS `PULSE_RECOMPUTE_SHARDS`). 0 or 1: one pass.
    pub recompute_shards: u32,
}
