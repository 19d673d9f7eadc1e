//! Where alerts go: channel names to Slack incoming-webhook URLs. The URLs are secrets:
//! they come from the environment or a secrets file (locally) or Secrets Manager (AWS),
//! never from the table, and print only masked.
//!
//! Locally, channel `cs-alerts` reads `PULSE_SLACK_CS_ALERTS` (upper case, `-` → `_`);
//! alerts without a channel use `PULSE_SLACK_DEFAULT`. `PULSE_SLACK_SECRETS_FILE` may name
//! a JSON file `{"cs-alerts": "https://hooks.slack.com/…", "default": "…"}` — the same
//! shape as the AWS secret. Environment variables win over the file.

use std::collections::HashMap;
use std::path::Path;

use pulse_slack::{WebhookUrl, WebhookUrlError};

/// The channel name the default webhook goes by.
pub const DEFAULT_CHANNEL: &str = "default";
const ENV_PREFIX: &str = "PULSE_SLACK_";
const SECRETS_FILE_ENV: &str = "PULSE_SLACK_SECRETS_FILE";

/// Resolves a channel to its webhook.
pub trait Webhooks: Send + Sync + 'static {
    /// The webhook of `channel` (`None` = the default channel), if one is configured.
    fn webhook(&self, channel: Option<&str>) -> Option<WebhookUrl>;
}

/// The environment variable that holds a channel's webhook.
pub fn env_name(channel: Option<&str>) -> String {
    let channel = channel.unwrap_or(DEFAULT_CHANNEL);
    format!(
        "{ENV_PREFIX}{}",
        channel.to_ascii_uppercase().replace('-', "_")
    )
}

/// Webhooks by channel, from the environment and an optional secrets file. (Its Debug
/// output shows masked URLs only.)
#[derive(Debug, Default)]
pub struct WebhookMap {
    by_env_name: HashMap<String, WebhookUrl>,
}

/// A webhook that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("reading the Slack secrets file {path}: {reason}")]
    File { path: String, reason: String },
}

impl WebhookMap {
    /// No webhooks: every alert is logged instead.
    pub fn empty() -> WebhookMap {
        WebhookMap::default()
    }

    /// From `channel → URL` pairs (e.g. a parsed secret).
    pub fn from_channels<'a>(
        channels: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<WebhookMap, WebhookConfigError> {
        let mut map = WebhookMap::default();
        for (channel, url) in channels {
            map.insert(env_name(Some(channel)), url)?;
        }
        Ok(map)
    }

    /// From a JSON object `{"channel": "url", …}`.
    pub fn from_json(text: &str) -> Result<WebhookMap, WebhookConfigError> {
        let invalid = |reason: String| WebhookConfigError::Invalid {
            name: "Slack secret".into(),
            reason,
        };
        let object: HashMap<String, String> = serde_json::from_str(text).map_err(|error| {
            invalid(format!(
                "expected a JSON object of channel → webhook URL: {error}"
            ))
        })?;
        WebhookMap::from_channels(
            object
                .iter()
                .map(|(channel, url)| (channel.as_str(), url.as_str())),
        )
    }

    /// `PULSE_SLACK_*` variables, on top of `PULSE_SLACK_SECRETS_FILE` when set.
    pub fn from_env() -> Result<WebhookMap, WebhookConfigError> {
        let mut map = match std::env::var(SECRETS_FILE_ENV) {
            Ok(path) => WebhookMap::from_file(Path::new(&path))?,
            Err(_) => WebhookMap::default(),
        };
        for (name, value) in std::env::vars() {
            if name.starts_with(ENV_PREFIX) && name != SECRETS_FILE_ENV && !value.trim().is_empty()
            {
                map.insert(name, &value)?;
            }
        }
        Ok(map)
    }

    fn from_file(path: &Path) -> Result<WebhookMap, WebhookConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| WebhookConfigError::File {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
        WebhookMap::from_json(&text).map_err(|error| WebhookConfigError::File {
            path: path.display().to_string(),
            reason: error.to_string(),
        })
    }

    fn insert(&mut self, name: String, url: &str) -> Result<(), WebhookConfigError> {
        // The URL never goes into the error: only which variable was wrong.
        let webhook =
            WebhookUrl::parse(url.trim()).map_err(|error| WebhookConfigError::Invalid {
                name: name.clone(),
                reason: match error {
                    WebhookUrlError::Malformed(_) => {
                        "not a valid URL; copy it again from Slack's app settings".into()
                    }
                    other => other.to_string(),
                },
            })?;
        self.by_env_name.insert(name, webhook);
        Ok(())
    }

    /// The configured channels (env-style names), for the startup log.
    pub fn configured(&self) -> Vec<String> {
        let mut names: Vec<String> = self.by_env_name.keys().cloned().collect();
        names.sort();
        names
    }
}

impl Webhooks for WebhookMap {
    fn webhook(&self, channel: Option<&str>) -> Option<WebhookUrl> {
        self.by_env_name.get(&env_name(channel)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_map_to_upper_case_variables_with_underscores() {
        assert_eq!(env_name(Some("cs-alerts")), "PULSE_SLACK_CS_ALERTS");
        assert_eq!(env_name(None), "PULSE_SLACK_DEFAULT");
    }

    #[test]
    fn a_secret_maps_channels_and_the_default() {
        let map = WebhookMap::from_json(
            r#"{"cs-alerts": "https://hooks.slack.com/services/T1/B1/abc", "default": "https://hooks.slack.com/services/T1/B2/def"}"#,
        )
        .unwrap();
        assert!(map.webhook(Some("cs-alerts")).is_some());
        assert!(map.webhook(None).is_some());
        assert!(map.webhook(Some("other")).is_none());
    }

    #[test]
    fn a_bad_webhook_names_its_channel_but_not_its_value() {
        let error = WebhookMap::from_json(r#"{"cs-alerts": "ftp://secret-token"}"#).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("PULSE_SLACK_CS_ALERTS"), "{text}");
        assert!(!text.contains("secret-token"), "{text}");
    }
}
