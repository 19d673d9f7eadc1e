//! `pulse demo` (being written).
use anyhow::Result;
pub async fn run(_args: crate::cli::DemoArgs) -> Result<()> { anyhow::bail!("not yet") }
