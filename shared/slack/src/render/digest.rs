//! The digest: many alerts for one channel in one message.
//!
//! A webhook takes about one post per second, so an evaluation that raises dozens of
//! alerts for a channel sends this instead of a flood. It shows the first alerts in
//! full and counts the rest by rule, staying far below the 50-block limit.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{context, header, section, slack_date, subject_line, subject_link};
use crate::limits::MAX_TEXT_CHARS;
use crate::notice::AlertNotice;
use crate::text::{clip_mrkdwn, escape_mrkdwn, mrkdwn};

/// Alerts shown in full; the rest are summarised in one "…and N more" line.
pub const DIGEST_FULL_ALERTS: usize = 20;
/// Rules named in the "…and N more" line, the most frequent first.
const RULES_NAMED_IN_SUMMARY: usize = 5;
/// Room for one headline inside a digest entry and in the fallback text.
const DIGEST_HEADLINE_CHARS: usize = 300;
const FALLBACK_HEADLINE_CHARS: usize = 120;

/// Renders many alerts for `channel` as one webhook payload, in the order given.
pub fn render_digest(channel: &str, notices: &[AlertNotice]) -> Value {
    let title = digest_title(channel, notices.len());
    let mut blocks = vec![header(&title)];
    if let (Some(first), Some(last)) = (
        notices.iter().map(|n| n.occurred_at).min(),
        notices.iter().map(|n| n.occurred_at).max(),
    ) {
        let span = if first == last {
            slack_date(first)
        } else {
            format!("{} – {}", slack_date(first), slack_date(last))
        };
        blocks.push(context(&[span]));
    }

    let (shown, rest) = notices.split_at(notices.len().min(DIGEST_FULL_ALERTS));
    blocks.extend(shown.iter().map(|notice| section(&entry(notice))));
    if !rest.is_empty() {
        blocks.push(section(&more_line(rest)));
    }

    json!({"text": fallback_text(&title, shown, rest.len()), "blocks": blocks})
}

fn digest_title(channel: &str, count: usize) -> String {
    let channel = channel.trim().trim_start_matches('#');
    let noun = if count == 1 { "alert" } else { "alerts" };
    if channel.is_empty() {
        format!("{count} Pulse {noun}")
    } else {
        format!("{count} Pulse {noun} for #{channel}")
    }
}

/// One alert in a few lines: headline, who (with link), the facts inline.
fn entry(notice: &AlertNotice) -> String {
    let mut text = format!(
        "*{}*\n{}",
        mrkdwn(&notice.headline, DIGEST_HEADLINE_CHARS),
        subject_line(notice)
    );
    if let Some(link) = subject_link(notice) {
        text.push_str(" · ");
        text.push_str(&link);
    }
    if !notice.facts.is_empty() {
        let facts: Vec<String> = notice
            .facts
            .iter()
            .map(|fact| {
                format!(
                    "{}: *{}*",
                    escape_mrkdwn(&fact.label),
                    escape_mrkdwn(&fact.value)
                )
            })
            .collect();
        text.push('\n');
        text.push_str(&facts.join(" · "));
    }
    clip_mrkdwn(&text, MAX_TEXT_CHARS)
}

/// "…and 480 more: cooling-off ×300, new-user ×180".
fn more_line(rest: &[AlertNotice]) -> String {
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for notice in rest {
        *by_rule.entry(notice.rule_id.as_str()).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = by_rule.into_iter().collect();
    // Most frequent first; the BTreeMap order breaks ties by name, so output is stable.
    counts.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    let mut named: Vec<String> = counts
        .iter()
        .take(RULES_NAMED_IN_SUMMARY)
        .map(|(rule, count)| format!("{} ×{count}", escape_mrkdwn(rule)))
        .collect();
    if counts.len() > RULES_NAMED_IN_SUMMARY {
        named.push("…".to_owned());
    }
    clip_mrkdwn(
        &format!("…and {} more: {}", rest.len(), named.join(", ")),
        MAX_TEXT_CHARS,
    )
}

fn fallback_text(title: &str, shown: &[AlertNotice], more: usize) -> String {
    let headlines: Vec<String> = shown
        .iter()
        .map(|notice| mrkdwn(&notice.headline, FALLBACK_HEADLINE_CHARS))
        .collect();
    let mut text = escape_mrkdwn(title);
    if !headlines.is_empty() {
        text.push_str(": ");
        text.push_str(&headlines.join("; "));
    }
    if more > 0 {
        text.push_str(&format!(" …and {more} more"));
    }
    clip_mrkdwn(&text, MAX_TEXT_CHARS)
}
