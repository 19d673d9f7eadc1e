//! The notify use case: alerts to Slack. One evaluation's alerts for a channel go out as
//! separate messages, or as one digest when there are many. Every attempt is recorded on
//! the alert; transient failures are retried later (never dropped), permanent ones are
//! marked failed with Slack's reason, and alerts of a channel without a webhook are
//! printed to the log instead.

use chrono::Duration;
use pulse_core::WorkspaceId;
use pulse_core::alerts::Alert;
use pulse_slack::{
    AlertNotice, Delivery, DeliveryOutcome, Fact, WebhookUrl, render_alert, render_digest,
};
use pulse_store::{AlertRecord, AlertStatus};
use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::error::AppError;
use crate::webhooks::env_name;

/// More alerts than this for one channel in one evaluation become one digest message.
pub const DIGEST_AFTER: usize = 3;
/// Alerts a retry round picks up at most.
const DUE_BATCH: usize = 200;

/// What a notify run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NotifyReport {
    pub delivered: usize,
    pub failed: usize,
    pub retrying: usize,
    pub logged: usize,
}

impl NotifyReport {
    fn add(&mut self, status: AlertStatus, count: usize) {
        match status {
            AlertStatus::Delivered => self.delivered += count,
            AlertStatus::Failed => self.failed += count,
            AlertStatus::Retrying => self.retrying += count,
            AlertStatus::Logged => self.logged += count,
            AlertStatus::Pending => {}
        }
    }
}

/// When to try again after `rounds` failed rounds: 1 min, 5 min, 15 min, 1 h, then every 6 h.
pub fn retry_delay(rounds: usize) -> Duration {
    match rounds {
        0 | 1 => Duration::minutes(1),
        2 => Duration::minutes(5),
        3 => Duration::minutes(15),
        4 => Duration::hours(1),
        _ => Duration::hours(6),
    }
}

impl App {
    /// Posts the given alerts of a workspace (one evaluation, one channel). Alerts already
    /// delivered, failed or logged are skipped, so a repeated event posts nothing twice.
    pub async fn notify(
        &self,
        workspace: &WorkspaceId,
        alert_ids: &[String],
    ) -> Result<NotifyReport, AppError> {
        let mut records = Vec::new();
        for id in alert_ids {
            match self.store.alert(workspace, id).await? {
                Some(record)
                    if matches!(record.status, AlertStatus::Pending | AlertStatus::Retrying) =>
                {
                    records.push(record)
                }
                Some(_) => {}
                None => {
                    tracing::warn!(workspace = %workspace, alert = %id, "an alert to notify is unknown; skipped")
                }
            }
        }
        self.send(workspace, records).await
    }

    /// Sends every alert that is pending or due for a retry, in every workspace.
    pub async fn deliver_due(&self) -> Result<NotifyReport, AppError> {
        self.deliver_due_settled(Duration::zero()).await
    }

    /// The sweep of a deployment where alerts also reach the notifier as events
    /// (`AlertRaised`): sends the alerts that have waited longer than `settle` — pending
    /// ones raised before `now − settle` (their event was lost, e.g. the bus failed after
    /// evaluate recorded them) and retrying ones due since then — leaving the fresher ones
    /// to their event and its retries, so that the two paths do not post the same alert.
    pub async fn deliver_due_settled(&self, settle: Duration) -> Result<NotifyReport, AppError> {
        let cutoff = self.clock.now() - settle;
        let due = self.store.due_alerts(cutoff, DUE_BATCH).await?;
        let mut by_workspace: Vec<(WorkspaceId, Vec<AlertRecord>)> = Vec::new();
        for (workspace, record) in due {
            if record.status == AlertStatus::Pending && record.raised_at > cutoff {
                continue;
            }
            match by_workspace
                .iter_mut()
                .find(|(known, _)| *known == workspace)
            {
                Some((_, records)) => records.push(record),
                None => by_workspace.push((workspace, vec![record])),
            }
        }
        let mut report = NotifyReport::default();
        for (workspace, records) in by_workspace {
            let sent = self.send(&workspace, records).await?;
            report.delivered += sent.delivered;
            report.failed += sent.failed;
            report.retrying += sent.retrying;
            report.logged += sent.logged;
        }
        Ok(report)
    }

    async fn send(
        &self,
        workspace: &WorkspaceId,
        records: Vec<AlertRecord>,
    ) -> Result<NotifyReport, AppError> {
        let mut report = NotifyReport::default();
        let mut channels: Vec<(Option<String>, Vec<AlertRecord>)> = Vec::new();
        for record in records {
            match channels
                .iter_mut()
                .find(|(channel, _)| *channel == record.channel)
            {
                Some((_, group)) => group.push(record),
                None => channels.push((record.channel.clone(), vec![record])),
            }
        }
        for (channel, group) in channels {
            let Some(webhook) = self.webhooks.webhook(channel.as_deref()) else {
                for mut record in group {
                    self.log_instead(&mut record, channel.as_deref());
                    self.store.update_alert(workspace, &record).await?;
                    report.add(record.status, 1);
                }
                continue;
            };
            let notices: Vec<AlertNotice> =
                group.iter().map(|record| self.notice(record)).collect();
            if group.len() > DIGEST_AFTER {
                let payload = render_digest(channel.as_deref().unwrap_or("default"), &notices);
                let delivery = self.slack.deliver(&webhook, &payload).await;
                for mut record in group {
                    self.record_delivery(&mut record, &webhook, &delivery, true);
                    self.store.update_alert(workspace, &record).await?;
                    report.add(record.status, 1);
                }
            } else {
                for (mut record, notice) in group.into_iter().zip(&notices) {
                    let delivery = self.slack.deliver(&webhook, &render_alert(notice)).await;
                    self.record_delivery(&mut record, &webhook, &delivery, false);
                    self.store.update_alert(workspace, &record).await?;
                    report.add(record.status, 1);
                }
            }
        }
        Ok(report)
    }

