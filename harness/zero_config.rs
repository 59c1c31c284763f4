//! `phoenix certify IMAGE` and `phoenix init IMAGE`: the built-in default scenario
//! (`scenario::zero_config`) run through `phoenix run`'s own path, or written to a file to
//! start from. Both build the same text from the same arguments, so a file `init` wrote
//! runs exactly what `certify` ran.

use crate::cli::ZeroConfigArgs;
use crate::exit::{EXIT_BAD_INPUT, EXIT_OK, EXIT_RUNTIME};
use crate::scenario::zero_config::{Args, ZeroConfig};
use crate::scenario::{escape, Scenario};
use std::io::Write;
use std::path::Path;

/// The default scenario's text for these arguments, validated as a file at `path` would
/// be; the error is printed and is bad input.
fn scenario_text(app: &ZeroConfigArgs, path: &Path) -> Result<(String, Scenario), u8> {
    let args = Args {
        image: &app.image,
        port: app.port,
        health: app.health.as_deref(),
        replicas: app.replicas,
        env: &app.env,
        requests: &app.requests,
        duration: app.duration.as_deref(),
    };
    let config = ZeroConfig::from_args(&args).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_BAD_INPUT
    })?;
    let text = config.toml();
    match Scenario::parse(path, &text) {
        Ok(s) => Ok((text, s)),
        Err(e) => {
            eprintln!("error: the default scenario for these arguments is not valid: {e}");
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// `phoenix certify`: the default scenario, saved in the run folder as scenario.toml and
/// run like `phoenix run` would run that file; the same exit statuses.
pub async fn certify(app: &ZeroConfigArgs, out: Option<&Path>, reports: &Path) -> u8 {
    let (_, scenario) = match scenario_text(app, Path::new("scenario.toml")) {
        Ok(t) => t,
        Err(code) => return code,
    };
    crate::commands::run_scenario(scenario, true, out, None, false, reports).await
}

/// `phoenix init`: writes the default scenario to `file`, never over an existing file.
pub fn init(app: &ZeroConfigArgs, file: &Path) -> u8 {
    let shown = escape(&file.display().to_string()).into_owned();
    let (text, _) = match scenario_text(app, file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    // create_new: an existing file (or one created meanwhile) is refused, not replaced
    let created = std::fs::OpenOptions::new().write(true).create_new(true).open(file);
    let mut f = match created {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("error: {shown} exists; phoenix init never overwrites a file\n  hint: give another --file, or remove it first");
            return EXIT_BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: cannot create {shown}: {e}");
            return EXIT_RUNTIME;
        }
    };
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|_| f.sync_all()) {
        eprintln!("error: cannot write {shown}: {e}");
        return EXIT_RUNTIME;
    }
    println!("{shown}");
    eprintln!("phoenix: wrote {shown}; run it with `phoenix run {shown}`");
    EXIT_OK
}
