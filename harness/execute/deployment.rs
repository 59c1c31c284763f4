//! From the scenario's vocabulary to the backend's: what to deploy for a trial and which
//! images it needs. The one place a scenario becomes a [`Deployment`], so no type of the
//! scenario file crosses the `Backend` trait.

use crate::backend::docker::DockerBackend;
use crate::backend::front::HaproxyOptions;
use crate::backend::process::ProcessBackend;
use crate::backend::swarm::SwarmBackend;
use crate::backend::{
    Backend, BuildSpec, Deployment, FrontDeploy, ImageSource, ImageSpec, ProcessSpec, ServiceSpec, Volume,
};
use crate::scenario::{Action, BackendKind, Build, Scenario};
use std::path::PathBuf;
use std::sync::Arc;

/// The backend `scenario` runs on, for run `run_id`. Docker's is connected (an
/// unreachable engine is an error) and first removes what dead runs left; the process
/// backend needs nothing but this host.
pub async fn backend(scenario: &Scenario, run_id: &str) -> crate::backend::Result<Arc<dyn Backend>> {
    match scenario.app.backend {
        BackendKind::Process => {
            let n = crate::backend::process::reap(&std::env::temp_dir());
            if n > 0 {
                eprintln!("phoenix: removed {n} folder(s) left by dead runs");
            }
            Ok(Arc::new(ProcessBackend::new(run_id)))
        }
        BackendKind::Docker => {
            let b = DockerBackend::connect(run_id).await?;
            match crate::backend::clean::reap().await {
                Ok(0) | Err(_) => {}
                Ok(n) => eprintln!("phoenix: removed {n} object(s) left by dead runs"),
            }
            Ok(Arc::new(b))
        }
        BackendKind::Swarm => {
            // swarm mode is entered at the deploy, and left by the teardown if it was entered
            Ok(Arc::new(SwarmBackend::connect(run_id).await?))
        }
    }
}

/// What to deploy for one trial of `scenario`.
pub fn of(scenario: &Scenario) -> Deployment {
    Deployment {
        image: scenario.app.image.clone(),
        port: scenario.app.port,
        env: scenario.app.env.clone(),
        volumes: volumes(&scenario.app.volumes),
        replicas: scenario.app.replicas.clone(),
        services: scenario
            .services
            .iter()
            .map(|s| ServiceSpec {
                name: s.name.clone(),
                image: s.image.clone(),
                env: s.env.clone(),
                ready_log: s.ready_log.clone(),
                volumes: volumes(&s.volumes),
                command: s.command.clone(),
                proxied_port: s.port.filter(|_| proxied(scenario, &s.name)),
            })
            .collect(),
        front: scenario.front.as_ref().map(|f| FrontDeploy {
            image: f.image.clone(),
            options: HaproxyOptions {
                check_interval: f.check_interval,
                fall: f.fall,
                retries: f.retries,
                redispatch: f.redispatch,
                server_timeout: scenario.load.timeout,
                health_path: scenario.app.health.path.clone(),
                health_status: scenario.app.health.status,
            },
        }),
        audit: scenario.audit.enabled,
        // one restart policy per run (validation makes every platform fault agree)
        platform_delay: scenario
            .faults
            .iter()
            .find(|f| f.action == Action::Platform)
            .map(|f| f.delay),
        process: scenario.app.command.as_ref().and_then(|c| {
            let (program, args) = c.split_first()?;
            Some(ProcessSpec {
                program: program.into(),
                args: args.to_vec(),
            })
        }),
    }
}

/// The floor's null replica: the demo app (`scenarios/apps/demo` of this checkout) with no
/// start-up delay, one replica, no service, no front, no audit, on the scenario's backend
/// and with its platform restart delay. Its image on Docker and Swarm; on the process
/// backend the `phoenix-demo` program built beside `phoenix`. Err: why there is none.
pub fn null(scenario: &Scenario) -> Result<Deployment, NoNullReplica> {
    let mut env = std::collections::BTreeMap::from([("STARTUP_DELAY_MS".to_string(), "0".to_string())]);
    let process = match scenario.app.backend {
        BackendKind::Process => {
            let program = std::env::current_exe()
                .map_err(NoNullReplica::CurrentExe)?
                .with_file_name("phoenix-demo");
            if !program.is_file() {
                return Err(NoNullReplica::NotBuilt { program });
            }
            env.insert(
                "LISTEN".into(),
                format!("127.0.0.1:{}", crate::backend::PORT_PLACEHOLDER),
            );
            Some(ProcessSpec {
                program,
                args: Vec::new(),
            })
        }
        _ => None,
    };
    Ok(Deployment {
        image: if process.is_some() {
            String::new()
        } else {
            NULL_IMAGE.into()
        },
        port: 8080,
        env,
        volumes: Vec::new(),
        replicas: vec!["app-0".into()],
        services: Vec::new(),
        front: None,
        process,
        platform_delay: of(scenario).platform_delay,
        audit: false,
    })
}

