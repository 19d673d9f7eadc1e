//! What an admin command talks to: a local data directory (the embedded store, used
//! directly) or a running Pulse over HTTP (`--url` with a key). Both answer with the same
//! JSON resources, so commands are written once.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use pulse_app::error::AppError;
use pulse_app::ingest::{IngestBody, IngestReport};
use pulse_app::notify::delivery_view;
use pulse_app::webhooks::WebhookMap;
use pulse_app::{App, AppConfig, SystemClock};
use pulse_bus::{DomainEvent, InProcessBus};
use pulse_core::alerts::AlertRule;
use pulse_core::{
    BatchDefaults, Day, DefinitionKind, SegmentDefinition, Slug, SubjectKind, WorkspaceId,
};
use pulse_store::sqlite::SqliteStore;
use pulse_store::{AlertQuery, AlertStatus, ListQuery, Sort};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::cli::{DataArgs, StoreKind, TargetArgs};
use pulse_store::Store;
use pulse_store::dynamodb::DynamoStore;

pub enum Target {
    Local {
        app: App,
        workspace: WorkspaceId,
        /// What the command's work published (new users, recomputed scores, alerts):
        /// handled before the command ends, so a local command alerts like the server.
        events: Mutex<UnboundedReceiver<DomainEvent>>,
    },
    Remote {
        http: reqwest::Client,
        url: String,
        key: String,
    },
}

/// Opens the store the arguments name: the embedded store in the data directory, or a
/// DynamoDB table.
pub async fn open_store(args: &DataArgs) -> Result<Arc<dyn Store>> {
    match args.store {
        StoreKind::Sqlite => {
            let store = SqliteStore::open(&args.data)
                .with_context(|| format!("opening the data directory {}", args.data.display()))?;
            Ok(Arc::new(store))
        }
        StoreKind::Dynamodb => {
            let table = args
                .table
                .as_deref()
                .ok_or_else(|| anyhow!("--store dynamodb needs --table NAME (or PULSE_TABLE)"))?;
            let store = DynamoStore::connect(table, args.create_table)
                .await
                .with_context(|| format!("opening the DynamoDB table {table}"))?;
            Ok(Arc::new(store))
        }
    }
}

/// Where the arguments' data lives, for messages.
pub fn describe(args: &DataArgs) -> String {
    match (args.store, &args.table) {
        (StoreKind::Dynamodb, Some(table)) => format!("DynamoDB table {table}"),
        _ => args.data.display().to_string(),
    }
}

/// The app on the arguments' store, with nothing listening to its events.
pub async fn open_local(args: &DataArgs) -> Result<App> {
    Ok(App::new(
        open_store(args).await?,
        Arc::new(SystemClock),
        AppConfig::default(),
    ))
}

/// The app on the arguments' store, with an in-process bus and the environment's webhooks.
async fn open_local_with_events(args: &DataArgs) -> Result<(App, UnboundedReceiver<DomainEvent>)> {
    let store = open_store(args).await?;
    let webhooks = WebhookMap::from_env().context("reading the Slack webhooks (PULSE_SLACK_*)")?;
    let (bus, events) = InProcessBus::new();
    let config = AppConfig {
        print_alerts: true,
        ..AppConfig::default()
    };
    let app = App::new(store, Arc::new(SystemClock), config)
        .with_bus(Arc::new(bus))
        .with_webhooks(Arc::new(webhooks));
    Ok((app, events))
}

/// A list request for [`Target::page`].
pub struct PageRequest<'a> {
    pub kind: SubjectKind,
    pub profile: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub as_of: Option<&'a str>,
    pub cursor: Option<String>,
    pub limit: usize,
}

impl Target {
    pub async fn open(args: &TargetArgs) -> Result<Target> {
        if let Some(url) = &args.url {
            let key = args.key.clone().ok_or_else(|| {
                anyhow!("--url needs --key (or PULSE_KEY): the workspace's admin key")
            })?;
            return Ok(Target::Remote {
                http: reqwest::Client::builder()
                    .user_agent(concat!("pulse-cli/", env!("CARGO_PKG_VERSION")))
                    .build()?,
                url: url.trim_end_matches('/').to_string(),
                key,
            });
        }
        let (app, events) = open_local_with_events(&args.data).await?;
        let workspace =
            resolve_workspace(&app, args.workspace.as_deref(), &describe(&args.data)).await?;
        Ok(Target::Local {
            app,
            workspace,
            events: Mutex::new(events),
        })
    }

    /// Handles what the command published (alerts included) before it returns.
    pub async fn settle(&self) -> Result<()> {
        if let Target::Local { app, events, .. } = self {
            let mut events = events.lock().await;
            pulse_app::worker::drain(app, &mut events)
                .await
                .map_err(explain)?;
        }
        Ok(())
    }

