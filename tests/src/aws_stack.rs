//! The SAM stack of template.yaml, stood up on loopback for end-to-end tests: the five real
//! function binaries (target/<profile>/pulse-*) under the Lambda Runtime API emulator, with
//! the environment the template gives them, on moto_server's DynamoDB, EventBridge, SQS and
//! Secrets Manager.
//!
//! - The table and the first workspace come from the CLI (`pulse workspace create NAME
//!   --store dynamodb --table T --create-table`), as an admin would make them on AWS.
//! - The bus has the template's three rules (evaluate's detail-types, `AlertRaised` → notify,
//!   `RecomputeRequested` → recompute), each routed to an SQS queue that the [`pump`]
//!   drains into the function, as EventBridge would invoke it ([`AwsStack::pump`]). Each
//!   asynchronous function has its dead-letter queue, where the pump parks an event every
//!   attempt of which failed.
//! - The Slack webhooks secret holds the JSON object channel → webhook URL the notify
//!   function reads at its cold start.
//! - [`gateway::HttpApiGateway`] plays the HTTP API in front of ingest and api.
//!
//! Every name carries a random suffix, so tests sharing one moto never share state.

mod function;
pub mod gateway;
pub mod outage_proxy;
pub mod pump;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::lambda::{FunctionError, LambdaFunction};
use crate::{Admin, Workspace, moto};
pub use function::Function;
use gateway::HttpApiGateway;
use pump::{Consumer, Delivery};

/// What a test may change about the stack before it starts.
pub struct StackBuilder {
    prefix: String,
    slack_webhooks: Value,
    public_url: String,
    extra_env: Vec<(Function, String, String)>,
}

impl StackBuilder {
    /// The Slack webhooks secret's JSON object (channel → URL); `{}` by default.
    pub fn slack_webhooks(mut self, webhooks: Value) -> StackBuilder {
        self.slack_webhooks = webhooks;
        self
    }

    /// The `PublicUrl` parameter (links in Slack messages); empty by default, as in the template.
    pub fn public_url(mut self, url: &str) -> StackBuilder {
        self.public_url = url.to_string();
        self
    }

    /// One more environment variable for one function, e.g. `AWS_ENDPOINT_URL_DYNAMODB`
    /// pointing it at a [`outage_proxy::OutageProxy`].
    pub fn env(mut self, function: Function, name: &str, value: &str) -> StackBuilder {
        self.extra_env
            .push((function, name.to_string(), value.to_string()));
        self
    }

    pub async fn start(self) -> Result<AwsStack> {
        AwsStack::start(self).await
    }
}

/// A running stack; its processes and servers stop when it is dropped.
pub struct AwsStack {
    /// The stack name every resource name starts with.
    pub name: String,
    /// moto_server's endpoint.
    pub endpoint: String,
    pub table: String,
    pub event_bus: String,
    pub slack_secret_arn: String,
    /// The workspace the CLI created, with its keys.
    pub workspace: Workspace,
    pub gateway: HttpApiGateway,
    functions: HashMap<Function, Arc<LambdaFunction>>,
    consumers: Vec<Consumer>,
    sqs: aws_sdk_sqs::Client,
}

impl AwsStack {
    /// A stack named `<prefix>-<random>`.
    pub fn builder(prefix: &str) -> StackBuilder {
        StackBuilder {
            prefix: prefix.to_string(),
            slack_webhooks: json!({}),
            public_url: String::new(),
            extra_env: Vec::new(),
        }
    }

