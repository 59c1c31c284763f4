//! HAProxy in front of a swarm run's replicas: a plain container attached to the run's
//! attachable overlay network, which reaches each slot's task by the slot's alias there
//! (`app-0`, ...) through Docker's DNS — a replaced task is found again at its new address —
//! and is published on a fixed 127.0.0.1 port for the load. Not a swarm service: a
//! balancer the harness owns, like the Docker backend's, so the load's path does not pass
//! the routing mesh this kernel lacks.

use super::{bounded, SwarmBackend, CALL_TIMEOUT};
use crate::backend::front::{haproxy_config, CONFIG_PATH, LISTEN_PORT};
use crate::backend::{free_port, labels, Endpoint, FrontDeploy, Result};
use bollard::models::{ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding};
use bollard::query_parameters::{CreateContainerOptions, UploadToContainerOptions};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

/// `file` (a path) holding `text`, as a tar for the engine's copy-in.
fn tar_of(file: &str, text: &str) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(text.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, file.trim_start_matches('/'), text.as_bytes())?;
    b.into_inner()
}

impl SwarmBackend {
    /// Starts HAProxy for `replicas` (listening on `port` in their containers) on `net`.
    pub(super) async fn start_front(
        &self,
        f: &FrontDeploy,
        replicas: &[String],
        port: u16,
        net: &str,
    ) -> Result<Endpoint> {
        let servers: Vec<(String, String)> = replicas.iter().map(|r| (r.clone(), r.clone())).collect();
        let config = haproxy_config(&servers, port, &f.options);
        let host_port = free_port()?;
        let key = format!("{LISTEN_PORT}/tcp");
        let body = ContainerCreateBody {
            image: Some(f.image.clone()),
            labels: Some(labels::for_member(&self.run_id, "front", "front")),
            exposed_ports: Some(vec![key.clone()]),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(
                    key,
                    Some(vec![PortBinding {
                        host_ip: Some(Ipv4Addr::LOCALHOST.to_string()),
                        host_port: Some(host_port.to_string()),
                    }]),
                )])),
                network_mode: Some(net.to_string()),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(net.to_string(), EndpointSettings::default())])),
            }),
            ..Default::default()
        };
        let name = self.object_name("front");
        let opts = CreateContainerOptions {
            name: Some(name.clone()),
            ..Default::default()
        };
        let created = bounded(
            "create front",
            &name,
            CALL_TIMEOUT,
            self.docker.create_container(Some(opts), body),
        )
        .await?;
        let tar = tar_of(CONFIG_PATH, &config).map_err(|e| crate::backend::BackendError::Op {
            op: "pack the configuration of",
            what: name.clone(),
            reason: e.to_string(),
        })?;
        let upload = self.docker.upload_to_container(
            &created.id,
            Some(UploadToContainerOptions {
                path: "/".into(),
                ..Default::default()
            }),
            bollard::body_full(bytes::Bytes::from(tar)),
        );
        bounded("configure front", &name, CALL_TIMEOUT, upload).await?;
        let start = self
            .docker
            .start_container(&created.id, None::<bollard::query_parameters::StartContainerOptions>);
        bounded("start front", &name, CALL_TIMEOUT, start).await?;
        Ok(Endpoint {
            replica: "front".into(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, host_port)),
        })
    }
}