    /// Applies a definition file: a custom segment or an alert rule.
    pub async fn apply_definition(&self, kind: DefinitionKind, text: &[u8]) -> Result<Value> {
        match self {
            Target::Local { app, workspace, .. } => Ok(match kind {
                DefinitionKind::Segment => json!(
                    app.apply_segment(workspace, None, text)
                        .await
                        .map_err(explain)?
                ),
                DefinitionKind::AlertRule => json!(
                    app.apply_alert_rule(workspace, None, text)
                        .await
                        .map_err(explain)?
                ),
            }),
            Target::Remote { .. } => {
                let source = std::str::from_utf8(text).context("the file is not UTF-8 text")?;
                let (collection, id) = match kind {
                    DefinitionKind::Segment => (
                        "segments",
                        SegmentDefinition::parse(source, None)
                            .map_err(|error| problems(&error.problems))?
                            .id,
                    ),
                    DefinitionKind::AlertRule => (
                        "alerts",
                        AlertRule::parse(source, None)
                            .map_err(|error| problems(&error.problems))?
                            .id,
                    ),
                };
                self.remote(
                    reqwest::Method::PUT,
                    &format!("/v1/{collection}/{id}"),
                    Some(text.to_vec()),
                )
                .await
            }
        }
    }

    /// Lists custom segments (with the defaults when `kind` is given) or alert rules.
    pub async fn definitions(&self, kind: DefinitionKind) -> Result<Vec<Value>> {
        match self {
            Target::Local { app, workspace, .. } => {
                Ok(app.store.definitions(workspace, kind).await?)
            }
            Target::Remote { .. } => {
                let path = match kind {
                    DefinitionKind::Segment => "/v1/segments",
                    DefinitionKind::AlertRule => "/v1/alerts",
                };
                let page = self.remote(reqwest::Method::GET, path, None).await?;
                Ok(page["items"].as_array().cloned().unwrap_or_default())
            }
        }
    }

