//! Replay files: one shrunk finding, saved as JSON so that `chainproof fuzz --replay FILE`
//! re-sends it and re-checks its oracle. No secrets are stored: credentials, tokens and
//! target URLs are placeholders, re-injected from the target at replay time.

use crate::fuzz::engine::Finding;
use crate::fuzz::oracle::Oracle;
use crate::fuzz::render::Template;
use crate::fuzz::request::{Endpoint, FuzzRequest};
use crate::report::InputError;
use crate::verdict::Level;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT: &str = "chainproof-fuzz-replay/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The run that found it: `chainproof fuzz --seed SEED` reproduces the search.
    pub seed: u64,
    pub case_index: u64,
    /// Deduplication key and report case id (`<endpoint>-<oracle>[...]`).
    pub id: String,
    pub endpoint: Endpoint,
    pub oracle: Oracle,
    pub requirements: Vec<String>,
    pub level: Level,
    pub message: String,
    /// What the request looks like, with `{placeholders}` for target values and secrets.
    pub preview: String,
    /// Method, URL, headers and body as sent, with the same placeholders.
    #[serde(default)]
    pub http: Template,
    /// The request itself, re-rendered against the target on replay.
    pub request: FuzzRequest,
}

impl ReplayFile {
    pub fn from_finding(f: &Finding, seed: u64, preview: String, http: Template) -> ReplayFile {
        ReplayFile {
            format: FORMAT.into(),
            seed,
            case_index: f.case_index,
            id: f.key.clone(),
            endpoint: f.endpoint,
            oracle: f.violation.oracle,
            requirements: f.violation.requirements.clone(),
            level: f.violation.level,
            message: f.violation.message.clone(),
            preview,
            http,
            request: f.request.clone(),
        }
    }

    /// Read a replay file; an unreadable one, or one that is not a replay file, is an error
    /// positioned and drawn like every other user-file error.
    pub fn load(path: &Path) -> Result<ReplayFile, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::whole(path, format!("cannot read replay file: {e}")))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<ReplayFile, InputError> {
        let file: ReplayFile = serde_json::from_str(text).map_err(|e| {
            let message = format!("invalid replay file: {e}");
            InputError::at_line(path, text, e.line(), e.column(), message)
        })?;
        if file.format != FORMAT {
            let found = &file.format;
            let message = format!("unsupported replay format {found:?} (expected {FORMAT:?})");
            return Err(InputError::whole(path, message));
        }
        Ok(file)
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let err = |e: std::io::Error| format!("cannot write replay file {}: {e}", path.display());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let text = serde_json::to_string_pretty(self).expect("replay file serializes");
        std::fs::write(path, text + "\n").map_err(err)
    }

    /// File name inside the output folder.
    pub fn file_name(&self) -> String {
        format!("fuzz-finding-{}.json", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReplayFile {
        ReplayFile {
            format: FORMAT.into(),
            seed: 1,
            case_index: 7,
            id: "exchange-server-error".into(),
            endpoint: Endpoint::Exchange,
            oracle: Oracle::ServerError,
            requirements: vec!["GEN-04".into()],
            level: Level::Must,
            message: "HTTP 500".into(),
            preview: "exchange POST ct=Form".into(),
            http: Template::default(),
            request: FuzzRequest::baseline(Endpoint::Assertion),
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        sample().save(&path).unwrap();
        assert_eq!(ReplayFile::load(&path).unwrap(), sample());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = serde_json::to_string_pretty(&sample())
            .unwrap()
            .replace("\"seed\": 1", "\"seed\": \"x\"");
        let err = ReplayFile::parse(&text, Path::new("bad.json"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("error: invalid replay file"), "{err}");
        assert!(err.contains(" --> bad.json:3:"), "{err}");
        let text = serde_json::to_string(&sample())
            .unwrap()
            .replace(FORMAT, "other/9");
        let err = ReplayFile::parse(&text, Path::new("f.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported replay format"), "{err}");
    }
}
