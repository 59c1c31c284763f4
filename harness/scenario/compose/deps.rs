//! A compose file's dependency services (every service but the app) as the scenario's
//! `[[service]]` tables, in `depends_on` order: image, recipe, environment, volumes and
//! command, with where each value came from.

use super::map::XPhoenix;
use super::Compose;
use crate::scenario::file::ServiceFile;
use docker_compose_types as dct;
use serde_yaml::Mapping;

impl Compose<'_> {
    /// The dependency services as `[[service]]` tables, in the order they start.
    pub(super) fn dependencies(
        &mut self,
        typed: &dct::Compose,
        services: &Mapping,
        app: &str,
        declared: &[String],
    ) -> Vec<ServiceFile> {
        let order = self.start_order(typed, app);
        let mut deps = Vec::new();
        for name in order {
            let Some(Some(s)) = typed.services.0.get(&name) else {
                continue;
            };
            let x = self.x_phoenix(services, &name);
            self.service_values(&name, s);
            let d = self.dependency(&name, s, x, declared);
            self.dependency_origins(deps.len(), &d);
            deps.push(d);
        }
        deps
    }

    /// Dependencies in `depends_on` order (file order among equals); cycles refused.
    fn start_order(&mut self, c: &dct::Compose, app: &str) -> Vec<String> {
        let deps_of = |s: &dct::Service| -> Vec<String> {
            match &s.depends_on {
                dct::DependsOnOptions::Simple(v) => v.clone(),
                dct::DependsOnOptions::Conditional(m) => m.keys().cloned().collect(),
            }
        };
        let mut edges: Vec<(String, Vec<String>)> = Vec::new();
        for (name, s) in &c.services.0 {
            let d = s.as_ref().map(deps_of).unwrap_or_default();
            for dep in &d {
                if !c.services.0.contains_key(dep) || dep == app {
                    let why = if dep == app {
                        "is the app service, which starts last".to_string()
                    } else {
                        format!("\"{dep}\" is not a service of this file")
                    };
                    self.problem(
                        &["services", name, "depends_on"],
                        why,
                        "name another service of this file",
                    );
                }
            }
            if name != app {
                edges.push((name.clone(), d));
            }
        }
        let mut order: Vec<String> = Vec::new();
        while order.len() < edges.len() {
            let next = edges.iter().find(|(n, d)| {
                !order.contains(n)
                    && d.iter()
                        .all(|x| x == app || order.contains(x) || !c.services.0.contains_key(x))
            });
            match next {
                Some((n, _)) => order.push(n.clone()),
                None => {
                    let left: Vec<&str> = edges
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .filter(|n| !order.iter().any(|o| o == n))
                        .collect();
                    self.problem(
                        &["services", left[0], "depends_on"],
                        format!("depends_on forms a cycle among {}", left.join(", ")),
                        "break the cycle",
                    );
                    break;
                }
            }
        }
        order
    }

    /// A dependency's `command`: a list as written, a string split as a POSIX shell would
    /// (as Compose does), no shell run.
    fn command(&mut self, name: &str, s: &dct::Service) -> Option<Vec<String>> {
        match s.command.as_ref()? {
            dct::Command::Args(v) => Some(v.clone()),
            dct::Command::Simple(line) => shlex::split(line).or_else(|| {
                self.problem(
                    &["services", name, "command"],
                    "is not a command line: an unclosed quote",
                    "close the quote, or write command as a list: [\"redis-server\", \"--appendonly\", \"yes\"]",
                );
                None
            }),
        }
    }

    /// Where the `i`-th `[[service]]`'s values came from.
    fn dependency_origins(&mut self, i: usize, d: &ServiceFile) {
        let (o, n) = (&mut self.origins, d.name.as_str());
        o.add(format!("service[{i}]"), &["services", n]);
        for (k, at) in [("image", "image"), ("volumes", "volumes"), ("command", "command")] {
            o.add(format!("service[{i}].{k}"), &["services", n, at]);
        }
        for k in ["recipe", "ready_log"] {
            o.add(format!("service[{i}].{k}"), &["services", n, "x-phoenix", k]);
        }
        for k in d.env.keys() {
            o.add(format!("service[{i}].env.{k}"), &["services", n, "environment", k]);
        }
    }

    fn dependency(&mut self, name: &str, s: &dct::Service, x: XPhoenix, declared: &[String]) -> ServiceFile {
        if x.build_command.is_some() || !x.shared.is_empty() {
            self.problem(
                &["services", name, "x-phoenix"],
                "build_command and shared are for the app service",
                "a dependency takes recipe and ready_log",
            );
        }
        let image = s.image.clone().unwrap_or_else(|| {
            self.problem(
                &["services", name],
                "has no image",
                "set image (and x-phoenix.recipe to build it: nothing is pulled)",
            );
            String::new()
        });
        self.port_specs(name, s); // not used, but checked: Compose would refuse them
        ServiceFile {
            name: name.into(),
            image,
            recipe: x.recipe.map(|r| self.rel(&r)),
            env: self.env(name, s),
            ready_log: x.ready_log,
            volumes: self.volumes(name, s, declared, false),
            command: self.command(name, s),
            // a network fault names its service's port in a scenario file; none from here
            port: None,
        }
    }
}
