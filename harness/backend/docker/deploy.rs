//! Deploying: images made available, container requests with this run's labels and a fixed
//! 127.0.0.1 port, then the run's network, volumes, services, replicas and front.

use super::{bounded, free_port, images, Container, DockerBackend, Replica, State, CALL_TIMEOUT};
use crate::backend::front::{haproxy_config, CONFIG_PATH, LISTEN_PORT};
use crate::backend::{
    labels, BackendError, Deployed, Deployment, Endpoint, FrontDeploy, ImageSource, ImageSpec, Result, ServiceSpec,
};
use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, PortBinding, VolumeCreateRequest,
};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use testcontainers::core::{ContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

impl DockerBackend {
    /// Makes one image available: the local one unless it is to be rebuilt, else made the
    /// way it says; returns its id.
    pub(super) async fn ensure_image(&self, spec: &ImageSpec) -> Result<String> {
        let (image, rebuild) = (spec.reference.as_str(), spec.rebuild);
        if !rebuild {
            if let Some(id) = images::local_id(&self.docker, image).await {
                return Ok(id);
            }
        }
        // one build at a time on this machine; another process may have built it meanwhile
        let _lock = images::BuildLock::acquire(image).await?;
        if !rebuild {
            if let Some(id) = images::local_id(&self.docker, image).await {
                return Ok(id);
            }
        }
        match &spec.source {
            ImageSource::Build(b) => images::build(&self.docker, image, b).await?,
            ImageSource::Recipe(r) => images::build_recipe(image, r).await?,
            ImageSource::Fetch => images::pull(&self.docker, image).await?,
        }
        images::local_id(&self.docker, image)
            .await
            .ok_or_else(|| BackendError::ImageMissing { image: image.into() })
    }

    /// A container request with this run's labels and name.
    pub(super) fn request(
        &self,
        image: &str,
        member: &str,
        role: &str,
        n: Option<usize>,
        exposed: Option<u16>,
        ready_log: Option<&str>,
    ) -> testcontainers::ContainerRequest<GenericImage> {
        let (name, tag) = images::split_image(image);
        let mut image = GenericImage::new(name, tag);
        if let Some(port) = exposed {
            // the port must be exposed for its binding to apply
            image = image.with_exposed_port(ContainerPort::Tcp(port));
        }
        if let Some(line) = ready_log {
            image = image.with_wait_for(WaitFor::message_on_either_std(line));
        }
        image
            .with_labels(labels::for_member(&self.run_id, member, role))
            .with_container_name(match n {
                Some(n) => format!("{}-{n}", self.container_name(member)),
                None => self.container_name(member),
            })
            .with_startup_timeout(CALL_TIMEOUT)
    }

    pub(super) async fn start_replica(
        &self,
        state: &mut State,
        d: &Deployment,
        replica: &str,
        port: u16,
    ) -> Result<Container> {
        self.start_instance(state, d, replica, port, |_| {}).await
    }

    /// An instance of the app named `member`, published on `port`, with `host` applied
    /// to its host configuration last (the read-only trial's filesystem settings).
    pub(super) async fn start_instance(
        &self,
        state: &mut State,
        d: &Deployment,
        member: &str,
        port: u16,
        host: impl Fn(&mut bollard::models::HostConfig) + Send + Sync + 'static,
    ) -> Result<Container> {
        let replica = member;
        state.started += 1;
        let mut req = self.request(&d.image, replica, "app", None, Some(d.port), None);
        if let Some(net) = &state.network {
            req = req.with_network(net.clone());
        }
        for (k, v) in &d.env {
            req = req.with_env_var(k.clone(), v.clone());
        }
        for v in &d.volumes {
            req = req.with_mount(Mount::volume_mount(self.volume_name(&v.name), v.path.clone()));
        }
        let req = Self::publish_with(req, d.port, port, host);
        bounded(
            "start replica",
            replica,
            CALL_TIMEOUT + Duration::from_secs(5),
            req.start(),
        )
        .await
    }

    /// Binds `container_port` to a fixed `127.0.0.1:host_port`.
    pub(super) fn publish(
        req: testcontainers::ContainerRequest<GenericImage>,
        container_port: u16,
        host_port: u16,
    ) -> testcontainers::ContainerRequest<GenericImage> {
        Self::publish_with(req, container_port, host_port, |_| {})
    }

    /// [`Self::publish`], then `more` on the host configuration (testcontainers keeps one
    /// host-config modifier per request: the last one given).
    fn publish_with(
        req: testcontainers::ContainerRequest<GenericImage>,
        container_port: u16,
        host_port: u16,
        more: impl Fn(&mut bollard::models::HostConfig) + Send + Sync + 'static,
    ) -> testcontainers::ContainerRequest<GenericImage> {
        let key = format!("{container_port}/tcp");
        req.with_host_config_modifier(move |hc| {
            hc.publish_all_ports = Some(false);
            hc.privileged = Some(false);
            hc.port_bindings = Some(HashMap::from([(
                key.clone(),
                Some(vec![PortBinding {
                    host_ip: Some(Ipv4Addr::LOCALHOST.to_string()),
                    host_port: Some(host_port.to_string()),
                }]),
            )]));
            more(hc);
        })
    }

    /// Creates the run's volume for `name` (labelled, removed at teardown) unless it exists.
    pub(super) async fn create_volume(&self, state: &mut State, name: &str) -> Result<()> {
        let name = self.volume_name(name);
        if state.volumes.contains(&name) {
            return Ok(());
        }
        let req = VolumeCreateRequest {
            name: Some(name.clone()),
            labels: Some(labels::for_run(&self.run_id)),
            ..Default::default()
        };
        bounded("create volume", &name, CALL_TIMEOUT, self.docker.create_volume(req)).await?;
        state.volumes.push(name);
        Ok(())
    }

    /// Starts one service (its ready line awaited, its named volumes mounted, its command
    /// if it has one) and puts it on the run's network under its name.
    pub(super) async fn start_service(&self, state: &mut State, s: &ServiceSpec) -> Result<Container> {
        state.started += 1;
        let mut req = self.request(
            &s.image,
            &s.name,
            "service",
            Some(state.started),
            None,
            s.ready_log.as_deref(),
        );
        for (k, v) in &s.env {
            req = req.with_env_var(k.clone(), v.clone());
        }
        for v in &s.volumes {
            req = req.with_mount(Mount::volume_mount(self.volume_name(&v.name), v.path.clone()));
        }
        if let Some(cmd) = &s.command {
            req = req.with_cmd(cmd.clone());
        }
        let req = req.with_host_config_modifier(|hc| {
            hc.publish_all_ports = Some(false);
            hc.port_bindings = Some(HashMap::new());
            hc.privileged = Some(false);
        });
        let c = bounded(
            "start service",
            &s.name,
            CALL_TIMEOUT + Duration::from_secs(5),
            req.start(),
        )
        .await?;
        let net = state.network.clone().unwrap_or_default();
        let connect = NetworkConnectRequest {
            container: c.id().to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(vec![super::proxy::upstream_alias(s)]),
                ..Default::default()
            }),
        };
        let connected = bounded(
            "connect service",
            &s.name,
            CALL_TIMEOUT,
            self.docker.connect_network(&net, connect),
        )
        .await;
        match connected {
            Ok(()) => Ok(c),
            Err(e) => {
                // keep the handle for the teardown, then report the failure
                state.services.push((s.name.clone(), c));
                Err(e)
            }
        }
    }

    pub(super) async fn start_front(&self, state: &State, f: &FrontDeploy, port: u16) -> Result<Container> {
        let servers: Vec<(String, String)> = state
            .replicas
            .keys()
            .map(|r| (r.clone(), self.container_name(r)))
            .collect();
        let port_in_app = state.deployment.as_ref().map_or(8080, |d| d.port);
        let config = haproxy_config(&servers, port_in_app, &f.options);
        let mut req = self
            .request(&f.image, "front", "front", None, Some(LISTEN_PORT), None)
            .with_copy_to(CONFIG_PATH, config.into_bytes());
        if let Some(net) = &state.network {
            req = req.with_network(net.clone());
        }
        let req = Self::publish(req, LISTEN_PORT, port);
        bounded(
            "start front",
            "haproxy",
            CALL_TIMEOUT + Duration::from_secs(5),
            req.start(),
        )
        .await
    }

    pub(super) async fn deploy_all(&self, d: &Deployment) -> Result<Deployed> {
        let mut state = self.state.lock().await;
        self.audit.store(d.audit, std::sync::atomic::Ordering::Relaxed);
        let net_name = format!("phoenix-{}", self.short_run());
        let req = NetworkCreateRequest {
            name: net_name.clone(),
            labels: Some(labels::for_run(&self.run_id)),
            ..Default::default()
        };
        bounded(
            "create network",
            &net_name,
            CALL_TIMEOUT,
            self.docker.create_network(req),
        )
        .await?;
        state.network = Some(net_name.clone());
        // the app's and the services' named volumes: one per name, shared by whoever mounts it
        for v in d.volumes.iter().chain(d.services.iter().flat_map(|s| &s.volumes)) {
            self.create_volume(&mut state, &v.name).await?;
        }
        for s in &d.services {
            let c = self.start_service(&mut state, s).await?;
            state.services.push((s.name.clone(), c));
        }
        self.start_proxy(&mut state, &d.services).await?;
        let mut endpoints = Vec::new();
        for r in &d.replicas {
            let port = free_port()?;
            let c = self.start_replica(&mut state, d, r, port).await?;
            state.replicas.insert(
                r.clone(),
                Replica {
                    port,
                    container: Some(c),
                },
            );
            endpoints.push(Endpoint {
                replica: r.clone(),
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            });
        }
        state.deployment = Some(d.clone());
        let front = match &d.front {
            Some(f) => {
                let port = free_port()?;
                state.front_port = Some(port);
                let c = self.start_front(&state, f, port).await?;
                state.services.push(("front".into(), c));
                Some(Endpoint {
                    replica: "front".into(),
                    addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                })
            }
            None => None,
        };
        Ok(Deployed {
            replicas: endpoints,
            front,
        })
    }
}
