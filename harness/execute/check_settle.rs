//! Waiting for an app to serve a check again before verifying it after a fault on its
//! dependency.

use super::{client, verify_one, CheckRun};
use crate::backend::Endpoint;

impl CheckRun {
    /// Waits, polling, until the first sound journey verifies on every replica, for at most
    /// `within`: after a fault on a dependency the app may take a moment to reconnect, and
    /// a check verified before it has would call an outage lost state. Only a check whose
    /// verify steps all read (GET, HEAD) is polled: a write could change what it verifies.
    pub async fn settle(&self, endpoints: &[Endpoint], within: std::time::Duration) {
        let reads = self
            .check
            .verify
            .iter()
            .all(|s| matches!(s.method.as_str(), "GET" | "HEAD"));
        let Some(j) = self.journeys.iter().find(|j| j.sound()).filter(|_| reads) else {
            return;
        };
        let client = client();
        let deadline = tokio::time::Instant::now() + within;
        while verify_one(&client, &self.check, j, endpoints, "settle", None)
            .await
            .1
            .is_err()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