    async fn start(builder: StackBuilder) -> Result<AwsStack> {
        let endpoint = moto::moto().endpoint.clone();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{}-{}", builder.prefix, &suffix[..10]);
        let config = sdk_config(&endpoint).await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let events = aws_sdk_eventbridge::Client::new(&config);
        let secrets = aws_sdk_secretsmanager::Client::new(&config);

        let table = format!("{name}-table");
        let workspace = create_workspace(&endpoint, &table, "Pulse E2E")?;

        let event_bus = format!("{name}-events");
        events
            .create_event_bus()
            .name(&event_bus)
            .send()
            .await
            .context("creating the event bus")?;
        // moto fails PutEvents when a rule's target queue is missing: queues first.
        let mut queues = HashMap::new();
        for function in [Function::Recompute, Function::Evaluate, Function::Notify] {
            let queue_url =
                create_queue(&sqs, &format!("{name}-{}", function.logical_id())).await?;
            let dead_letter_queue_url =
                create_queue(&sqs, &format!("{name}-{}-dlq", function.logical_id())).await?;
            route(&events, &sqs, &event_bus, &name, function, &queue_url).await?;
            queues.insert(function, (queue_url, dead_letter_queue_url));
        }

        let slack_secret_arn = secrets
            .create_secret()
            .name(format!("{name}-slack-webhooks"))
            .secret_string(builder.slack_webhooks.to_string())
            .send()
            .await
            .context("creating the Slack webhooks secret")?
            .arn
            .context("the secret's ARN")?;

        let mut functions = HashMap::new();
        for function in Function::ALL {
            let mut env: Vec<(String, String)> = moto::aws_env(&endpoint)
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect();
            env.extend([
                (
                    "AWS_LAMBDA_FUNCTION_NAME".into(),
                    format!("{name}-{}", function.logical_id()),
                ),
                (
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                    function.memory_mb().to_string(),
                ),
                // LoggingConfig: LogFormat JSON.
                ("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()),
                (
                    "RUST_LOG".into(),
                    std::env::var("PULSE_E2E_RUST_LOG").unwrap_or_else(|_| "info".into()),
                ),
                // Globals.Function.Environment.
                ("PULSE_TABLE".into(), table.clone()),
                ("PULSE_EVENT_BUS".into(), event_bus.clone()),
                ("PULSE_PUBLIC_URL".into(), builder.public_url.clone()),
            ]);
            if function == Function::Notify {
                env.push(("PULSE_SLACK_SECRET_ARN".into(), slack_secret_arn.clone()));
            }
            env.extend(
                builder
                    .extra_env
                    .iter()
                    .filter(|(target, _, _)| *target == function)
                    .map(|(_, key, value)| (key.clone(), value.clone())),
            );
            let lambda = LambdaFunction::start(function_binary(function.binary_name())?, env)
                .await
                .with_context(|| format!("starting {}", function.logical_id()))?
                .with_timeout(function.timeout());
            functions.insert(function, Arc::new(lambda));
        }

        let gateway = HttpApiGateway::start(
            functions[&Function::Ingest].clone(),
            functions[&Function::Api].clone(),
        )
        .await?;
        let consumers = queues
            .into_iter()
            .map(|(function, (queue_url, dead_letter_queue_url))| Consumer {
                function,
                lambda: functions[&function].clone(),
                queue_url,
                dead_letter_queue_url,
            })
            .collect();
        Ok(AwsStack {
            name,
            endpoint,
            table,
            event_bus,
            slack_secret_arn,
            workspace,
            gateway,
            functions,
            consumers,
            sqs,
        })
    }

    pub fn function(&self, function: Function) -> &LambdaFunction {
        &self.functions[&function]
    }

    /// Invokes a function directly (a synchronous `Invoke`, as `aws lambda invoke` does).
    pub async fn invoke(&self, function: Function, event: Value) -> Result<Value, FunctionError> {
        self.functions[&function].invoke(event).await
    }

    /// What EventBridge does next: drains the rule queues into their functions until quiet.
    pub async fn pump(&self) -> Vec<Delivery> {
        pump::pump(&self.sqs, &self.consumers, Duration::from_secs(300))
            .await
            .unwrap_or_else(|error| panic!("pumping the event bus: {error:#}"))
    }

    /// Takes the messages waiting in a function's dead-letter queue (Lambda's destination
    /// records), parsed.
    pub async fn dead_letters(&self, function: Function) -> Vec<Value> {
        let consumer = self
            .consumers
            .iter()
            .find(|consumer| consumer.function == function)
            .unwrap_or_else(|| panic!("{function:?} has no dead-letter queue"));
        pump::receive(&self.sqs, &consumer.dead_letter_queue_url)
            .await
            .unwrap_or_else(|error| panic!("reading the dead-letter queue: {error:#}"))
            .iter()
            .map(|body| serde_json::from_str(body).unwrap_or(Value::String(body.clone())))
            .collect()
    }

    /// Messages waiting in a rule's target queue, taken without invoking anything.
    pub async fn take_queued(&self, function: Function) -> Vec<Value> {
        let consumer = self
            .consumers
            .iter()
            .find(|consumer| consumer.function == function)
            .unwrap_or_else(|| panic!("{function:?} is no rule target"));
        pump::receive(&self.sqs, &consumer.queue_url)
            .await
            .unwrap_or_else(|error| panic!("reading the rule queue: {error:#}"))
            .iter()
            .map(|body| serde_json::from_str(body).unwrap_or(Value::String(body.clone())))
            .collect()
    }

    /// The admin API through the gateway, with the workspace's admin key.
    pub fn admin(&self) -> Admin {
        Admin::new(self.gateway.url(), &self.workspace.admin_key)
    }

    /// Every function's log lines so far ("CloudWatch Logs").
    pub fn logs(&self) -> Vec<(Function, String)> {
        Function::ALL
            .iter()
            .flat_map(|function| {
                self.functions[function]
                    .logs()
                    .into_iter()
                    .map(move |line| (*function, line))
            })
            .collect()
    }

    /// The schedule's input (infra/events/schedule-recompute.json, which tests/template.rs
    /// proves is the template's ScheduleV2 `Input`), as EventBridge Scheduler passes it.
    pub fn schedule_input() -> Value {
        Self::fixture("schedule-recompute.json")
    }

    /// The notify function's schedule input (infra/events/schedule-notify.json, the
    /// template's other ScheduleV2 `Input`): sweep undelivered alerts.
    pub fn notify_schedule_input() -> Value {
        Self::fixture("schedule-notify.json")
    }

    fn fixture(name: &str) -> Value {
        let path = crate::repo_root().join("infra/events").join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }
}

/// SDK configuration for moto: dummy credentials, the region the functions use.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// target/<profile>/<name>, beside the `pulse` binary this test run uses.
pub fn function_binary(name: &str) -> Result<PathBuf> {
    let pulse = crate::pulse_binary();
    let binary = pulse
        .parent()
        .map(|dir| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .context("the pulse binary has a directory")?;
    if !binary.exists() {
        bail!(
            "{} is missing: build the functions first (`cargo build --workspace`)",
            binary.display()
        );
    }
    Ok(binary)
}

/// `pulse workspace create NAME --store dynamodb --table T --create-table` against moto.
fn create_workspace(endpoint: &str, table: &str, name: &str) -> Result<Workspace> {
    let output = std::process::Command::new(crate::pulse_binary())
        .args([
            "workspace",
            "create",
            name,
            "--store",
            "dynamodb",
            "--table",
            table,
            "--create-table",
        ])
        .env_clear()
        .envs(moto::aws_env(endpoint))
        .env("RUST_LOG", "warn")
        .output()
        .context("running pulse workspace create")?;
    if !output.status.success() {
        bail!(
            "pulse workspace create --store dynamodb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let created: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "pulse workspace create printed no JSON: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    let field = |key: &str| {
        created[key]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("no {key} in {created}"))
    };
    Ok(Workspace {
        id: field("workspace")?,
        write_key: field("write_key")?,
        admin_key: field("admin_key")?,
    })
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String> {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .with_context(|| format!("creating the queue {name}"))?
        .queue_url
        .context("a queue URL")
}

/// The template's rule for `function` on the bus, with the queue as its target.
async fn route(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    stack: &str,
    function: Function,
    queue_url: &str,
) -> Result<()> {
    let arn_attribute = aws_sdk_sqs::types::QueueAttributeName::QueueArn;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(arn_attribute.clone())
        .send()
        .await
        .context("reading a queue ARN")?
        .attributes
        .and_then(|attributes| attributes.get(&arn_attribute).cloned())
        .context("the queue ARN")?;
    let rule = format!("{stack}-{}", function.logical_id());
    // The template's patterns: `source: [pulse]` and the function's detail-types.
    let pattern = json!({"source": ["pulse"], "detail-type": function.detail_types()});
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .with_context(|| format!("creating the rule {rule}"))?;
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id(function.logical_id())
                .arn(queue_arn)
                .build()
                .context("a rule target")?,
        )
        .send()
        .await
        .with_context(|| format!("targeting the rule {rule}"))?;
    Ok(())
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The template's text, for tests that check the stack still mirrors it.
pub fn template_text() -> String {
    let path: &Path = &crate::repo_root().join("template.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
