//! Slack delivery for Pulse: Block Kit rendering of alerts and digests, Slack's
//! message limits, and the incoming-webhook client (pacing, retry, back-off).
//!
//! Rendering is pure; only [`WebhookClient`] does I/O. Webhook URLs are secrets and
//! only ever print masked ([`WebhookUrl`]). With the `test-server` feature,
//! [`test_server::SlackServer`] stands in for Slack in tests.

mod client;
mod delivery;
mod limits;
mod notice;
mod pacing;
mod render;
mod retry;
mod text;
mod webhook_url;

#[cfg(feature = "test-server")]
pub mod test_server;

pub use client::WebhookClient;
pub use delivery::{Attempt, Delivery, DeliveryOutcome};
pub use limits::{
    LimitError, MAX_BLOCKS, MAX_CONTEXT_ELEMENTS, MAX_FIELD_CHARS, MAX_FIELDS_PER_SECTION,
    MAX_HEADER_CHARS, MAX_TEXT_CHARS, check_limits,
};
pub use notice::{AlertNotice, Fact, SubjectKind};
pub use render::{DIGEST_FULL_ALERTS, render_alert, render_digest};
pub use retry::RetryPolicy;
pub use text::escape_mrkdwn;
pub use webhook_url::{WebhookUrl, WebhookUrlError};
