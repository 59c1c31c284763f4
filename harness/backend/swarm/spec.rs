//! The service spec of one replica slot: one task, the run's labels on the service and its
//! containers, host-mode publishing on the slot's fixed port, the run's overlay network,
//! the named volumes, a restart policy that says who replaces a failed task, and the
//! update config of the forced updates that replace it. Also the spec of a dependency
//! (`[[service]]`): one task on the run's network under its own name, no published port.
//! Only fields API 1.41 knows are set (newer ones are refused by Docker 20.10).

use crate::backend::{labels, Deployment, ServiceSpec as Dependency};
use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum, EndpointSpec,
    EndpointSpecModeEnum, Mount, MountType, NetworkAttachmentConfig, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};

/// How a slot's forced update replaces its task: the old task stopped first, then the new
/// one started. Start-first cannot work here: the new task needs the slot's fixed host-mode
/// port, which the old task holds on this one node until it stops. Parallelism and delay
/// pace the tasks of one service; a slot has one task, so the harness paces the slots.
fn update_config() -> ServiceSpecUpdateConfig {
    ServiceSpecUpdateConfig {
        parallelism: Some(1),
        delay: Some(0),
        order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
        // a new task that fails is left for the harness to see, not rolled back unseen
        failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE),
        ..Default::default()
    }
}

/// A dependency as a service of one task on `network`, reachable there by its name, with
/// the run's labels (role `service`) and no published port. It is not restarted: as on the
/// Docker backend, a dependency that dies stays dead and the run shows it.
/// `volumes`: (engine volume name, mount path) pairs.
pub(super) fn dependency(
    run_id: &str,
    d: &Dependency,
    service: &str,
    network: &str,
    volumes: &[(String, String)],
) -> ServiceSpec {
    let labels = labels::for_member(run_id, &d.name, "service");
    ServiceSpec {
        name: Some(service.to_string()),
        labels: Some(labels.clone()),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(d.image.clone()),
                labels: Some(labels),
                env: Some(d.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
                // the service's `command` replaces the image's CMD, as on the Docker backend
                args: d.command.clone(),
                mounts: Some(mounts(volumes)),
                ..Default::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                ..Default::default()
            }),
            networks: Some(vec![NetworkAttachmentConfig {
                target: Some(network.to_string()),
                aliases: Some(vec![d.name.clone()]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(1) }),
            ..Default::default()
        }),
        // no virtual IP (no ip_vs here): the name resolves to the task's own address
        endpoint_spec: Some(EndpointSpec {
            mode: Some(EndpointSpecModeEnum::DNSRR),
            ports: None,
        }),
        ..Default::default()
    }
}

/// Named-volume mounts from (engine volume name, mount path) pairs.
fn mounts(volumes: &[(String, String)]) -> Vec<Mount> {
    volumes
        .iter()
        .map(|(name, path)| Mount {
            target: Some(path.clone()),
            source: Some(name.clone()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        })
        .collect()
}

/// What makes one slot's service.
pub(super) struct SlotSpec<'a> {
    pub run_id: &'a str,
    pub replica: &'a str,
    pub service: &'a str,
    pub network: &'a str,
    pub port: u16,
    /// Volume name in the engine, mount path.
    pub volumes: Vec<(String, String)>,
}

