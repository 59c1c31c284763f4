//! The built-in default scenario of `phoenix certify IMAGE` and `phoenix init IMAGE` (or
//! `--compose FILE --service NAME`, the stack then taken from a compose file): one
//! function writes it as commented TOML text from the command line's arguments, so
//! `certify` (which saves the text in its run folder and runs it through the normal path)
//! and `init` (which writes it to a file) run the very same scenario. The arguments are
//! untrusted like a scenario file: each is checked here, naming the argument, before any
//! text is written; the text is then validated like any file.

use super::duration::{format_duration, parse_duration};
use super::error::needs_escape;
use super::http;
use super::validate::bounds::{MAX_REPLICAS, MAX_REQUEST_KINDS};
use super::validate::docker::{env_name_ok, image_problem, IMAGE_HINT};
use super::MAX_ENV;
use std::time::Duration;

/// Replicas when `--replicas` is not given.
pub(crate) const DEFAULT_REPLICAS: u32 = 2;
/// Time between two faults (and before the first) when `--duration` is not given: 36 s
/// of load for 2 replicas.
pub(crate) const DEFAULT_GAP: Duration = Duration::from_secs(4);
/// Shortest time between two faults `--duration` may lead to: the first one's baseline,
/// and time for a replica to come back (the demo takes 1 to 3 s under load here).
pub(crate) const MIN_GAP: Duration = Duration::from_secs(2);
/// Load rate, requests per second.
pub(crate) const RATE: u32 = 100;
/// How long a probe waits for its answer unless `--health-timeout` says otherwise: an
/// image nobody described may render its health page slowly (a wiki page in PHP takes
/// 100 ms and more), and fast probes overlap, so a long wait does not blur time to healthy.
pub(crate) const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);

/// The `[audit]` settings the default scenario turns on: (key, value as TOML, comment).
/// ISSUE 13: the other audit parts (3 writable-layer audit, 4 memory growth, 6 old versus
/// fresh) add their keys to this one list; `certify` and `init` then both turn them on.
pub(crate) const AUDIT_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "enabled",
        "true",
        "files each replica writes (read at boot, before each replace, at the end), old-versus-fresh answers around each replace; memory is sampled on docker always",
    ),
    (
        "ephemeral",
        "[]",
        "absolute paths whose files are scratch by design, e.g. [\"/tmp\"]: listed apart, never a finding",
    ),
    (
        "volatile",
        "[]",
        "JSON fields allowed to differ between an old and a fresh replica, e.g. [\"$.time\"]",
    ),
    (
        "read_only_trial",
        "true",
        "after the load, one extra replica with a read-only root filesystem gets the mix",
    ),
    // 1 s: 100 requests at certify's rate, each kind of the mix many times over; a longer
    // trial is wall time the audit adds (its budget: a tenth of the run)
    ("read_only_duration", "\"1s\"", "for this long (100 requests at the default rate)"),
];

/// `--compose FILE --service NAME`: the stack from a compose file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ComposeStack {
    /// The compose file as the scenario names it: relative to the scenario's folder.
    pub file: String,
    pub service: String,
    /// `--compose-env`: the environment variables the compose file may read.
    pub env: Vec<String>,
}

/// What the command line asked for, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ZeroConfig {
    /// Empty with a compose stack.
    pub image: String,
    pub compose: Option<ComposeStack>,
    /// None: the compose service's one container port.
    pub port: Option<u16>,
    pub health: String,
    pub(crate) health_timeout: Duration,
    pub replicas: u32,
    pub env: Vec<(String, String)>,
    /// (method, path), in the order given.
    pub requests: Vec<(String, String)>,
    /// The load's length; None: as long as the faults need with [`DEFAULT_GAP`].
    pub duration: Option<Duration>,
}

/// The arguments as written on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Args<'a> {
    pub image: &'a str,
    /// `--compose` (as the scenario will name it), `--service`, `--compose-env`.
    pub compose: Option<(&'a str, &'a str, &'a [String])>,
    pub port: Option<u16>,
    pub health: Option<&'a str>,
    pub(crate) health_timeout: Option<&'a str>,
    pub replicas: Option<u32>,
    /// The compose service's `deploy.replicas`, used when `--replicas` is not given.
    pub declared_replicas: Option<u32>,
    pub env: &'a [String],
    pub requests: &'a [String],
    pub duration: Option<&'a str>,
}

/// An argument of `certify` or `init` the default scenario refuses: which one, and the
/// message that names it, says what is wrong and gives the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ArgError {
    /// The argument as the command line spells it (`IMAGE`, `--env`), or what stands for
    /// it (the compose service's `deploy.replicas`).
    pub arg: &'static str,
    pub message: String,
}

impl ArgError {
    fn new(arg: &'static str, message: impl Into<String>) -> ArgError {
        ArgError {
            arg,
            message: message.into(),
        }
    }
}

