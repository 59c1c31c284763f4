//! The read-only trial's extra instance: the app's image with the deployment's env,
//! volumes and network, but a read-only root filesystem (`HostConfig.ReadonlyRootfs`) and
//! a small tmpfs at /tmp (`HostConfig.Tmpfs`), both in API 1.41. It is no replica: no
//! fault reaches it and the main load never sees it; the teardown removes it like the rest.

use super::teardown::{remove_containers, Target};
use super::{free_port, DockerBackend};
use crate::backend::{BackendError, Endpoint, Result};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

/// Its member name (label and container name); not a replica name (`app-N`).
pub const MEMBER: &str = "read-only";

impl DockerBackend {
    pub(super) async fn start_read_only_instance(&self, tmp_bytes: u64) -> Result<Endpoint> {
        let mut state = self.state.lock().await;
        let d = state.deployment.clone().ok_or_else(|| BackendError::Op {
            op: "start the read-only instance of",
            what: "the app".into(),
            reason: "nothing is deployed".into(),
        })?;
        if state.read_only.is_some() {
            return Err(BackendError::Op {
                op: "start the read-only instance of",
                what: "the app".into(),
                reason: "one is already running".into(),
            });
        }
        let port = free_port()?;
        let tmpfs = HashMap::from([(
            "/tmp".to_string(),
            format!("rw,nosuid,nodev,size={tmp_bytes},mode=1777"),
        )]);
        let c = self
            .start_instance(&mut state, &d, MEMBER, port, move |hc| {
                hc.readonly_rootfs = Some(true);
                hc.tmpfs = Some(tmpfs.clone());
            })
            .await?;
        state.read_only = Some(c);
        Ok(Endpoint {
            replica: MEMBER.into(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        })
    }

    pub(super) async fn stop_read_only_instance(&self) -> Vec<(i64, String)> {
        let Some(c) = self.state.lock().await.read_only.take() else {
            return Vec::new();
        };
        let lines = self.fetch_lines(c.id()).await;
        // a removal that fails here is retried by the teardown's sweep by label
        let _ = remove_containers(&self.docker, vec![Target::Handle(Box::new(c))]).await;
        lines
    }
}
