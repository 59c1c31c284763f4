//! Faults on a `[[service]]`: what validation takes and what it refuses.

use super::{Action, FaultKind, Scenario};
use std::path::Path;

fn with_fault(fault: &str, backend: &str) -> String {
    format!(
        r#"
name = "dep"
[app]
image = "x:1"
port = 8080
{backend}
[load]
rate = 10
duration = "10s"
[[fault]]
at = "2s"
{fault}
[[service]]
name = "redis"
image = "r:1"
"#
    )
}

fn problems(text: &str) -> Vec<(String, String)> {
    match Scenario::parse(Path::new("dep.toml"), text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| {
                (
                    p.field.clone(),
                    format!("{} {}", p.message, p.hint.clone().unwrap_or_default()),
                )
            })
            .collect(),
    }
}

#[test]
fn a_kill_on_a_service_is_a_dependency_fault() {
    let s = Scenario::parse(
        Path::new("dep.toml"),
        &with_fault("kind = \"kill\"\nthen = \"replace\"\ntarget = \"redis\"", ""),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &s.faults[0];
    assert!(f.dependency && f.target == "redis");
    assert_eq!((f.kind, f.action), (FaultKind::Kill, Action::Replace));
    // the platform floor measures the app's platform, not a service's start
    assert!(crate::execute::floor::keys(&s).is_empty());
    for kind in [
        "kind = \"stop\"\nthen = \"restart\"",
        "kind = \"pause\"\nfor = \"2s\"",
        "kind = \"disconnect\"\nfor = \"2s\"",
    ] {
        let text = with_fault(&format!("{kind}\ntarget = \"redis\""), "");
        assert!(problems(&text).is_empty(), "{kind}: {:?}", problems(&text));
    }
}

#[test]
fn a_replica_fault_is_not_a_dependency_fault() {
    let s = Scenario::parse(
        Path::new("dep.toml"),
        &with_fault("kind = \"kill\"\ntarget = \"app-0\"", ""),
    )
    .unwrap();
    assert!(!s.faults[0].dependency);
}

#[test]
fn kinds_a_service_cannot_take_are_refused_with_the_ones_it_can() {
    let p = problems(&with_fault("kind = \"remove\"\ntarget = \"redis\"", ""));
    assert!(
        p.iter().any(|(f, m)| f == "fault[0].kind"
            && m.contains("cannot target service \"redis\"")
            && m.contains("kill, stop")),
        "{p:?}"
    );
}

#[test]
fn a_service_fault_on_a_backend_without_one_is_refused_naming_docker() {
    let p = problems(&with_fault(
        "kind = \"kill\"\nthen = \"restart\"\ntarget = \"redis\"",
        "backend = \"swarm\"",
    ));
    assert!(
        p.iter()
            .any(|(f, m)| f == "fault[0].target" && m.contains("backend = \"docker\"")),
        "{p:?}"
    );
}

#[test]
fn an_unknown_target_hint_names_the_services_too() {
    let p = problems(&with_fault("kind = \"kill\"\ntarget = \"redis-0\"", ""));
    assert!(
        p.iter().any(|(f, m)| f == "fault[0].target"
            && m.contains("no replica named \"redis-0\"")
            && m.contains("services are named redis")),
        "{p:?}"
    );
}

fn with_toxic(fault: &str, port: &str) -> String {
    with_fault(fault, "").replace("image = \"r:1\"\n", &format!("image = \"r:1\"\n{port}\n"))
}

#[test]
fn a_latency_fault_on_a_service_link_takes_toxiproxys_attributes() {
    let text = with_toxic(
        "kind = \"latency\"\ntarget = \"redis\"\nfor = \"5s\"\nattributes = { latency = 200, jitter = 10 }",
        "port = 6379",
    );
    let s = Scenario::parse(Path::new("dep.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let f = &s.faults[0];
    assert!(f.dependency);
    assert_eq!((f.kind, f.action), (FaultKind::Latency, Action::Heal));
    assert_eq!(f.kind.toxic_type(), Some("latency"));
    let t = f.toxic.as_ref().unwrap();
    assert_eq!((t.stream.as_str(), t.toxicity), ("downstream", 1.0));
    assert_eq!((t.attributes["latency"], t.attributes["jitter"]), (200, 10));
    assert_eq!(f.delay, std::time::Duration::from_secs(5));
    assert_eq!(s.services[0].port, Some(6379));
}

#[test]
fn a_network_fault_is_refused_without_a_port_a_service_or_a_known_attribute() {
    let portless = problems(&with_toxic("kind = \"timeout\"\ntarget = \"redis\"\nfor = \"2s\"", ""));
    assert!(
        portless
            .iter()
            .any(|(f, m)| f == "fault[0].target" && m.contains("needs the port") && m.contains("port = 6379")),
        "{portless:?}"
    );
    let on_replica = problems(&with_toxic(
        "kind = \"latency\"\ntarget = \"app-0\"\nfor = \"2s\"\nattributes = { latency = 1 }",
        "port = 1",
    ));
    assert!(
        on_replica
            .iter()
            .any(|(f, m)| f == "fault[0].target" && m.contains("not a [[service]]")),
        "{on_replica:?}"
    );
    let typo = problems(&with_toxic(
        "kind = \"latency\"\ntarget = \"redis\"\nfor = \"2s\"\nattributes = { latncy = 200 }\nstream = \"sideways\"\ntoxicity = 2.0",
        "port = 6379",
    ));
    for (field, says) in [
        ("fault[0].attributes.latncy", "did you mean \"latency\"?"),
        ("fault[0].attributes", "needs `latency`"),
        ("fault[0].stream", "unknown stream"),
        ("fault[0].toxicity", "outside [0, 1]"),
    ] {
        assert!(
            typo.iter().any(|(f, m)| f == field && m.contains(says)),
            "{field}: {typo:?}"
        );
    }
    let stray = problems(&with_toxic(
        "kind = \"kill\"\ntarget = \"redis\"\nstream = \"upstream\"",
        "port = 6379",
    ));
    assert!(
        stray
            .iter()
            .any(|(f, m)| f == "fault[0].stream" && m.contains("only to a network fault")),
        "{stray:?}"
    );
}
