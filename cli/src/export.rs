//! `pulse export users|accounts`: every scored subject of a day as CSV (flat columns a
//! spreadsheet opens) or JSON Lines (the API resources as they are), page by page.

use std::io::Write;

use anyhow::Result;
use indicatif::ProgressBar;
use pulse_core::SubjectKind;
use serde_json::Value;

use crate::cli::{ExportArgs, ExportFormat, ExportWhat};
use crate::target::{PageRequest, Target};

const PAGE: usize = 1_000;

const USER_COLUMNS: [&str; 13] = [
    "id",
    "as_of",
    "score",
    "raw_score",
    "score_change",
    "frequency",
    "adoption.period",
    "adoption.all_time",
    "activation.rate",
    "accounts",
    "segments",
    "first_seen",
    "last_seen",
];
const ACCOUNT_COLUMNS: [&str; 16] = [
    "id",
    "as_of",
    "traits.name",
    "score.average",
    "score.total",
    "score.change",
    "users.total",
    "users.active",
    "users.active_pct",
    "frequency",
    "adoption.period",
    "adoption.all_time",
    "activation.rate",
    "segments",
    "first_seen",
    "last_seen",
];

/// Writes rows as CSV or JSON Lines.
enum RowWriter<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>, &'static [&'static str]),
    Jsonl(&'a mut dyn Write),
}

impl RowWriter<'_> {
    fn write(&mut self, item: &Value) -> Result<()> {
        match self {
            RowWriter::Csv(writer, columns) => {
                writer.write_record(columns.iter().map(|column| cell(item, column)))?
            }
            RowWriter::Jsonl(out) => {
                serde_json::to_writer(&mut **out, item)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            RowWriter::Csv(mut writer, _) => writer.flush()?,
            RowWriter::Jsonl(out) => out.flush()?,
        }
        Ok(())
    }
}

/// Writes the export to `out`; returns how many rows were written.
pub async fn run(target: &Target, args: &ExportArgs, out: &mut dyn Write) -> Result<u64> {
    let (kind, columns): (SubjectKind, &'static [&'static str]) = match args.what {
        ExportWhat::Users => (SubjectKind::Users, &USER_COLUMNS),
        ExportWhat::Accounts => (SubjectKind::Accounts, &ACCOUNT_COLUMNS),
    };
    let mut writer = match args.format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(columns)?;
            RowWriter::Csv(Box::new(csv), columns)
        }
        ExportFormat::Jsonl => RowWriter::Jsonl(out),
    };
    let progress = ProgressBar::new_spinner();
    let mut rows = 0u64;
    let mut cursor = None;
    loop {
        let request = PageRequest {
            kind,
            profile: args.profile.as_deref(),
            segment: args.segment.as_deref(),
            as_of: args.as_of.as_deref(),
            cursor: cursor.take(),
            limit: PAGE,
        };
        let (items, next) = target.page(&request).await?;
        for item in &items {
            writer.write(item)?;
            rows += 1;
        }
        progress.set_message(format!("exported {rows} {}", kind.as_str()));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    writer.finish()?;
    progress.finish_and_clear();
    Ok(rows)
}

/// A dotted path into the resource, rendered for a spreadsheet cell (lists joined by `;`).
fn cell(item: &Value, path: &str) -> String {
    let value = path.split('.').try_fold(item, |value, key| value.get(key));
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_string)
            })
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_follow_dotted_paths_and_join_lists() {
        let item = json!({"id": "acme", "score": {"average": 63.4}, "segments": ["engaged", "red_hot"],
            "traits": {"name": "Acme, Inc."}, "score_change": null});
        assert_eq!(cell(&item, "score.average"), "63.4");
        assert_eq!(cell(&item, "segments"), "engaged;red_hot");
        assert_eq!(cell(&item, "traits.name"), "Acme, Inc.");
        assert_eq!(cell(&item, "score_change"), "");
        assert_eq!(cell(&item, "missing.path"), "");
    }
}
