//! The fault kinds and the actions that end them: the scenario's vocabulary for faults.

use serde::{Deserialize, Serialize};

/// What happens to a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// SIGKILL.
    Kill,
    /// SIGTERM, a grace period, then SIGKILL.
    Stop,
    /// Freeze every process of the replica.
    Pause,
    /// Cut the replica off its network(s).
    Disconnect,
    /// Scale down: remove the replica.
    Remove,
    /// Fowler's drill: every container of the scenario (replicas, services, front) killed
    /// at once, then all rebuilt from images and named volumes.
    Burn,
    /// Network faults on the link to a service, each a Toxiproxy toxic for `for`:
    /// data delayed by `latency` ± `jitter` ms.
    Latency,
    /// Data passed at `rate` KB/s.
    Bandwidth,
    /// Nothing passed; the connection closed after `timeout` ms (0: held until healed).
    Timeout,
    /// The connection reset (TCP RST) after `timeout` ms.
    Reset,
    /// The close delayed by `delay` ms.
    #[serde(rename = "slow_close")]
    SlowClose,
    /// The connection closed after `bytes` bytes.
    #[serde(rename = "limit_data")]
    LimitData,
}

impl FaultKind {
    const ALL: [FaultKind; 12] = [
        FaultKind::Kill,
        FaultKind::Stop,
        FaultKind::Pause,
        FaultKind::Disconnect,
        FaultKind::Remove,
        FaultKind::Burn,
        FaultKind::Latency,
        FaultKind::Bandwidth,
        FaultKind::Timeout,
        FaultKind::Reset,
        FaultKind::SlowClose,
        FaultKind::LimitData,
    ];
    pub(crate) const NAMES: [&'static str; 12] = [
        "kill",
        "stop",
        "pause",
        "disconnect",
        "remove",
        "burn",
        "latency",
        "bandwidth",
        "timeout",
        "reset",
        "slow_close",
        "limit_data",
    ];

    pub fn as_str(&self) -> &'static str {
        let i = Self::ALL.iter().position(|k| k == self).unwrap_or(0);
        Self::NAMES[i]
    }

    pub fn parse(s: &str) -> Option<FaultKind> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    /// The Toxiproxy toxic type of a network fault, None for any other kind.
    pub fn toxic_type(&self) -> Option<&'static str> {
        Some(match self {
            FaultKind::Latency => "latency",
            FaultKind::Bandwidth => "bandwidth",
            FaultKind::Timeout => "timeout",
            FaultKind::Reset => "reset_peer",
            FaultKind::SlowClose => "slow_close",
            FaultKind::LimitData => "limit_data",
            _ => return None,
        })
    }

    /// A fault that lasts `for` a while, then ends by itself (no reaction delay).
    pub(crate) fn lasts(&self) -> bool {
        matches!(self, FaultKind::Pause | FaultKind::Disconnect | FaultKind::Remove) || self.toxic_type().is_some()
    }

    /// The action that ends a fault of this kind when the scenario names none, and whether
    /// the scenario may choose (`restart` or `replace`).
    pub(crate) fn default_action(&self) -> (Action, bool) {
        match self {
            FaultKind::Kill | FaultKind::Stop => (Action::Restart, true),
            FaultKind::Pause => (Action::Unpause, false),
            FaultKind::Disconnect => (Action::Reconnect, false),
            FaultKind::Remove => (Action::Add, false),
            FaultKind::Burn => (Action::Rebuild, false),
            _ => (Action::Heal, false),
        }
    }
}

/// What the orchestrator does after the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Start the same container again.
    Restart,
    /// Remove it and start a fresh container from the image on the same port.
    Replace,
    /// Thaw a paused replica.
    Unpause,
    /// Connect a cut-off replica again.
    Reconnect,
    /// Scale up: a fresh replica in the removed one's place.
    Add,
    /// Nothing: the platform replaces it by its restart policy (swarm), after `delay`.
    Platform,
    /// After a burn: every container created again from its image, services first (each
    /// with its named volumes), then the replicas, then the front.
    Rebuild,
    /// After a network fault: the toxic removed from the link.
    Heal,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Restart => "restart",
            Action::Replace => "replace",
            Action::Unpause => "unpause",
            Action::Reconnect => "reconnect",
            Action::Add => "add",
            Action::Platform => "platform",
            Action::Rebuild => "rebuild",
            Action::Heal => "heal",
        }
    }
}
