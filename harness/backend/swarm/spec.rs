//! The service spec of one replica slot: one task, the run's labels on the service and its
//! containers, host-mode publishing on the slot's fixed port, the run's overlay network,
//! the named volumes, and a restart policy that says who replaces a failed task.
//! Only fields API 1.41 knows are set (newer ones are refused by Docker 20.10).

use crate::backend::{labels, Deployment};
use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum, EndpointSpec,
    EndpointSpecModeEnum, Mount, MountType, NetworkAttachmentConfig, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};

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
    let mounts = s
        .volumes
        .iter()
        .map(|(name, path)| Mount {
            target: Some(path.clone()),
            source: Some(name.clone()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        })
        .collect();
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
        let platform = service(&deployment(Some(std::time::Duration::from_millis(250))), &s);
        let json = serde_json::to_value(&platform).unwrap();
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Condition"], "any");
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Delay"], 250_000_000);
    }
}
