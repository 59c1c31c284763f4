//! A dependency's `volumes` and `command`, which environment variables a compose file may
//! read (the `.env` beside it, and only the variables `compose_env` allows), and the
//! harmless keys accepted with a warning (`hostname`, `build` without `image`).

use super::tests::{err, load, project, SCENARIO};

const DEPS: &str = r#"services:
  web:
    image: shop:1
    expose: ["8080"]
    depends_on: [db, cache]
  db:
    image: phoenix/redis:bookworm
    command: redis-server --appendonly yes --dir '/data dir'
    volumes:
      - dbdata:/data
  cache:
    image: phoenix/redis:bookworm
    command: ["redis-server", "--save", ""]
volumes:
  dbdata: {}
"#;

#[test]
fn a_dependency_gets_its_named_volumes_and_its_command() {
    let (_d, s) = project(&[("docker-compose.yml", DEPS)]);
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    let db = &sc.services[0];
    assert_eq!(db.name, "db");
    assert_eq!(
        (db.volumes[0].name.as_str(), db.volumes[0].path.as_str()),
        ("dbdata", "/data")
    );
    // a string is split as a POSIX shell would, quotes kept together, no shell run
    assert_eq!(
        db.command.as_deref().unwrap(),
        ["redis-server", "--appendonly", "yes", "--dir", "/data dir"]
    );
    let cache = &sc.services[1];
    assert_eq!(cache.command.as_deref().unwrap(), ["redis-server", "--save", ""]);
    assert!(cache.volumes.is_empty());
}

#[test]
fn a_dependency_bind_mount_undeclared_volume_entrypoint_or_bad_command_is_refused() {
    let text = DEPS
        .replace(
            "      - dbdata:/data\n",
            "      - dbdata:/data\n      - ./conf:/etc/redis\n      - other:/x\n",
        )
        .replace(
            "    command: [\"redis-server\", \"--save\", \"\"]\n",
            "    command: redis-server 'unclosed\n    entrypoint: [\"sh\"]\n",
        );
    let (_d, s) = project(&[("docker-compose.yml", &text)]);
    let e = err(&s);
    assert!(
        e.contains(
            ":11:9: field `services.db.volumes.1`: mounts the host folder onto /etc/redis: phoenix mounts no host path"
        ),
        "{e}"
    );
    assert!(e.contains("named volume \"other\" is not declared"), "{e}");
    assert!(
        e.contains(":15:5: field `services.cache.command`: is not a command line: an unclosed quote"),
        "{e}"
    );
    assert!(
        e.contains(":16:5: field `services.cache.entrypoint`: `entrypoint` is not supported"),
        "{e}"
    );
}

const ENV_STACK: &str = r#"services:
  web:
    image: "shop:${TAG:-1}"
    expose: ["8080"]
    environment:
      SECRET: "${PHOENIX_TEST_SECRET_7F3:-none}"
      - PASSED
"#;

/// The scenario with `compose_env` in `[app]`.
fn with_allowed(names: &str) -> String {
    SCENARIO.replace(
        "service = \"web\"\n",
        &format!("service = \"web\"\ncompose_env = [{names}]\n"),
    )
}

#[test]
fn an_environment_variable_is_withheld_unless_the_scenario_allows_it() {
    // a variable set in phoenix's own environment (as a CI secret would be); the name is
    // this test's alone, so no other test reads it
    std::env::set_var("PHOENIX_TEST_SECRET_7F3", "s3cret");
    let text = "services:\n  web:\n    image: \"shop:${TAG:-1}\"\n    expose: [\"8080\"]\n    environment:\n      SECRET: \"${PHOENIX_TEST_SECRET_7F3:-none}\"\n";
    let (d, s) = project(&[("docker-compose.yml", text)]);
    let e = err(&s);
    assert!(
        e.contains("docker-compose.yml:6:7: field `services.web.environment.SECRET`: variable PHOENIX_TEST_SECRET_7F3 is set in phoenix's environment"),
        "{e}"
    );
    assert!(e.contains("compose_env = [\"PHOENIX_TEST_SECRET_7F3\"]"), "{e}");
    assert!(!e.contains("s3cret"), "the value was echoed: {e}");
    // allowed by name: read
    std::fs::write(&s, with_allowed("\"PHOENIX_TEST_SECRET_7F3\"")).unwrap();
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.app.env["SECRET"], "s3cret");
    // not allowed, but the .env beside the file says it: the .env's value
    std::fs::write(&s, SCENARIO).unwrap();
    std::fs::write(d.path().join(".env"), "PHOENIX_TEST_SECRET_7F3=from-dotenv\n").unwrap();
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.app.env["SECRET"], "from-dotenv");
    assert_eq!(sc.app.image, "shop:1", "an unset variable takes its default");
}