    /// The latest alerts with their delivery outcomes.
    pub async fn deliveries(&self, status: Option<&str>, limit: usize) -> Result<Vec<Value>> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(status) = status {
            query.push(("status", status.to_string()));
        }
        match self {
            Target::Local { app, workspace, .. } => {
                let status = status
                    .map(|text| AlertStatus::parse(text).ok_or_else(|| anyhow!("--status: `{text}` is not one of pending, delivered, retrying, failed, logged")))
                    .transpose()?;
                let query = AlertQuery {
                    status,
                    limit,
                    ..Default::default()
                };
                let page = app.store.alerts(workspace, &query).await?;
                Ok(page.items.iter().map(delivery_view).collect())
            }
            Target::Remote { .. } => {
                let page = self
                    .remote_with(reqwest::Method::GET, "/v1/alerts/deliveries", &query, None)
                    .await?;
                Ok(page["items"].as_array().cloned().unwrap_or_default())
            }
        }
    }

    pub async fn apply_profile(&self, text: &[u8]) -> Result<Value> {
        match self {
            Target::Local { app, workspace, .. } => Ok(json!(
                app.apply_profile(workspace, None, text)
                    .await
                    .map_err(explain)?
            )),
            Target::Remote { .. } => {
                let profile =
                    pulse_app::profiles::parse_profile_text(None, text).map_err(explain)?;
                self.remote(
                    reqwest::Method::PUT,
                    &format!("/v1/profiles/{}", profile.id),
                    Some(text.to_vec()),
                )
                .await
            }
        }
    }

    pub async fn profiles(&self) -> Result<Vec<Value>> {
        match self {
            Target::Local { app, workspace, .. } => Ok(app
                .store
                .profiles(workspace)
                .await?
                .iter()
                .map(|profile| json!(profile))
                .collect()),
            Target::Remote { .. } => {
                let page = self
                    .remote(reqwest::Method::GET, "/v1/profiles", None)
                    .await?;
                Ok(page["items"].as_array().cloned().unwrap_or_default())
            }
        }
    }

    pub async fn recompute(&self, profile: Option<&str>, as_of: Option<&str>) -> Result<Value> {
        match self {
            Target::Local { app, workspace, .. } => {
                let day = as_of.map(parse_day).transpose()?;
                let summaries = app
                    .recompute_profiles(workspace, profile, day)
                    .await
                    .map_err(explain)?;
                Ok(json!({"results": summaries}))
            }
            Target::Remote { .. } => {
                let body = serde_json::to_vec(&json!({"profile": profile, "as_of": as_of}))?;
                self.remote(reqwest::Method::POST, "/v1/recompute", Some(body))
                    .await
            }
        }
    }

    /// One page of scored users or accounts: `(items, next_cursor)`.
    pub async fn page(&self, request: &PageRequest<'_>) -> Result<(Vec<Value>, Option<String>)> {
        match self {
            Target::Local { app, workspace, .. } => {
                let profile = app
                    .resolve_profile(workspace, request.profile)
                    .await
                    .map_err(explain)?;
                let day = request.as_of.map(parse_day).transpose()?;
                let day = app
                    .resolve_day(workspace, &profile, day)
                    .await
                    .map_err(explain)?;
                let query = ListQuery {
                    segment: request.segment.map(str::to_string),
                    account: None,
                    sort: Sort::default(),
                    limit: request.limit,
                    cursor: request.cursor.clone(),
                };
                let page = app
                    .list_scores(workspace, &profile, request.kind, day, &query)
                    .await
                    .map_err(explain)?;
                Ok((page.items, page.next_cursor))
            }
            Target::Remote { .. } => {
                let mut query = vec![("limit", request.limit.to_string())];
                for (name, value) in [
                    ("profile", request.profile),
                    ("segment", request.segment),
                    ("as_of", request.as_of),
                    ("cursor", request.cursor.as_deref()),
                ] {
                    if let Some(value) = value {
                        query.push((name, value.to_string()));
                    }
                }
                let path = format!("/v1/{}", request.kind.as_str());
                let page = self
                    .remote_with(reqwest::Method::GET, &path, &query, None)
                    .await?;
                let items = page["items"].as_array().cloned().unwrap_or_default();
                Ok((items, page["next_cursor"].as_str().map(str::to_string)))
            }
        }
    }

    /// Stores a batch of calls (local) or posts it to /v1/batch (remote, with a write key).
    pub async fn import(&self, calls: Vec<Value>) -> Result<IngestReport> {
        match self {
            Target::Local { app, workspace, .. } => {
                let body = IngestBody {
                    write_key: None,
                    defaults: BatchDefaults::default(),
                    calls: calls.into_iter().map(Ok).collect(),
                    fixed_type: None,
                };
                app.ingest(workspace, body, app.clock.now())
                    .await
                    .map_err(explain)
            }
            Target::Remote { http, url, key } => {
                let count = calls.len();
                let response = http
                    .post(format!("{url}/v1/batch"))
                    .basic_auth(key, Some(""))
                    .json(&json!({"batch": calls}))
                    .send()
                    .await
                    .with_context(|| format!("sending a batch to {url}"))?;
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if !status.is_success() {
                    bail!(
                        "{url} answered {status}: {}",
                        body["message"].as_str().unwrap_or("no message")
                    );
                }
                let rejected = body["rejected"].as_array().map_or(0, Vec::len);
                Ok(IngestReport {
                    accepted: body["accepted"]
                        .as_u64()
                        .map_or(count - rejected, |n| n as usize),
                    ..Default::default()
                })
            }
        }
    }

    async fn remote(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Value> {
        self.remote_with(method, path, &[], body).await
    }

    async fn remote_with(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Value> {
        let Target::Remote { http, url, key } = self else {
            unreachable!("remote calls are only made on remote targets")
        };
        let mut request = http
            .request(method, format!("{url}{path}"))
            .query(query)
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {url}{path}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{url}{path} answered {status} without JSON"))?;
        if !status.is_success() {
            bail!(
                "{status}: {}",
                body["message"].as_str().unwrap_or("no message")
            );
        }
        Ok(body)
    }
}

async fn resolve_workspace(app: &App, wanted: Option<&str>, place: &str) -> Result<WorkspaceId> {
    let workspaces = app.store.workspaces().await?;
    if let Some(wanted) = wanted {
        let id = Slug::parse(wanted).map_err(|error| anyhow!("--workspace `{wanted}`: {error}"))?;
        if workspaces.iter().any(|workspace| workspace.id == id) {
            return Ok(id);
        }
        bail!("no workspace `{wanted}` in {place}");
    }
    match workspaces.as_slice() {
        [only] => Ok(only.id.clone()),
        [] => bail!(
            "{place} has no workspace yet: create one with `pulse workspace create NAME` (same --data/--store/--table)"
        ),
        many => bail!(
            "{place} holds several workspaces; pass --workspace one of: {}",
            many.iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub fn parse_day(text: &str) -> Result<Day> {
    text.parse().map_err(|error| anyhow!("--as-of: {error}"))
}

fn problems(problems: &[String]) -> anyhow::Error {
    let lines: Vec<String> = problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect();
    anyhow!("the file is invalid:\n{}", lines.join("\n"))
}

/// Turns an application error into a message for people (with every profile problem).
pub fn explain(error: AppError) -> anyhow::Error {
    match &error {
        AppError::BadRequest {
            details: Some(details),
            ..
        } if details.get("problems").is_some() => {
            let problems: Vec<String> = details["problems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|problem| problem.as_str().map(|p| format!("  - {p}")))
                .collect();
            anyhow!(
                "{}:\n{}",
                error.to_string().split(':').next().unwrap_or("invalid"),
                problems.join("\n")
            )
        }
        _ => anyhow!("{error}"),
    }
}
