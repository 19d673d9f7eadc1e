//! The five functions of template.yaml and what the template says about each: binary,
//! memory, timeout, asynchronous retries, and the EventBridge rule that targets it.

use std::time::Duration;

/// The functions of template.yaml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Ingest,
    Api,
    Recompute,
    Evaluate,
    Notify,
}

impl Function {
    pub const ALL: [Function; 5] = [
        Function::Ingest,
        Function::Api,
        Function::Recompute,
        Function::Evaluate,
        Function::Notify,
    ];

    /// Its logical id in the template.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Ingest => "IngestFunction",
            Function::Api => "ApiFunction",
            Function::Recompute => "RecomputeFunction",
            Function::Evaluate => "EvaluateFunction",
            Function::Notify => "NotifyFunction",
        }
    }

    /// Its `BuildProperties.Binary`.
    pub fn binary_name(self) -> &'static str {
        match self {
            Function::Ingest => "pulse-ingest",
            Function::Api => "pulse-api",
            Function::Recompute => "pulse-recompute",
            Function::Evaluate => "pulse-evaluate",
            Function::Notify => "pulse-notify",
        }
    }

    /// Its `MemorySize`.
    pub fn memory_mb(self) -> u32 {
        match self {
            Function::Ingest | Function::Api | Function::Evaluate => 1024,
            Function::Recompute => 1769,
            Function::Notify => 256,
        }
    }

    /// The template's `Timeout`, at most two minutes here (a hung test should not wait 15).
    pub fn timeout(self) -> Duration {
        let seconds = match self {
            Function::Ingest | Function::Api => 29,
            Function::Recompute => 900,
            Function::Evaluate => 300,
            Function::Notify => 120,
        };
        Duration::from_secs(seconds.min(120))
    }

    /// `EventInvokeConfig.MaximumRetryAttempts`: how often Lambda retries a failed
    /// asynchronous invocation before the dead-letter queue (0 for the HTTP functions).
    pub fn async_retries(self) -> usize {
        match self {
            Function::Ingest | Function::Api => 0,
            Function::Recompute => 1,
            Function::Evaluate | Function::Notify => 2,
        }
    }

    /// The `detail-type`s of the EventBridge rule that targets it (none for the HTTP functions).
    pub fn detail_types(self) -> &'static [&'static str] {
        match self {
            Function::Ingest | Function::Api => &[],
            Function::Recompute => &["RecomputeRequested", "RecomputeShardRequested"],
            Function::Evaluate => &[
                "ScoresRecomputed",
                "AccountCreated",
                "UserJoinedAccount",
                "FeatureFirstUsed",
            ],
            Function::Notify => &["AlertRaised"],
        }
    }
}
