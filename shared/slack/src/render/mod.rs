//! Block Kit rendering: alerts and digests become webhook payloads (`{"text", "blocks"}`).
//!
//! Everything here is pure. Every value that came from outside is escaped and clipped,
//! so whatever is rendered passes [`crate::check_limits`]; block builders live here,
//! the two message layouts in their own modules.

mod alert;
mod digest;

pub use alert::render_alert;
pub use digest::{DIGEST_FULL_ALERTS, render_digest};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::limits::{MAX_HEADER_CHARS, MAX_TEXT_CHARS};
use crate::notice::AlertNotice;
use crate::text::{clip_mrkdwn, clip_plain, escape_mrkdwn, link};

/// Longest link URL we put in a text; longer ones are left out rather than cut.
const MAX_LINK_URL_CHARS: usize = 2_000;

fn header(text: &str) -> Value {
    json!({
        "type": "header",
        "text": {"type": "plain_text", "text": clip_plain(text, MAX_HEADER_CHARS), "emoji": true},
    })
}

/// A section whose text is already-escaped mrkdwn.
fn section(mrkdwn_text: &str) -> Value {
    json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip_mrkdwn(mrkdwn_text, MAX_TEXT_CHARS)},
    })
}

/// A context block from already-escaped mrkdwn elements.
fn context(elements: &[String]) -> Value {
    let elements: Vec<Value> = elements
        .iter()
        .map(|text| json!({"type": "mrkdwn", "text": clip_mrkdwn(text, MAX_TEXT_CHARS)}))
        .collect();
    json!({"type": "context", "elements": elements})
}

/// A timestamp Slack shows in each reader's own time zone, with a UTC fallback.
fn slack_date(at: DateTime<Utc>) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{}>",
        at.timestamp(),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// "Account Acme (acc_42)", escaped.
fn subject_line(notice: &AlertNotice) -> String {
    format!(
        "{} {}",
        notice.subject_kind.label(),
        escape_mrkdwn(&notice.subject_display())
    )
}

/// "<url|View account in Pulse>", when the notice has a usable link.
fn subject_link(notice: &AlertNotice) -> Option<String> {
    let label = format!(
        "View {} in Pulse",
        notice.subject_kind.label().to_lowercase()
    );
    link(notice.link.as_deref()?, &label, MAX_LINK_URL_CHARS)
}
