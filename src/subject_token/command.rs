//! The `command` subject-token source: run a credential helper (as git's and docker's
//! credential helpers work) and read the token from its stdout. No shell is involved; the run
//! is bounded in time and output; on failure its stderr is shown, never its stdout.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Longest stdout accepted (a token, or a small JSON token response).
pub const MAX_STDOUT: usize = 64 * 1024;
/// How much of stderr a failure shows.
const MAX_STDERR_SHOWN: usize = 2 * 1024;

#[derive(Debug, Clone)]
pub struct TokenCommand {
    /// Program and arguments.
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// Folder the command runs in (the target file's).
    pub dir: std::path::PathBuf,
}

/// What the helper printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Printed {
    pub token: String,
    /// From a JSON answer's `expires_in`.
    pub expires_in: Option<i64>,
}

impl TokenCommand {
    /// Run it with `CHAINPROOF_TOKEN_ROLE` set to `role`. Stdout is either the token alone
    /// (surrounding whitespace ignored) or a JSON object with `access_token` and optionally
    /// `expires_in`, the shape of an RFC 6749 §5.1 token response.
    pub async fn run(&self, role: &str) -> Result<Printed, String> {
        let program = self.argv.first().cloned().unwrap_or_default();
        let mut child = tokio::process::Command::new(&program)
            .args(&self.argv[1..])
            .current_dir(if self.dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                &self.dir
            })
            .env("CHAINPROOF_TOKEN_ROLE", role)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("token command `{program}` cannot start: {e}"))?;
        let mut stdout = child
            .stdout
            .take()
            .expect("piped")
            .take(MAX_STDOUT as u64 + 1);
        let mut stderr = child
            .stderr
            .take()
            .expect("piped")
            .take(MAX_STDERR_SHOWN as u64 * 4);
        let work = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (o, e) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            o.map_err(|e| format!("reading its stdout: {e}"))?;
            e.map_err(|e| format!("reading its stderr: {e}"))?;
            if out.len() > MAX_STDOUT {
                return Err(format!("it printed more than {MAX_STDOUT} bytes"));
            }
            let status = child.wait().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((status, out, err))
        };
        let (status, out, err) = match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(format!("token command `{program}`: {e}")),
            Err(_) => {
                return Err(format!(
                    "token command `{program}` did not finish within {} s",
                    self.timeout.as_secs()
                ));
            }
        };
        let stderr_text = || {
            let s = String::from_utf8_lossy(&err);
            let s = s.trim();
            if s.is_empty() {
                "no stderr".to_string()
            } else {
                let tail: String = s.chars().take(MAX_STDERR_SHOWN).collect();
                format!("stderr: {}", tail.replace('\n', " | "))
            }
        };
        if !status.success() {
            return Err(format!(
                "token command `{program}` failed ({status}); {}",
                stderr_text()
            ));
        }
        let text = String::from_utf8(out)
            .map_err(|_| format!("token command `{program}` printed bytes that are not UTF-8"))?;
        parse(text.trim()).map_err(|e| format!("token command `{program}` {e}; {}", stderr_text()))
    }
}

fn parse(text: &str) -> Result<Printed, String> {
    if text.starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|_| "printed JSON that does not parse")?;
        let token = v["access_token"]
            .as_str()
            .ok_or("printed JSON without a string `access_token`")?;
        return Ok(Printed {
            token: token.to_string(),
            expires_in: v["expires_in"].as_i64(),
        });
    }
    if text.is_empty() {
        return Err("printed nothing".into());
    }
    if text.chars().any(char::is_whitespace) {
        return Err("printed more than one word (expected the token alone)".into());
    }
    Ok(Printed {
        token: text.to_string(),
        expires_in: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(script: &str, timeout_ms: u64) -> TokenCommand {
        TokenCommand {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            timeout: Duration::from_millis(timeout_ms),
            dir: Default::default(),
        }
    }

    #[tokio::test]
    async fn reads_the_token_or_a_json_answer_and_sees_the_role() {
        let p = cmd("echo \"tok-$CHAINPROOF_TOKEN_ROLE\"", 5000)
            .run("primary")
            .await
            .unwrap();
        assert_eq!(p.token, "tok-primary");
        let p = cmd(r#"echo '{"access_token":"abc","expires_in":60}'"#, 5000)
            .run("x")
            .await
            .unwrap();
        assert_eq!((p.token.as_str(), p.expires_in), ("abc", Some(60)));
    }

    #[tokio::test]
    async fn failures_show_stderr_never_stdout() {
        let e = cmd("echo SECRET-TOKEN; echo 'login expired' >&2; exit 3", 5000)
            .run("primary")
            .await
            .unwrap_err();
        assert!(
            e.contains("login expired") && e.contains("exit status: 3"),
            "{e}"
        );
        assert!(!e.contains("SECRET-TOKEN"), "{e}");
        let e = cmd("echo two words", 5000).run("p").await.unwrap_err();
        assert!(
            e.contains("more than one word") && !e.contains("two"),
            "{e}"
        );
        let e = cmd("exit 0", 5000).run("p").await.unwrap_err();
        assert!(e.contains("printed nothing"), "{e}");
    }

    #[tokio::test]
    async fn bounded_in_time_and_output() {
        let e = cmd("sleep 5", 200).run("p").await.unwrap_err();
        assert!(e.contains("did not finish within"), "{e}");
        let e = cmd("head -c 100000 /dev/zero | tr '\\0' a", 5000)
            .run("p")
            .await
            .unwrap_err();
        assert!(e.contains("more than 65536 bytes"), "{e}");
        let e = TokenCommand {
            argv: vec!["/nonexistent/helper".into()],
            timeout: Duration::from_secs(1),
            dir: Default::default(),
        }
        .run("p")
        .await
        .unwrap_err();
        assert!(e.contains("cannot start"), "{e}");
    }
}
