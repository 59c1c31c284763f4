//! `phoenix certify IMAGE` and `phoenix init IMAGE` (or `--compose FILE --service NAME`):
//! the built-in default scenario (`scenario::zero_config`) run through `phoenix run`'s own
//! path, or written to a file to start from. Both build the same text from the same
//! arguments, so a file `init` wrote runs exactly what `certify` ran. `certify`'s scenario
//! stands in the current folder (as `init`'s default phoenix.toml does): the compose file
//! is named relative to it.

use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::cli::ZeroConfigArgs;
use crate::scenario::zero_config::{Args, ZeroConfig};
use crate::scenario::{escape, Scenario};
use std::path::{Path, PathBuf};

/// Why the compose file cannot be named relative to the scenario's folder.
#[derive(Debug, thiserror::Error)]
pub enum RelativeError {
    /// The scenario's folder does not resolve.
    #[error("the scenario's folder: {0}")]
    Folder(#[source] std::io::Error),
    /// The compose file does not resolve (it is missing, most often).
    #[error("{0}")]
    Target(#[source] std::io::Error),
    /// The compose file's path cannot be written in a scenario.
    #[error("the path is not UTF-8")]
    NotUtf8,
}

/// The default scenario's text for these arguments, validated as a file at `path` would
/// be; its warnings are printed.
fn scenario_text(app: &ZeroConfigArgs, path: &Path) -> Result<(String, Scenario), CommandError> {
    let (mut compose, mut declared_replicas) = (None, None);
    if let (Some(file), Some(service)) = (&app.compose, &app.service) {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let written = relative(folder, file).map_err(|source| CommandError::ComposeFile {
            file: file.clone(),
            source,
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
    let config = ZeroConfig::from_args(&args).map_err(CommandError::ZeroConfigArgs)?;
    let text = config.toml();
    let s = Scenario::parse(path, &text).map_err(|source| CommandError::DefaultScenario {
        source,
        compose: app.compose.is_some(),
    })?;
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    Ok((text, s))
}

/// `target` relative to the folder `from` (both resolved, symlinks followed), as the
/// scenario writes it; `..` where needed (the scenario's checks then keep it inside the
/// project).
fn relative(from: &Path, target: &Path) -> Result<String, RelativeError> {
    let from = from.canonicalize().map_err(RelativeError::Folder)?;
    let target = target.canonicalize().map_err(RelativeError::Target)?;
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), target.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    out.extend(&b[common..]);
    out.to_str().map(str::to_string).ok_or(RelativeError::NotUtf8)
}

/// `phoenix certify`: the default scenario, saved in the run folder as scenario.toml and
/// run like `phoenix run` would run that file; the same exit statuses. A compose file's
/// commands on this host run only with `--allow-host-commands` (`allow`).
pub async fn certify(
    app: &ZeroConfigArgs,
    out: Option<&Path>,
    reports: &Path,
    allow: bool,
) -> Result<Exit, CommandError> {
    let (_, scenario) = scenario_text(app, Path::new("scenario.toml"))?;
    // a compose file is untrusted, and `certify` has no file of its own to read first
    let commands = scenario.host_commands();
    if !allow && !commands.is_empty() {
        return Err(CommandError::HostCommands { commands });
    }
    crate::cli::run_scenario(scenario, true, out, None, false, reports).await
}

/// `phoenix init`: writes the default scenario to `file`, never over an existing file (nor
/// a link), nor into a system folder: the checks and the write of run folders' files.
pub fn init(app: &ZeroConfigArgs, file: &Path) -> Result<Exit, CommandError> {
    let shown = escape(&file.display().to_string()).into_owned();
    crate::files::output::check_new_file(file)?;
    let (text, _) = scenario_text(app, file)?;
    crate::files::output::write_new(file, text.as_bytes())?;
    println!("{shown}");
    eprintln!("phoenix: wrote {shown}; run it with `phoenix run {shown}`");
    Ok(Exit::Ok)
}
