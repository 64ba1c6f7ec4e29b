//! A circuit breaker for live servers: after N consecutive connection errors or timeouts the
//! run stops and says so, instead of hammering a server that no longer answers.

/// Counts consecutive transport failures in evaluation order.
#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    consecutive: u32,
    last_error: Option<String>,
}

impl Breaker {
    pub fn new(threshold: u32) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            consecutive: 0,
            last_error: None,
        }
    }

    /// Record one request's transport outcome; returns true when the breaker trips.
    pub fn record(&mut self, transport_error: Option<&str>) -> bool {
        match transport_error {
            None => {
                self.consecutive = 0;
                false
            }
            Some(e) => {
                self.consecutive += 1;
                self.last_error = Some(e.to_string());
                self.tripped()
            }
        }
    }

    /// Open the breaker because concurrent requests tripped it out of evaluation order.
    pub fn force_open(&mut self) {
        self.consecutive = self.consecutive.max(self.threshold);
    }

    pub fn tripped(&self) -> bool {
        self.consecutive >= self.threshold
    }

    /// Why the run stopped, for the report.
    pub fn message(&self) -> String {
        format!(
            "stopped after {} consecutive connection errors or timeouts (last: {})",
            self.consecutive,
            self.last_error.as_deref().unwrap_or("none")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_only_on_consecutive_errors() {
        let mut b = Breaker::new(3);
        assert!(!b.record(Some("timeout")));
        assert!(!b.record(Some("timeout")));
        assert!(!b.record(None));
        assert!(!b.record(Some("reset")));
        assert!(!b.record(Some("reset")));
        assert!(b.record(Some("connection refused")));
        assert!(
            b.message().contains("3 consecutive") && b.message().contains("connection refused")
        );
    }
}
