//! The incoming-webhook URL: a secret (whoever has it can post to the channel), so it
//! only ever prints masked.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;
use thiserror::Error;

/// A validated `http(s)` webhook URL whose `Debug` and `Display` never show the secret.
///
/// `https://hooks.slack.com/services/T0001/B0002/XXXX` prints as
/// `https://hooks.slack.com/services/T…/***`: enough to tell webhooks apart in a log,
/// not enough to post.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl {
    url: Url,
    masked: String,
}

/// Why a string is not a usable webhook URL. It never contains the URL itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookUrlError {
    #[error("the webhook URL is not a valid URL ({0}); copy it again from Slack's app settings")]
    Malformed(String),
    #[error("the webhook URL must start with https:// (or http:// for a local test server)")]
    NotHttp,
    #[error("the webhook URL has no host")]
    NoHost,
}

impl WebhookUrl {
    /// Parses and validates a webhook URL (surrounding whitespace, common in env files, is ignored).
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        let url =
            Url::parse(raw.trim()).map_err(|err| WebhookUrlError::Malformed(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookUrlError::NotHttp);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebhookUrlError::NoHost);
        }
        let masked = mask(&url);
        Ok(Self { url, masked })
    }

    /// The masked form, for logs and messages.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// The real URL, only for sending the request.
    pub(crate) fn secret(&self) -> &Url {
        &self.url
    }
}

/// Scheme, host and port, then `***`; for Slack's own layout (`/services/T…/B…/secret`)
/// also `services/` and the workspace id's first letter. Only that known-public part of
/// a path is shown because other hosts may put the secret anywhere; credentials and
/// query are never shown.
fn mask(url: &Url) -> String {
    let mut masked = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        masked.push_str(&format!(":{port}"));
    }
    let mut segments = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|segment| !segment.is_empty());
    if let (Some("services"), Some(workspace)) = (segments.next(), segments.next()) {
        let initial: String = workspace.chars().take(1).collect();
        masked.push_str(&format!("/services/{initial}…"));
    }
    masked.push_str("/***");
    masked
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookUrl").field(&self.masked).finish()
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked)
    }
}

impl FromStr for WebhookUrl {
    type Err = WebhookUrlError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = WebhookUrlError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}