/// A string for a message: escaped and quoted.
fn shown(s: &str) -> String {
    format!("\"{}\"", super::escape(s))
}

fn no_control(arg: &'static str, s: &str) -> Result<(), ArgError> {
    match s.chars().find(|c| needs_escape(*c)) {
        Some(_) => Err(ArgError::new(
            arg,
            format!(
                "{arg} {}: contains a control or invisible formatting character\n  hint: write plain visible text",
                shown(s)
            ),
        )),
        None => Ok(()),
    }
}

impl ZeroConfig {
    /// Checks every argument; the error names the argument, what is wrong and the fix.
    pub(crate) fn from_args(a: &Args) -> Result<ZeroConfig, ArgError> {
        let compose = match a.compose {
            Some((file, service, env)) => Some(compose_stack(file, service, env)?),
            None => {
                image_args(a.image, a.port)?;
                None
            }
        };
        if a.port == Some(0) {
            return Err(ArgError::new(
                "--port",
                "--port 0: not a port\n  hint: the port the app listens on inside its container, e.g. --port 8080",
            ));
        }
        let health = a.health.unwrap_or("/");
        no_control("--health", health)?;
        if let Some(why) = http::target_problem(health) {
            return Err(ArgError::new(
                "--health",
                format!("--health: {why}\n  hint: {}", http::TARGET_HINT),
            ));
        }
        let health_timeout = match a.health_timeout {
            None => HEALTH_TIMEOUT,
            Some(t) => parse_duration(t)
                .ok()
                .filter(|d| (Duration::from_millis(1)..=Duration::from_secs(10)).contains(d))
                .ok_or_else(|| {
                    ArgError::new(
                        "--health-timeout",
                        format!(
                            "--health-timeout {}: not a duration from 1ms to 10s\n  hint: e.g. --health-timeout 2s",
                            shown(t)
                        ),
                    )
                })?,
        };
        let replicas = a.replicas.or(a.declared_replicas).unwrap_or(DEFAULT_REPLICAS);
        if !(1..=MAX_REPLICAS).contains(&replicas) {
            let arg = match a.replicas {
                Some(_) => "--replicas",
                None => "the compose service's deploy.replicas",
            };
            return Err(ArgError::new(
                arg,
                format!("{arg} {replicas}: out of range\n  hint: from 1 to {MAX_REPLICAS}; give --replicas"),
            ));
        }
        let env = env_args(a.env)?;
        let requests = request_args(a.requests)?;
        let duration = match a.duration {
            None => None,
            Some(d) => Some(duration_arg(d, replicas)?),
        };
        Ok(ZeroConfig {
            image: if compose.is_some() {
                String::new()
            } else {
                a.image.into()
            },
            compose,
            port: a.port,
            health: health.into(),
            health_timeout,
            replicas,
            env,
            requests,
            duration,
        })
    }

    /// The scenario's name: `certify-` and the image (or `compose-` and the service), in
    /// letters, digits and dashes.
    pub fn name(&self) -> String {
        let mut name = String::from("certify-");
        let of = match &self.compose {
            Some(c) => format!("compose-{}", c.service),
            None => self.image.clone(),
        };
        for c in of.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if !(c == '-' && name.ends_with('-')) {
                name.push(c);
            }
        }
        name.truncate(80);
        name.trim_end_matches('-').to_string()
    }

    /// Time between two faults.
    fn gap(&self) -> Duration {
        match self.duration {
            None => DEFAULT_GAP,
            // whole milliseconds, so the file says exactly what runs
            Some(d) => Duration::from_millis((d.as_millis() / u128::from(slots(self.replicas))) as u64),
        }
    }
}

/// IMAGE (without `--compose`): an image name, and `--port` with it.
fn image_args(image: &str, port: Option<u16>) -> Result<(), ArgError> {
    no_control("IMAGE", image)?;
    if let Some(why) = image_problem(image) {
        return Err(ArgError::new(
            "IMAGE",
            format!("IMAGE {}: {why}\n  hint: {IMAGE_HINT}", shown(image)),
        ));
    }
    if port.is_none() {
        return Err(ArgError::new(
            "--port",
            "--port: required with IMAGE\n  hint: the port the app listens on inside its container, e.g. --port 8080",
        ));
    }
    Ok(())
}

