//! The command line: every command, its options and its help text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "pulse",
    version,
    about = "Product-engagement scoring for Customer Success teams",
    long_about = "Pulse scores how engaged every user and customer account is, from Segment-format usage \
events, sorts them into segments and tells your CS team what changed.\n\n\
Quick start:\n  pulse demo                          see it work on a simulated product\n  \
pulse serve                         run the server on ./pulse-data\n  \
pulse workspace create \"Acme\"       make a workspace and its keys\n  \
pulse profile apply profile.yaml    tell Pulse what engagement means\n  \
pulse recompute                     score everyone now"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the whole system in one process: HTTP API, scheduled recomputes, embedded store.
    Serve(ServeArgs),
    /// Simulate a product (≈200 accounts, 90 days), score it day by day and show the result.
    Demo(DemoArgs),
    /// Create workspaces (tenants) and their keys.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Apply and list scoring profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Apply and list custom segments.
    #[command(subcommand)]
    Segment(SegmentCommand),
    /// Apply and list alert rules; see what was sent to Slack.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// Recompute scores and segments now (and raise the alerts that follow).
    Recompute(RecomputeArgs),
    /// Import Segment calls from a JSON Lines file (one call per line). Safe to repeat.
    Import(ImportArgs),
    /// Export scored users or accounts as CSV or JSON Lines.
    Export(ExportArgs),
}

/// Where the data lives: the embedded store in a directory (default), or a DynamoDB table.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The data directory of the embedded store (created if missing).
    #[arg(long, env = "PULSE_DATA", default_value = "pulse-data")]
    pub data: PathBuf,
    /// Which store: `sqlite` (the data directory) or `dynamodb` (the table --table, reached
    /// through the standard AWS environment; AWS_ENDPOINT_URL is honoured).
    #[arg(long, env = "PULSE_STORE", value_enum, default_value = "sqlite")]
    pub store: StoreKind,
    /// The DynamoDB table (with --store dynamodb).
    #[arg(long, env = "PULSE_TABLE")]
    pub table: Option<String>,
    /// Create the DynamoDB table if it does not exist (with --store dynamodb).
    #[arg(long)]
    pub create_table: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    Sqlite,
    Dynamodb,
}

/// Which workspace and store an admin command works on: a local data directory, or a
/// running Pulse at --url.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Workspace id (local only; defaults to the only workspace in the data directory).
    #[arg(long, env = "PULSE_WORKSPACE")]
    pub workspace: Option<String>,
    /// A running Pulse API, e.g. https://abc.execute-api.eu-west-1.amazonaws.com (then --key is needed).
    #[arg(long, env = "PULSE_URL")]
    pub url: Option<String>,
    /// The key for --url: an admin key (a write key for `import`).
    #[arg(long, env = "PULSE_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub data: DataArgs,
    /// How often to recompute every workspace's profiles (e.g. 15m, 1h, 1d).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub every: Duration,
    /// Public URL of this server, for links in Slack messages.
    #[arg(long, env = "PULSE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Keep the demo's data here (default: a temporary directory, removed afterwards).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Seed of the simulation: the same seed gives the same product.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Number of customer accounts to simulate.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(5..=5000))]
    pub accounts: u64,
    /// Number of days to simulate (ending yesterday).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(14..=365))]
    pub days: u32,
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Create a workspace; prints {"workspace":…, "write_key":…, "admin_key":…} once.
    Create {
        /// A name people recognise, e.g. your product's name.
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the workspaces in the data directory.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Validate and apply a profile file (YAML or JSON); every problem is listed.
    Apply {
        /// The profile file.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the workspace's profiles.
    List {
        #[command(flatten)]
        target: TargetArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SegmentCommand {
    /// Validate and save a custom segment file (YAML or JSON: id, name, kind, profile, rule).
    Apply {
        /// The segment file.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the workspace's custom segments.
    List {
        #[command(flatten)]
        target: TargetArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum AlertCommand {
    /// Validate and save an alert rule file (YAML or JSON: id, profile, scope, trigger, where, channel, cooldown).
    Apply {
        /// The alert rule file.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the workspace's alert rules.
    List {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// The latest alerts and what happened to them (delivered, retrying, failed, logged).
    Deliveries {
        /// Only alerts with this status: pending, delivered, retrying, failed, logged.
        #[arg(long)]
        status: Option<String>,
        /// How many, newest first.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
        #[command(flatten)]
        target: TargetArgs,
    },
}

#[derive(Args, Debug)]
pub struct RecomputeArgs {
    /// The day to compute (YYYY-MM-DD, UTC); default today.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only this profile (default: all).
    #[arg(long)]
    pub profile: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A JSON Lines file: one Segment call per line (with "type"), or one batch per line.
    pub file: PathBuf,
    /// Calls per stored batch.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=2500))]
    pub batch_size: u64,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportWhat {
    Users,
    Accounts,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    pub what: ExportWhat,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Profile to export (default: the only one).
    #[arg(long)]
    pub profile: Option<String>,
    /// Only members of this segment.
    #[arg(long)]
    pub segment: Option<String>,
    /// Day to export (default: the latest computed).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
}