    fn notice(&self, record: &AlertRecord) -> AlertNotice {
        let alert: Option<Alert> = serde_json::from_value(record.alert.clone()).ok();
        let link = self
            .config
            .public_url
            .as_ref()
            .zip(alert.as_ref())
            .map(|(base, alert)| {
                format!(
                    "{}/v1/{}/{}?profile={}",
                    base.trim_end_matches('/'),
                    alert.kind.as_str(),
                    alert.subject,
                    alert.profile
                )
            });
        match alert {
            Some(alert) => AlertNotice {
                alert_id: alert.id,
                rule_id: alert.rule,
                headline: alert.headline,
                subject_kind: match alert.kind {
                    pulse_core::SubjectKind::Users => pulse_slack::SubjectKind::User,
                    pulse_core::SubjectKind::Accounts => pulse_slack::SubjectKind::Account,
                },
                subject_id: alert.subject,
                subject_name: alert.subject_name,
                profile: alert.profile,
                facts: alert
                    .facts
                    .into_iter()
                    .map(|(label, value)| Fact::new(label, value))
                    .collect(),
                link,
                occurred_at: alert.raised_at,
            },
            // A record whose alert body cannot be read still tells people something.
            None => AlertNotice {
                alert_id: record.id.clone(),
                rule_id: record.rule.clone(),
                headline: format!("Alert {} for {}", record.rule, record.subject),
                subject_kind: pulse_slack::SubjectKind::Account,
                subject_id: record.subject.clone(),
                subject_name: None,
                profile: String::new(),
                facts: Vec::new(),
                link: None,
                occurred_at: record.raised_at,
            },
        }
    }

    fn record_delivery(
        &self,
        record: &mut AlertRecord,
        webhook: &WebhookUrl,
        delivery: &Delivery,
        digest: bool,
    ) {
        let now = self.clock.now();
        let round = record.attempts.len() + 1;
        let (status, reason) = match &delivery.outcome {
            DeliveryOutcome::Delivered => (AlertStatus::Delivered, None),
            DeliveryOutcome::Failed { reason } => (AlertStatus::Failed, Some(reason.clone())),
            DeliveryOutcome::GaveUp { reason } => (AlertStatus::Retrying, Some(reason.clone())),
        };
        record.attempts.push(json!({
            "round": round,
            "at": now,
            "webhook": webhook.masked(),
            "digest": digest,
            "outcome": status.as_str(),
            "reason": reason,
            "attempts": delivery.attempts,
        }));
        record.status = status;
        record.next_attempt_at =
            (status == AlertStatus::Retrying).then(|| now + retry_delay(round));
        match status {
            AlertStatus::Delivered => {
                tracing::info!(alert = %record.id, channel = ?record.channel, "alert posted to Slack")
            }
            AlertStatus::Retrying => {
                tracing::warn!(alert = %record.id, channel = ?record.channel, reason = ?reason,
                next_attempt_at = ?record.next_attempt_at, "Slack did not take the alert; will retry")
            }
            _ => tracing::error!(alert = %record.id, channel = ?record.channel, reason = ?reason,
                "Slack refused the alert; fix the webhook or channel"),
        }
    }

    fn log_instead(&self, record: &mut AlertRecord, channel: Option<&str>) {
        let headline = record
            .alert
            .get("headline")
            .and_then(|h| h.as_str())
            .unwrap_or("alert")
            .to_string();
        let variable = env_name(channel);
        if self.config.print_alerts {
            println!("ALERT [{}] {headline}", channel.unwrap_or("default"));
        }
        tracing::info!(alert = %record.id, channel = ?channel, %headline,
            "no Slack webhook for this channel (set {variable}); the alert is logged instead");
        record.attempts.push(json!({
            "round": record.attempts.len() + 1,
            "at": self.clock.now(),
            "outcome": "logged",
            "reason": format!("no webhook configured: set {variable}"),
        }));
        record.status = AlertStatus::Logged;
        record.next_attempt_at = None;
    }
}

/// An alert as `GET /v1/alerts/deliveries` shows it: what was raised, its status and every
/// attempt (webhooks appear masked only).
pub fn delivery_view(record: &AlertRecord) -> serde_json::Value {
    json!({
        "id": record.id,
        "rule": record.rule,
        "subject": record.subject,
        "channel": record.channel,
        "raised_at": record.raised_at,
        "status": record.status,
        "next_attempt_at": record.next_attempt_at,
        "headline": record.alert.get("headline"),
        "alert": record.alert,
        "attempts": record.attempts,
    })
}
