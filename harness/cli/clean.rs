//! `phoenix clean`: what dead runs left, found and removed — the process backend's
//! leftovers (run folders in the temporary folder, processes carrying a run's label) and
//! the engine's objects (swarm services, containers, networks, volumes).

use crate::backend::clean;
use crate::backend::docker::connect;
use crate::backend::process::{leftovers, remove_leftovers};
use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::scenario::escape;

/// `phoenix clean [--dry-run]`: lists (and removes) the process runs' leftovers, then the
/// engine's orphans. Leftovers that stay are a failure, reported with the engine's.
pub(super) async fn clean_cmd(dry_run: bool) -> Result<Exit, CommandError> {
    let verb = if dry_run { "would remove " } else { "removing " };
    // process runs first: they need no engine
    let found = leftovers(&std::env::temp_dir());
    for l in &found {
        let folder = l.folder.as_ref().map_or("no folder".to_string(), |f| {
            format!("folder {}", escape(&f.display().to_string()))
        });
        let pids: Vec<String> = l.pids.iter().map(i32::to_string).collect();
        println!(
            "{verb}process run {} ({folder}, {} process(es){}{}) owned by dead process {}",
            escape(&l.run),
            l.pids.len(),
            if pids.is_empty() { "" } else { ": " },
            pids.join(" "),
            escape(&l.owner)
        );
    }
    // what failed so far: the command goes on to the engine, and reports it with the rest
    let mut failed = None;
    if !dry_run && !found.is_empty() {
        let n = remove_leftovers(&found);
        println!("removed {n} of {} process run leftover(s)", found.len());
        if n < found.len() {
            failed = Some(CommandError::Leftovers {
                failed: found.len() - n,
            });
        }
    }

    let docker = match connect().await {
        Ok(d) => d,
        Err(source) => {
            let done = if dry_run { "listed" } else { "removed" };
            let process_runs = (!found.is_empty()).then_some(done);
            return Err(ending(failed, CommandError::Engine { source, process_runs }));
        }
    };
    let orphans = match clean::find(&docker).await {
        Ok(o) => o,
        Err(e) => return Err(ending(failed, CommandError::Backend(e))),
    };
    for o in &orphans {
        println!(
            "{verb}{} {} ({}) of run {} owned by dead process {}",
            o.kind,
            escape(&o.name),
            &o.id[..o.id.len().min(12)],
            escape(&o.run),
            escape(&o.owner)
        );
    }
    if orphans.is_empty() && found.is_empty() {
        println!("nothing to remove");
    } else if !dry_run && !orphans.is_empty() {
        let n = clean::remove(&docker, &orphans).await;
        println!("removed {n} of {} orphaned object(s)", orphans.len());
        if n < orphans.len() {
            let last = CommandError::Orphans {
                failed: orphans.len() - n,
            };
            return Err(ending(failed, last));
        }
    }
    failed.map_or(Ok(Exit::Ok), Err)
}

/// The failure so far, if any, and the one that ends the command, as one error.
fn ending(failed: Option<CommandError>, last: CommandError) -> CommandError {
    match failed {
        Some(f) => f.then(last),
        None => last,
    }
}