/// `--env NAME=VALUE`, each checked; the last one given for a name wins, as in a shell.
fn env_args(given: &[String]) -> Result<Vec<(String, String)>, ArgError> {
    if given.len() > MAX_ENV {
        return Err(ArgError::new(
            "--env",
            format!("--env: {} given, at most {MAX_ENV}", given.len()),
        ));
    }
    let mut env: Vec<(String, String)> = Vec::new();
    for kv in given {
        no_control("--env", kv)?;
        let Some((k, v)) = kv.split_once('=').filter(|(k, _)| env_name_ok(k)) else {
            return Err(ArgError::new(
                "--env",
                format!(
                    "--env {}: not NAME=VALUE with a POSIX name\n  hint: e.g. --env STARTUP_DELAY_MS=500",
                    shown(kv)
                ),
            ));
        };
        if v.len() > super::MAX_ENV_VALUE_BYTES {
            return Err(ArgError::new(
                "--env",
                format!("--env {k}: the value is over {} bytes", super::MAX_ENV_VALUE_BYTES),
            ));
        }
        env.retain(|(o, _)| o != k);
        env.push((k.into(), v.into()));
    }
    Ok(env)
}

/// `--request "METHOD PATH"`, each checked, the method upper-cased; none: `GET /`.
fn request_args(given: &[String]) -> Result<Vec<(String, String)>, ArgError> {
    let refused = |message: String| ArgError::new("--request", message);
    if given.len() > MAX_REQUEST_KINDS {
        return Err(refused(format!(
            "--request: {} given, at most {MAX_REQUEST_KINDS}",
            given.len()
        )));
    }
    let mut requests = Vec::new();
    for r in given {
        no_control("--request", r)?;
        let hint = "write \"METHOD PATH\", e.g. --request \"GET /\"";
        let Some((m, p)) = r.split_once(' ') else {
            return Err(refused(format!(
                "--request {}: not \"METHOD PATH\"\n  hint: {hint}",
                shown(r)
            )));
        };
        let m = m.to_ascii_uppercase();
        if let Some(why) = http::method_problem(&m) {
            return Err(refused(format!(
                "--request {}: {why}\n  hint: use one of {}",
                shown(r),
                http::METHODS.join(", ")
            )));
        }
        if let Some(why) = http::target_problem(p) {
            return Err(refused(format!(
                "--request {}: {why}\n  hint: {}",
                shown(r),
                http::TARGET_HINT
            )));
        }
        requests.push((m, p.to_string()));
    }
    if requests.is_empty() {
        requests.push(("GET".into(), "/".into()));
    }
    Ok(requests)
}

/// `--duration`: long enough for [`MIN_GAP`] between the faults of `replicas` replicas,
/// at most [`super::MAX_DURATION`].
fn duration_arg(given: &str, replicas: u32) -> Result<Duration, ArgError> {
    let refused = |message: String| ArgError::new("--duration", message);
    let slots = slots(replicas);
    let d = parse_duration(given).map_err(|e| {
        refused(format!(
            "--duration {}: {e}\n  hint: a number and a unit, e.g. 20s",
            shown(given)
        ))
    })?;
    if d < MIN_GAP * slots {
        return Err(refused(format!(
            "--duration {}: too short for {replicas} replica(s): {slots} gaps of at least {} between the faults\n  hint: use at least {}",
            format_duration(d),
            format_duration(MIN_GAP),
            format_duration(MIN_GAP * slots)
        )));
    }
    if d > super::MAX_DURATION {
        return Err(refused(format!("--duration {}: over 1h", format_duration(d))));
    }
    Ok(d)
}

/// `--compose`, `--service` and `--compose-env`, checked (the compose file itself is read
/// and checked with the scenario, located at its own lines).
fn compose_stack(file: &str, service: &str, env: &[String]) -> Result<ComposeStack, ArgError> {
    no_control("--compose", file)?;
    no_control("--service", service)?;
    let name_ok =
        |n: &str| !n.is_empty() && n.len() <= 128 && n.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok(service) {
        return Err(ArgError::new(
            "--service",
            format!(
                "--service {}: not a compose service name\n  hint: letters, digits, '.', '_' and '-', e.g. --service web",
                shown(service)
            ),
        ));
    }
    if env.len() > MAX_ENV {
        return Err(ArgError::new(
            "--compose-env",
            format!("--compose-env: {} given, at most {MAX_ENV}", env.len()),
        ));
    }
    for n in env {
        no_control("--compose-env", n)?;
        if !env_name_ok(n) {
            return Err(ArgError::new(
                "--compose-env",
                format!(
                    "--compose-env {}: not a variable name\n  hint: a POSIX name, e.g. --compose-env TAG",
                    shown(n)
                ),
            ));
        }
    }
    Ok(ComposeStack {
        file: file.into(),
        service: service.into(),
        env: env.to_vec(),
    })
}

/// Gaps in the load: one before each of the 2R single faults, one before the rolling
/// replace, then two per replica for it — it replaces one replica after another, each
/// once the previous is healthy again, so it needs a recovery per replica before the load
/// ends (a replacement after the end of the load is seen by no request: not measured).
fn slots(replicas: u32) -> u32 {
    4 * replicas + 1
}

#[path = "zero_config_text.rs"]
mod text;

#[cfg(test)]
#[path = "zero_config_tests.rs"]
mod tests;