#[test]
fn a_pass_through_follows_the_same_rule_and_bad_allowlists_are_refused() {
    std::env::set_var("PHOENIX_TEST_PASSED_7F3", "p");
    let text = ENV_STACK.replace(
        "      SECRET: \"${PHOENIX_TEST_SECRET_7F3:-none}\"\n      - PASSED\n",
        "      - PHOENIX_TEST_PASSED_7F3\n",
    );
    let (_d, s) = project(&[("docker-compose.yml", &text)]);
    let e = err(&s);
    assert!(
        e.contains(
            "field `services.web.environment`: variable PHOENIX_TEST_PASSED_7F3 is set in phoenix's environment"
        ),
        "{e}"
    );
    std::fs::write(&s, with_allowed("\"PHOENIX_TEST_PASSED_7F3\"")).unwrap();
    assert_eq!(load(&s).unwrap().app.env["PHOENIX_TEST_PASSED_7F3"], "p");
    std::fs::write(&s, with_allowed("\"A-B\"")).unwrap();
    assert!(
        err(&s).contains("field `app.compose_env`: \"A-B\" is not a variable name"),
        "{}",
        err(&s)
    );
    let no_compose = with_allowed("\"TAG\"").replace(
        "compose = \"docker-compose.yml\"\nservice = \"web\"\n",
        "image = \"x:1\"\nport = 80\n",
    );
    std::fs::write(&s, no_compose).unwrap();
    assert!(err(&s).contains("there is no app.compose"), "{}", err(&s));
}

#[test]
fn a_built_app_without_image_takes_compose_s_name_and_hostname_is_a_warning() {
    let text = "services:\n  web:\n    build: ./web\n    hostname: web1\n    expose: [\"5000\"]\n    healthcheck: { test: [\"CMD\", \"true\"] }\n  cache:\n    image: phoenix/redis:bookworm\n    hostname: c\n";
    let (d, s) = project(&[
        ("My Stack/docker-compose.yml", text),
        ("My Stack/web/Dockerfile", "FROM scratch\n"),
    ]);
    std::fs::write(
        &s,
        SCENARIO.replace("docker-compose.yml", "My Stack/docker-compose.yml"),
    )
    .unwrap();
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    // Compose v1's name: the project (the folder, lower case, [-_a-z0-9] only) _ the service
    assert_eq!(sc.app.image, "mystack_web");
    assert!(sc.app.build.is_some());
    let w = sc.warnings.join("\n");
    assert!(
        w.contains(":3:5: services.web.build: no image: phoenix builds and runs it as mystack_web"),
        "{w}"
    );
    assert!(w.contains(":4:5: services.web.hostname: not applied"), "{w}");
    assert!(w.contains(":9:5: services.cache.hostname: not applied"), "{w}");
    // the top-level name: wins over the folder, as in Compose
    std::fs::write(
        d.path().join("My Stack/docker-compose.yml"),
        format!("name: shop\n{text}"),
    )
    .unwrap();
    assert_eq!(load(&s).unwrap().app.image, "shop_web");
}

#[test]
fn a_value_the_compose_file_gave_and_the_scenario_refuses_is_shown_at_its_compose_line() {
    // each of these passes the compose mapping and is refused by the scenario's own rules
    let text = "services:\n  web:\n    image: shop:1\n    expose: [\"8080\"]\n    depends_on: [db]\n    environment:\n      \"A B\": \"1\"\n    volumes: [\"v:/proc/self\"]\n  db:\n    image: Redis:7\n    command: [\"\"]\nvolumes:\n  v: {}\n";
    let (_d, s) = project(&[("docker-compose.yml", text)]);
    // the scenario's own service comes after the compose dependency, as service[1]
    let own = "[[service]]\nname = \"own\"\nimage = \"BAD\"\n";
    std::fs::write(&s, format!("{SCENARIO}{own}")).unwrap();
    let e = err(&s);
    for want in [
        "docker-compose.yml:7:7: field `services.web.environment.A B`: \"A B\" is not a valid variable name (scenario field app.env.A B)",
        "docker-compose.yml:8:5: field `services.web.volumes`: \"/proc/self\" is /proc/self, inside /proc",
        "docker-compose.yml:10:5: field `services.db.image`: \"Redis:7\" is not a Docker image reference",
        "docker-compose.yml:11:5: field `services.db.command`: names no program",
        // renumbered to what the scenario file says, and located there
        "s.toml:15:1: field `service[0].image`: \"BAD\" is not a Docker image reference",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}
