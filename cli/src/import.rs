//! `pulse import FILE.jsonl`: one Segment call per line (or a `{"batch":[…]}` per line),
//! sent in batches with a progress bar. Repeating an import is safe: calls carry their
//! `messageId`s, so calls stored before are recognised and not counted again. Calls
//! without a `messageId` get one derived from their line's content (a SHA-256), so a
//! repeated import is safe for them too — and identical lines count once.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::target::Target;

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub lines: u64,
    pub calls: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: Vec<String>,
}

pub async fn run(target: &Target, file: &Path, batch_size: usize) -> Result<ImportSummary> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let reader =
        BufReader::new(File::open(file).with_context(|| format!("opening {}", file.display()))?);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{spinner} importing [{bar:30}] {bytes}/{total_bytes} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut summary = ImportSummary::default();
    let mut pending: Vec<Value> = Vec::with_capacity(batch_size);
    for (index, line) in reader.lines().enumerate() {
        let line =
            line.with_context(|| format!("reading line {} of {}", index + 1, file.display()))?;
        progress.inc(line.len() as u64 + 1);
        summary.lines += 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(error) => {
                summary
                    .rejected
                    .push(format!("line {}: not JSON: {error}", index + 1));
                continue;
            }
        };
        let calls = match value.get("batch") {
            Some(Value::Array(batch)) => batch.clone(),
            _ => vec![value],
        };
        let line_hash = hex::encode(&Sha256::digest(line.as_bytes())[..16]);
        for (position, mut call) in calls.into_iter().enumerate() {
            if let Value::Object(object) = &mut call
                && object.get("messageId").is_none_or(Value::is_null)
            {
                object.insert(
                    "messageId".into(),
                    Value::String(format!("import-{line_hash}-{position}")),
                );
            }
            pending.push(call);
            summary.calls += 1;
            if pending.len() >= batch_size {
                send(target, &mut pending, &mut summary).await?;
                progress.set_message(format!("{} calls", summary.calls));
            }
        }
    }
    send(target, &mut pending, &mut summary).await?;
    progress.finish_and_clear();
    if summary.calls == 0 && summary.rejected.is_empty() {
        bail!(
            "{} holds no calls (expected one JSON call per line)",
            file.display()
        );
    }
    Ok(summary)
}

async fn send(
    target: &Target,
    pending: &mut Vec<Value>,
    summary: &mut ImportSummary,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let calls = std::mem::take(pending);
    let report = target.import(calls).await?;
    summary.stored += (report.accepted - report.duplicates) as u64;
    summary.duplicates += report.duplicates as u64;
    summary.rejected.extend(
        report
            .rejected
            .iter()
            .map(|rejection| format!("call {}: {}", rejection.index, rejection.error)),
    );
    Ok(())
}
