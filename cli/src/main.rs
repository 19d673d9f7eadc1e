//! The `pulse` command (SPEC §8).

mod cli;
mod demo;
mod export;
mod import;
mod serve;
mod target;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::json;

use crate::cli::{AlertCommand, Cli, Command, ProfileCommand, SegmentCommand, WorkspaceCommand};
use crate::target::{Target, explain, open_local};
use pulse_core::DefinitionKind;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs what it does; one-shot commands only warnings (RUST_LOG overrides).
    let level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    pulse_app::telemetry::init(false, level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Workspace(WorkspaceCommand::Create { name, data }) => {
            let app = open_local(&data).await?;
            let created = app.create_workspace(&name).await.map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&created)?);
            eprintln!(
                "Keep these keys now: they are stored only as hashes and cannot be shown again.\n\
                 Send events with the write_key; use the admin_key for the admin API."
            );
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::List { data }) => {
            let app = open_local(&data).await?;
            for workspace in app.store.workspaces().await? {
                println!(
                    "{}\t{}\t{}",
                    workspace.id,
                    workspace.created_at.to_rfc3339(),
                    workspace.name
                );
            }
            Ok(())
        }
        Command::Profile(ProfileCommand::Apply { file, target }) => {
            let text =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let target = Target::open(&target).await?;
            let profile = target.apply_profile(&text).await?;
            eprintln!(
                "applied profile `{}` ({} events scored); run `pulse recompute` to score with it",
                profile["id"].as_str().unwrap_or_default(),
                profile["events"].as_object().map_or(0, |events| events
                    .values()
                    .filter(|w| w.as_u64() > Some(0))
                    .count())
            );
            println!("{}", serde_json::to_string_pretty(&profile)?);
            Ok(())
        }
        Command::Profile(ProfileCommand::List { target }) => {
            let target = Target::open(&target).await?;
            for profile in target.profiles().await? {
                println!(
                    "{}\t{} days\t{}",
                    profile["id"].as_str().unwrap_or_default(),
                    profile["window_days"],
                    profile["name"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Segment(SegmentCommand::Apply { file, target }) => {
            apply_definition(DefinitionKind::Segment, &file, &target).await
        }
        Command::Segment(SegmentCommand::List { target }) => {
            list_definitions(DefinitionKind::Segment, &target).await
        }
        Command::Alert(AlertCommand::Apply { file, target }) => {
            apply_definition(DefinitionKind::AlertRule, &file, &target).await
        }
        Command::Alert(AlertCommand::List { target }) => {
            list_definitions(DefinitionKind::AlertRule, &target).await
        }
        Command::Alert(AlertCommand::Deliveries {
            status,
            limit,
            target,
        }) => {
            let target = Target::open(&target).await?;
            for alert in target.deliveries(status.as_deref(), limit as usize).await? {
                println!(
                    "{}\t{:<9}\t{}\t{}",
                    alert["raised_at"].as_str().unwrap_or_default(),
                    alert["status"].as_str().unwrap_or_default(),
                    alert["channel"].as_str().unwrap_or("default"),
                    alert["headline"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Recompute(args) => {
            let target = Target::open(&args.target).await?;
            let result = target
                .recompute(args.profile.as_deref(), args.as_of.as_deref())
                .await?;
            target.settle().await?;
            let results = result["results"].as_array().cloned().unwrap_or_default();
            if results.is_empty() {
                eprintln!("no profiles to compute: apply one with `pulse profile apply FILE`");
            }
            for summary in &results {
                eprintln!(
                    "profile {}: {} users ({} active), {} accounts as of {} in {} ms",
                    summary["profile"].as_str().unwrap_or_default(),
                    summary["users"],
                    summary["active_users"],
                    summary["accounts"],
                    summary["as_of"].as_str().unwrap_or_default(),
                    summary["took_ms"]
                );
            }
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(())
        }
        Command::Import(args) => {
            let target = Target::open(&args.target).await?;
            let summary = import::run(&target, &args.file, args.batch_size as usize).await?;
            target.settle().await?;
            for rejection in summary.rejected.iter().take(20) {
                eprintln!("rejected: {rejection}");
            }
            println!(
                "{}",
                json!({"lines": summary.lines, "calls": summary.calls, "stored": summary.stored,
                       "duplicates": summary.duplicates, "rejected": summary.rejected.len()})
            );
            Ok(())
        }
        Command::Export(args) => {
            let target = Target::open(&args.target).await?;
            let rows = match &args.output {
                Some(path) => {
                    let mut file = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    export::run(&target, &args, &mut file).await?
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut out = stdout.lock();
                    let rows = export::run(&target, &args, &mut out).await?;
                    out.flush()?;
                    rows
                }
            };
            eprintln!("exported {rows} rows");
            Ok(())
        }
    }
}

async fn apply_definition(
    kind: DefinitionKind,
    file: &std::path::Path,
    target: &cli::TargetArgs,
) -> Result<()> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let target = Target::open(target).await?;
    let saved = target.apply_definition(kind, &text).await?;
    let when = match kind {
        DefinitionKind::Segment => "its members are computed at the next recompute",
        DefinitionKind::AlertRule => "it is active now",
    };
    eprintln!(
        "saved {kind} `{}`; {when}",
        saved["id"].as_str().unwrap_or_default()
    );
    println!("{}", serde_json::to_string_pretty(&saved)?);
    Ok(())
}

async fn list_definitions(kind: DefinitionKind, target: &cli::TargetArgs) -> Result<()> {
    let target = Target::open(target).await?;
    for definition in target.definitions(kind).await? {
        if definition["default"] == true {
            continue;
        }
        println!("{}", serde_json::to_string(&definition)?);
    }
    Ok(())
}
