//! The message for one alert: header, who, the facts as fields, and where it came from.

use serde_json::{Value, json};

use super::{context, header, section, slack_date, subject_line, subject_link};
use crate::limits::{MAX_FIELD_CHARS, MAX_FIELDS_PER_SECTION, MAX_HEADER_CHARS, MAX_TEXT_CHARS};
use crate::notice::{AlertNotice, Fact};
use crate::text::{clip_mrkdwn, escape_mrkdwn, mrkdwn};

/// Facts shown as fields; beyond this a message stops being readable (and would
/// approach the 50-block limit), so the rest are counted instead.
const MAX_FACTS_SHOWN: usize = 40;
/// A fact's label is a word or two; this keeps a runaway label from hiding the value.
const MAX_LABEL_CHARS: usize = 200;
/// Room given to the headline and to each fact in the plain-text fallback.
const FALLBACK_HEADLINE_CHARS: usize = 1_000;
const FALLBACK_FACT_CHARS: usize = 200;

/// Renders one alert as a webhook payload: `{"text": fallback, "blocks": [...]}`.
pub fn render_alert(notice: &AlertNotice) -> Value {
    let headline = match notice.headline.trim() {
        "" => "Pulse alert",
        headline => headline,
    };
    let mut blocks = vec![header(headline)];
    // The header holds 150 characters; a longer headline is repeated in full below it.
    if headline.chars().count() > MAX_HEADER_CHARS {
        blocks.push(section(&escape_mrkdwn(headline)));
    }
    blocks.push(section(&who(notice)));

    let shown = &notice.facts[..notice.facts.len().min(MAX_FACTS_SHOWN)];
    for chunk in shown.chunks(MAX_FIELDS_PER_SECTION) {
        let fields: Vec<Value> = chunk
            .iter()
            .map(|fact| json!({"type": "mrkdwn", "text": fact_field(fact)}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    let mut about = vec![
        format!("Profile *{}*", escape_mrkdwn(&notice.profile)),
        format!("Rule *{}*", escape_mrkdwn(&notice.rule_id)),
        slack_date(notice.occurred_at),
        format!("Alert {}", escape_mrkdwn(&notice.alert_id)),
    ];
    let hidden = notice.facts.len() - shown.len();
    if hidden > 0 {
        about.push(format!("…and {hidden} more facts"));
    }
    blocks.push(context(&about));

    json!({"text": fallback_text(notice), "blocks": blocks})
}

/// "*Account:* Acme (acc_42)" and, when configured, the link to it.
fn who(notice: &AlertNotice) -> String {
    let mut text = format!(
        "*{}:* {}",
        notice.subject_kind.label(),
        escape_mrkdwn(&notice.subject_display())
    );
    if let Some(link) = subject_link(notice) {
        text.push('\n');
        text.push_str(&link);
    }
    text
}

fn fact_field(fact: &Fact) -> String {
    // Slack refuses empty texts, and a bare label reads better with a dash than blank.
    let value = match fact.value.trim() {
        "" => "—",
        value => value,
    };
    let text = match fact.label.trim() {
        "" => escape_mrkdwn(value),
        label => format!(
            "*{}*\n{}",
            mrkdwn(label, MAX_LABEL_CHARS),
            escape_mrkdwn(value)
        ),
    };
    clip_mrkdwn(&text, MAX_FIELD_CHARS)
}

/// What notifications and screen readers get: what happened, to whom, the key numbers.
fn fallback_text(notice: &AlertNotice) -> String {
    let mut text = format!(
        "{} — {}",
        mrkdwn(&notice.headline, FALLBACK_HEADLINE_CHARS),
        subject_line(notice)
    );
    let facts: Vec<String> = notice
        .facts
        .iter()
        .take(MAX_FACTS_SHOWN)
        .map(|fact| {
            mrkdwn(
                &format!("{}: {}", fact.label, fact.value),
                FALLBACK_FACT_CHARS,
            )
        })
        .collect();
    if !facts.is_empty() {
        text.push_str(" — ");
        text.push_str(&facts.join(", "));
    }
    clip_mrkdwn(&text, MAX_TEXT_CHARS)
}