/// Why the process backend has no null replica (the floor notes it and goes on).
#[derive(Debug, thiserror::Error)]
pub enum NoNullReplica {
    #[error("no null replica: where phoenix runs from is unknown ({0})")]
    CurrentExe(#[source] std::io::Error),
    #[error("no null replica: {} is not built (cargo build -p phoenix-demo, in the profile phoenix was built in)", program.display())]
    NotBuilt { program: PathBuf },
}

/// The null replica's image: the demo's, built by its own recipe when missing.
pub(crate) const NULL_IMAGE: &str = "phoenix-demo:latest";

/// [`NULL_IMAGE`] and how to build it, from this checkout's `scenarios/apps/demo`; None
/// when that folder is not there (phoenix installed without its sources).
pub(crate) fn null_image() -> Option<ImageSpec> {
    own_image(NULL_IMAGE, "apps/demo")
}

/// An image of the harness's own (the null replica, the proxy), built from this checkout's
/// `scenarios/<app>` by its `build.sh` and `Dockerfile`; None when that folder is not there.
fn own_image(reference: &str, app: &str) -> Option<ImageSpec> {
    let scenarios = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let dir = scenarios.join(app);
    dir.join("build.sh").is_file().then(|| ImageSpec {
        reference: reference.into(),
        source: ImageSource::Build(BuildSpec {
            context: dir.clone(),
            dockerfile: "Dockerfile".into(),
            command: Some(vec!["bash".into(), dir.join("build.sh").display().to_string()]),
            workdir: scenarios,
            env: Vec::new(),
        }),
        rebuild: false,
    })
}

/// Every image `scenario` needs, app first, then services, then the front. `rebuild`
/// (`phoenix run --rebuild`) applies to the app's image only. None for the process
/// backend, which runs a local program.
pub fn images(scenario: &Scenario, rebuild: bool) -> Vec<ImageSpec> {
    if scenario.app.backend == BackendKind::Process {
        return Vec::new();
    }
    let recipe = |image: &str, recipe: &Option<std::path::PathBuf>| ImageSpec {
        reference: image.to_string(),
        source: recipe.clone().map_or(ImageSource::Fetch, ImageSource::Recipe),
        rebuild: false,
    };
    let mut out = vec![ImageSpec {
        reference: scenario.app.image.clone(),
        source: scenario
            .app
            .build
            .as_ref()
            .map_or(ImageSource::Fetch, |b| ImageSource::Build(build(b))),
        rebuild,
    }];
    out.extend(scenario.services.iter().map(|s| recipe(&s.image, &s.recipe)));
    out.extend(scenario.front.iter().map(|f| recipe(&f.image, &f.recipe)));
    if scenario.services.iter().any(|s| proxied(scenario, &s.name)) {
        out.extend(own_image(crate::backend::PROXY_IMAGE, "apps/proxy"));
    }
    out
}

/// Whether a network fault targets the link to service `name`.
fn proxied(scenario: &Scenario, name: &str) -> bool {
    scenario.faults.iter().any(|f| f.toxic.is_some() && f.target == name)
}

/// A scenario's build section as the backend takes it.
pub fn build(b: &Build) -> BuildSpec {
    BuildSpec {
        context: b.context.clone(),
        dockerfile: b.dockerfile.clone(),
        command: b.command.clone(),
        workdir: b.workdir.clone(),
        env: b.env.clone(),
    }
}

/// The scenario's named-volume mounts as the backend's volumes.
fn volumes(mounts: &[crate::scenario::VolumeMount]) -> Vec<Volume> {
    mounts
        .iter()
        .map(|v| Volume {
            name: v.name.clone(),
            path: v.path.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_list_the_app_then_services_then_the_front_and_rebuild_only_the_app() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kill-restart.toml");
        let mut s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        s.services.push(crate::scenario::Service {
            name: "cache".into(),
            image: "phoenix/redis:bookworm".into(),
            recipe: Some("/r/redis".into()),
            env: Default::default(),
            ready_log: None,
            volumes: vec![crate::scenario::VolumeMount {
                name: "data".into(),
                path: "/data".into(),
            }],
            command: Some(vec!["redis-server".into(), "--appendonly".into(), "yes".into()]),
            port: None,
        });
        let images = images(&s, true);
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].reference, "phoenix-demo:latest");
        assert!(images[0].rebuild && matches!(images[0].source, ImageSource::Build(_)));
        assert_eq!(
            images[1],
            ImageSpec {
                reference: "phoenix/redis:bookworm".into(),
                source: ImageSource::Recipe("/r/redis".into()),
                rebuild: false,
            }
        );
        let d = of(&s);
        assert_eq!(d.replicas, s.app.replicas);
        assert_eq!(d.services[0].name, "cache");
        assert_eq!(
            d.services[0].volumes,
            vec![Volume {
                name: "data".into(),
                path: "/data".into()
            }]
        );
        assert_eq!(d.services[0].command.as_ref().map(Vec::len), Some(3));
    }

    #[test]
    fn no_null_replica_names_the_program_and_keeps_the_cause() {
        let e = NoNullReplica::NotBuilt {
            program: "/b/phoenix-demo".into(),
        };
        assert_eq!(
            e.to_string(),
            "no null replica: /b/phoenix-demo is not built (cargo build -p phoenix-demo, in the profile phoenix was built in)"
        );
        let e = NoNullReplica::CurrentExe(std::io::Error::other("gone"));
        assert_eq!(
            e.to_string(),
            "no null replica: where phoenix runs from is unknown (gone)"
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}
