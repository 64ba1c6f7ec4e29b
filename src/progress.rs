//! Run events (the boundary between executor and terminal) and the live reporter that
//! renders them: an indicatif bar on a terminal, plain lines otherwise, or nothing.

use crate::verdict::Verdict;
use std::io::IsTerminal;
use tokio::sync::mpsc;

/// How the run shows live progress (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, plain lines otherwise.
    #[default]
    Auto,
    Bar,
    Plain,
    None,
}

#[derive(Debug, Clone)]
pub enum RunEvent {
    Started {
        total: usize,
        jobs: usize,
    },
    CaseStarted {
        id: String,
    },
    CaseFinished {
        id: String,
        verdict: Verdict,
        message: String,
        duration_ms: u64,
    },
    Interrupted {
        reason: String,
    },
    Finished {
        summary: crate::run_result::Summary,
        /// Verdicts per judged party, so "AS-B: 0 fail, 4 blocked by AS-A" shows at a glance.
        parties: Vec<crate::run_result::PartySummary>,
    },
}

/// Spawn the reporter; send events to the returned sender, await the handle to flush.
pub fn spawn_reporter(
    mode: ProgressMode,
    secrets: Vec<String>,
) -> (mpsc::UnboundedSender<RunEvent>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<RunEvent>();
    let mode = match mode {
        ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
        ProgressMode::Auto => ProgressMode::Plain,
        m => m,
    };
    let handle = tokio::spawn(async move {
        let mut bar: Option<indicatif::ProgressBar> = None;
        while let Some(mut ev) = rx.recv().await {
            // Secrets never reach the terminal, whatever a server echoed.
            if let RunEvent::CaseFinished { message, .. } = &mut ev {
                for secret in &secrets {
                    *message = message.replace(secret.as_str(), "[REDACTED]");
                }
            }
            match mode {
                ProgressMode::None => {}
                ProgressMode::Bar => render_bar(&mut bar, ev),
                _ => render_plain(ev),
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    });
    (tx, handle)
}

/// One result line; the message may quote a server, so control characters are neutralised.
fn line(id: &str, verdict: Verdict, message: &str, ms: u64) -> String {
    let message = crate::report::terminal_safe(message);
    format!(
        "{:<5} {id} ({ms} ms){}",
        verdict.as_str().to_uppercase(),
        if verdict == Verdict::Pass {
            String::new()
        } else {
            format!(": {message}")
        }
    )
}

fn render_plain(ev: RunEvent) {
    match ev {
        RunEvent::Started { total, jobs } => eprintln!("running {total} cases ({jobs} at a time)"),
        RunEvent::CaseStarted { .. } => {}
        RunEvent::CaseFinished {
            id,
            verdict,
            message,
            duration_ms,
        } => eprintln!("{}", line(&id, verdict, &message, duration_ms)),
        RunEvent::Interrupted { reason } => {
            eprintln!("interrupted: {reason}; unfinished cases are reported as not run")
        }
        RunEvent::Finished {
            summary: s,
            parties,
        } => {
            for p in &parties {
                eprintln!("  {}", p.line());
            }
            eprintln!(
                "{} cases: {} pass, {} fail, {} warn, {} info, {} blocked, {} skip, {} error",
                s.total, s.pass, s.fail, s.warn, s.info, s.blocked, s.skip, s.error
            )
        }
    }
}

fn render_bar(bar: &mut Option<indicatif::ProgressBar>, ev: RunEvent) {
    match ev {
        RunEvent::Started { total, .. } => {
            let b = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            ) {
                b.set_style(style);
            }
            b.enable_steady_tick(std::time::Duration::from_millis(200));
            *bar = Some(b);
        }
        RunEvent::CaseStarted { id } => {
            if let Some(b) = bar {
                b.set_message(id);
            }
        }
        RunEvent::CaseFinished {
            id,
            verdict,
            message,
            duration_ms,
        } => {
            if let Some(b) = bar {
                if verdict != Verdict::Pass {
                    b.println(line(&id, verdict, &message, duration_ms));
                }
                b.inc(1);
            }
        }
        other => {
            if let Some(b) = bar {
                b.suspend(|| render_plain(other));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_neutralise_control_characters() {
        let l = line("s/c", Verdict::Fail, "got \u{1b}[2Jboom\nnext", 5);
        assert!(!l.contains('\u{1b}') && !l.contains('\n'), "{l}");
        assert!(l.starts_with("FAIL  s/c (5 ms): got "), "{l}");
        assert_eq!(line("s/c", Verdict::Pass, "ignored", 1), "PASS  s/c (1 ms)");
    }
}
