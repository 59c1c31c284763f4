//! Unit tests of the zero-config scenario (`zero_config.rs`).
use super::*;
use crate::scenario::Scenario;
use std::path::Path;

fn config(image: &str, replicas: u32, duration: Option<&str>) -> ZeroConfig {
    ZeroConfig::from_args(&Args {
        image,
        port: Some(8080),
        replicas: Some(replicas),
        duration,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn the_default_scenario_validates_with_every_fault_inside_the_load() {
    for (replicas, duration, load_s, last_s) in [(2, None, 36, 20), (1, None, 20, 12), (2, Some("18s"), 18, 10)] {
        let c = config("phoenix-demo:latest", replicas, duration);
        let s = Scenario::parse(Path::new("scenario.toml"), &c.toml()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.load.duration, Duration::from_secs(load_s));
        assert_eq!(s.faults.len() as u32, 2 * replicas + 1);
        let rolling = s.faults.last().unwrap();
        assert_eq!(
            (rolling.target.as_str(), rolling.at),
            ("all", Duration::from_secs(last_s))
        );
        // the rolling replace has two gaps per replica before the load ends
        let gap = s.faults[0].at;
        assert_eq!(s.load.duration - rolling.at, gap * 2 * replicas);
        assert_eq!(s.app.health.path, "/");
        assert_eq!(s.load.requests[0].path, "/");
        assert!(s.audit.read_only_trial.is_some());
    }
}

#[test]
fn names_and_values_are_written_as_toml_strings() {
    let c = ZeroConfig::from_args(&Args {
        image: "registry.example.com:5000/team/app:1.2",
        port: Some(80),
        env: &["GREETING=say \"hi\" # not a comment".into(), "GREETING=last".into()],
        requests: &["post /a?b=\"c\"".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.name(), "certify-registry-example-com-5000-team-app-1-2");
    let s = Scenario::parse(Path::new("scenario.toml"), &c.toml()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.app.env.get("GREETING").map(String::as_str), Some("last"));
    assert_eq!(
        (s.load.requests[0].method.as_str(), s.load.requests[0].path.as_str()),
        ("POST", "/a?b=\"c\"")
    );
    assert_eq!(s.app.image, "registry.example.com:5000/team/app:1.2");
}

#[test]
fn the_health_timeout_defaults_to_a_second_and_is_checked() {
    let s = Scenario::parse(Path::new("s.toml"), &config("demo:1", 1, None).toml()).unwrap();
    assert_eq!(s.app.health.timeout, HEALTH_TIMEOUT);
    let c = ZeroConfig::from_args(&Args {
        image: "demo:1",
        port: Some(8080),
        health_timeout: Some("250ms"),
        ..Default::default()
    })
    .unwrap();
    let s = Scenario::parse(Path::new("s.toml"), &c.toml()).unwrap();
    assert_eq!(s.app.health.timeout, Duration::from_millis(250));
    for bad in ["0s", "11s", "soon"] {
        let e = ZeroConfig::from_args(&Args {
            image: "demo:1",
            port: Some(8080),
            health_timeout: Some(bad),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.arg, "--health-timeout");
        assert!(e.to_string().starts_with("--health-timeout"), "{e}");
    }
}

#[test]
fn a_refused_argument_is_named_and_printed_as_it_always_was() {
    let refuse = |a: Args| ZeroConfig::from_args(&a).unwrap_err();
    let e = refuse(Args {
        image: "demo:1",
        port: Some(8080),
        replicas: Some(0),
        ..Default::default()
    });
    assert_eq!(e.arg, "--replicas");
    assert_eq!(
        e.to_string(),
        format!("--replicas 0: out of range\n  hint: from 1 to {MAX_REPLICAS}; give --replicas")
    );
    let e = refuse(Args {
        image: "demo:1",
        port: Some(8080),
        declared_replicas: Some(0),
        ..Default::default()
    });
    assert_eq!(e.arg, "the compose service's deploy.replicas");
    let env = ["A\u{1b}=1".to_string()];
    let e = refuse(Args {
        image: "demo:1",
        port: Some(8080),
        env: &env,
        ..Default::default()
    });
    assert_eq!(e.arg, "--env");
    assert_eq!(
        e.to_string(),
        "--env \"A\\x1b=1\": contains a control or invisible formatting character\n  hint: write plain visible text"
    );
    let e = refuse(Args {
        image: "demo:1",
        ..Default::default()
    });
    assert_eq!(e.arg, "--port");
}
