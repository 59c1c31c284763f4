//! `phoenix certify IMAGE` and `phoenix init IMAGE` (or `--compose FILE --service NAME`):
//! the built-in default scenario (`scenario::zero_config`) run through `phoenix run`'s own
//! path, or written to a file to start from. Both build the same text from the same
//! arguments, so a file `init` wrote runs exactly what `certify` ran. `certify`'s scenario
//! stands in the current folder (as `init`'s default phoenix.toml does): the compose file
//! is named relative to it.

use crate::cli::exit::{EXIT_BAD_INPUT, EXIT_OK, EXIT_RUNTIME};
use crate::cli::ZeroConfigArgs;
use crate::scenario::zero_config::{Args, ZeroConfig};
use crate::scenario::{escape, Scenario};
use std::path::{Path, PathBuf};

/// The default scenario's text for these arguments, validated as a file at `path` would
/// be; the error is printed and is bad input.
fn scenario_text(app: &ZeroConfigArgs, path: &Path) -> Result<(String, Scenario), u8> {
    let bad = |e: String| {
        eprintln!("error: {e}");
        EXIT_BAD_INPUT
    };
    let (mut compose, mut declared_replicas) = (None, None);
    if let (Some(file), Some(service)) = (&app.compose, &app.service) {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let written = relative(folder, file).map_err(|why| {
            bad(format!(
                "--compose {}: {why}\n  hint: name an existing compose file, e.g. --compose docker-compose.yml",
                escape(&file.display().to_string())
            ))
        })?;
        declared_replicas = crate::scenario::declared_replicas(file, service);
        compose = Some((written, service.as_str()));
    }
    let args = Args {
        image: app.image.as_deref().unwrap_or(""),
        compose: compose
            .as_ref()
            .map(|(f, s)| (f.as_str(), *s, app.compose_env.as_slice())),
        port: app.port,
        health: app.health.as_deref(),
        health_timeout: app.health_timeout.as_deref(),
        replicas: app.replicas,
        declared_replicas,
        env: &app.env,
        requests: &app.requests,
        duration: app.duration.as_deref(),
    };
    let config = ZeroConfig::from_args(&args).map_err(bad)?;
    let text = config.toml();
    match Scenario::parse(path, &text) {
        Ok(s) => {
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            Ok((text, s))
        }
        Err(e) => {
            eprintln!("error: the default scenario for these arguments is not valid: {e}");
            if app.compose.is_some() {
                eprintln!("  (app.compose is --compose, app.service --service, app.port --port, app.compose_env --compose-env)");
            }
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// `target` relative to the folder `from` (both resolved, symlinks followed), as the
/// scenario writes it; `..` where needed (the scenario's checks then keep it inside the
/// project).
fn relative(from: &Path, target: &Path) -> Result<String, String> {
    let from = from.canonicalize().map_err(|e| format!("the scenario's folder: {e}"))?;
    let target = target.canonicalize().map_err(|e| e.to_string())?;
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), target.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    out.extend(&b[common..]);
    out.to_str()
        .map(str::to_string)
        .ok_or_else(|| "the path is not UTF-8".to_string())
}

/// `phoenix certify`: the default scenario, saved in the run folder as scenario.toml and
/// run like `phoenix run` would run that file; the same exit statuses. A compose file's
/// commands on this host run only with `--allow-host-commands` (`allow`).
pub async fn certify(app: &ZeroConfigArgs, out: Option<&Path>, reports: &Path, allow: bool) -> u8 {
    let (_, scenario) = match scenario_text(app, Path::new("scenario.toml")) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Some(refusal) = host_commands_refused(&scenario, allow) {
        eprintln!("{refusal}");
        return EXIT_BAD_INPUT;
    }
    crate::cli::run_scenario(scenario, true, out, None, false, reports).await
}

/// The refusal of a stack that runs commands on this host without `--allow-host-commands`:
/// a compose file is untrusted, and `certify` has no file of its own to read first.
fn host_commands_refused(scenario: &Scenario, allow: bool) -> Option<String> {
    let commands = scenario.host_commands();
    if allow || commands.is_empty() {
        return None;
    }
    let mut text =
        String::from("error: --compose: the stack runs commands on this host, as you, when an image is missing:");
    for (command, folder) in &commands {
        text.push_str(&format!(
            "\n  {} (in {})",
            escape(command),
            escape(&folder.display().to_string())
        ));
    }
    text.push_str("\n  hint: read them (and the files they run), then add --allow-host-commands to run them");
    Some(text)
}

/// `phoenix init`: writes the default scenario to `file`, never over an existing file (nor
/// a link), nor into a system folder: the checks and the write of run folders' files.
pub fn init(app: &ZeroConfigArgs, file: &Path) -> u8 {
    let shown = escape(&file.display().to_string()).into_owned();
    if let Err(e) = crate::files::output::check_new_file(file) {
        eprintln!("error: {e}");
        return if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_RUNTIME };
    }
    let (text, _) = match scenario_text(app, file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Err(e) = crate::files::output::write_new(file, text.as_bytes()) {
        eprintln!("error: {e}");
        return if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_RUNTIME };
    }
    println!("{shown}");
    eprintln!("phoenix: wrote {shown}; run it with `phoenix run {shown}`");
    EXIT_OK
}