pub(super) fn service(d: &Deployment, s: &SlotSpec) -> ServiceSpec {
    let labels = labels::for_member(s.run_id, s.replica, "app");
    let restart = match d.platform_delay {
        // the platform replaces a task that ends, after the scenario's delay
        Some(delay) => TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
            delay: Some(delay.as_nanos() as i64),
            max_attempts: Some(0),
            ..Default::default()
        },
        // the harness is the orchestrator: a failed task stays failed until it acts
        None => TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
            ..Default::default()
        },
    };
    let mounts = mounts(&s.volumes);
    ServiceSpec {
        name: Some(s.service.to_string()),
        labels: Some(labels.clone()),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(d.image.clone()),
                labels: Some(labels),
                env: Some(d.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
                mounts: Some(mounts),
                ..Default::default()
            }),
            restart_policy: Some(restart),
            networks: Some(vec![NetworkAttachmentConfig {
                target: Some(s.network.to_string()),
                aliases: Some(vec![s.replica.to_string()]),
                ..Default::default()
            }]),
            force_update: Some(0),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(1) }),
            ..Default::default()
        }),
        update_config: Some(update_config()),
        // host mode: the task's own port on this node, no routing mesh (no ip_vs here);
        // dnsrr: no virtual IP either
        endpoint_spec: Some(EndpointSpec {
            mode: Some(EndpointSpecModeEnum::DNSRR),
            ports: Some(vec![EndpointPortConfig {
                protocol: Some(EndpointPortConfigProtocolEnum::TCP),
                target_port: Some(i64::from(d.port)),
                published_port: Some(i64::from(s.port)),
                publish_mode: Some(EndpointPortConfigPublishModeEnum::HOST),
                ..Default::default()
            }]),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(platform: Option<std::time::Duration>) -> Deployment {
        Deployment {
            image: "phoenix-demo:latest".into(),
            port: 8080,
            env: [("A".to_string(), "1".to_string())].into(),
            volumes: Vec::new(),
            replicas: vec!["app-0".into()],
            services: Vec::new(),
            front: None,
            process: None,
            platform_delay: platform,
            audit: true,
        }
    }

    #[test]
    fn a_slot_is_one_task_published_in_host_mode_on_its_port_with_the_run_labels() {
        let s = SlotSpec {
            run_id: "r1",
            replica: "app-0",
            service: "phoenix-x-app-0",
            network: "net",
            port: 12345,
            volumes: vec![("phoenix-x-data".into(), "/data".into())],
        };
        let spec = service(&deployment(None), &s);
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["Mode"]["Replicated"]["Replicas"], 1);
        assert_eq!(json["EndpointSpec"]["Mode"], "dnsrr");
        let port = &json["EndpointSpec"]["Ports"][0];
        assert_eq!(
            (port["PublishMode"].as_str(), port["PublishedPort"].as_i64()),
            (Some("host"), Some(12345))
        );
        assert_eq!(port["TargetPort"], 8080);
        let c = &json["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Labels"][labels::RUN], "r1");
        assert_eq!(c["Labels"][labels::MEMBER], "app-0");
        assert_eq!(json["Labels"][labels::RUN], "r1");
        assert_eq!(c["Env"][0], "A=1");
        assert_eq!(c["Mounts"][0]["Source"], "phoenix-x-data");
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Condition"], "none");
        assert_eq!(json["UpdateConfig"]["Order"], "stop-first");
        assert_eq!(json["UpdateConfig"]["Parallelism"], 1);
        let platform = service(&deployment(Some(std::time::Duration::from_millis(250))), &s);
        let json = serde_json::to_value(&platform).unwrap();
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Condition"], "any");
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Delay"], 250_000_000);
    }

    #[test]
    fn a_dependency_is_one_unpublished_task_named_on_the_run_network() {
        let d = Dependency {
            name: "cache".into(),
            image: "phoenix/redis:bookworm".into(),
            env: [("K".to_string(), "v".to_string())].into(),
            ready_log: Some("Ready".into()),
            volumes: vec![crate::backend::Volume {
                name: "aof".into(),
                path: "/data".into(),
            }],
            command: Some(vec!["redis-server".into(), "--appendonly".into(), "yes".into()]),
            proxied_port: None,
        };
        let mounts = [("phoenix-x-aof".to_string(), "/data".to_string())];
        let json = serde_json::to_value(dependency("r1", &d, "phoenix-x-cache", "net", &mounts)).unwrap();
        assert_eq!(json["Name"], "phoenix-x-cache");
        assert_eq!(json["Mode"]["Replicated"]["Replicas"], 1);
        assert!(json["EndpointSpec"].get("Ports").is_none(), "{json}");
        let t = &json["TaskTemplate"];
        assert_eq!(t["Networks"][0]["Target"], "net");
        assert_eq!(t["Networks"][0]["Aliases"][0], "cache");
        assert_eq!(t["ContainerSpec"]["Labels"][labels::ROLE], "service");
        assert_eq!(t["ContainerSpec"]["Labels"][labels::MEMBER], "cache");
        assert_eq!(t["ContainerSpec"]["Env"][0], "K=v");
        assert_eq!(t["ContainerSpec"]["Args"][1], "--appendonly");
        assert_eq!(t["ContainerSpec"]["Mounts"][0]["Source"], "phoenix-x-aof");
        assert_eq!(t["ContainerSpec"]["Mounts"][0]["Target"], "/data");
        assert_eq!(json["Labels"][labels::RUN], "r1");
    }
}
