//! Ports for the replicas, chosen below the kernel's ephemeral range. A port the kernel
//! hands out for `bind(0)` is also what it hands every outgoing connection (the load's,
//! thousands a second) and every other program asking for a free port, and a replica
//! holds its port only once its program has bound it: a port outside that range is not
//! taken by anyone else in the meantime, nor between a kill and the restart.

use crate::backend::{free_port, Result};
use std::net::{Ipv4Addr, TcpListener};

/// The lowest port chosen from.
const LOWEST: u16 = 10_000;
/// Ports tried before falling back to one the kernel picks.
const TRIES: usize = 200;

/// The kernel's ephemeral range, `(low, high)`.
fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace().map(|s| s.parse::<u16>().ok());
    Some((it.next()??, it.next()??))
}

/// A free 127.0.0.1 port from `LOWEST` up to the ephemeral range, not in `taken`; the
/// kernel's choice when that span is too small or full.
pub(super) fn replica_port(taken: &[u16]) -> Result<u16> {
    let below = ephemeral_range().map_or(32_768, |(low, _)| low);
    if below <= LOWEST + 1000 {
        return free_port();
    }
    for _ in 0..TRIES {
        let p = rand::random_range(LOWEST..below);
        if !taken.contains(&p) && TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok() {
            return Ok(p);
        }
    }
    free_port()
}

/// `n` distinct free 127.0.0.1 ports, chosen as a run's replicas' would be (what `phoenix
/// doctor` checks; nothing holds them afterwards).
pub fn free_loopback_ports(n: usize) -> Result<Vec<u16>> {
    let mut ports = Vec::with_capacity(n);
    for _ in 0..n {
        let p = replica_port(&ports)?;
        ports.push(p);
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_port_is_free_outside_the_ephemeral_range_and_not_taken() {
        let (low, _) = ephemeral_range().expect("/proc tells the ephemeral range");
        let first = replica_port(&[]).unwrap();
        let second = replica_port(&[first]).unwrap();
        for p in [first, second] {
            assert!((LOWEST..low).contains(&p), "{p} outside [{LOWEST}, {low})");
            assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok(), "{p} is free");
        }
        assert_ne!(first, second);
    }
}
