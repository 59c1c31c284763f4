//! `phoenix clean`: what dead runs left, found and removed — the process backend's
//! leftovers (run folders in the temporary folder, processes carrying a run's label) and
//! the engine's objects (swarm services, containers, networks, volumes).

use crate::backend::clean;
use crate::backend::docker::connect;
use crate::backend::labels;
use crate::backend::process::{leftovers, remove_leftovers};
use crate::cli::exit::{EXIT_OK, EXIT_RUNTIME};
use crate::scenario::escape;

pub(super) async fn clean_cmd(dry_run: bool) -> u8 {
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
    let mut code = EXIT_OK;
    if !dry_run && !found.is_empty() {
        let n = remove_leftovers(&found);
        println!("removed {n} of {} process run leftover(s)", found.len());
        if n < found.len() {
            eprintln!(
                "error: {} run folder(s) could not be removed\n  hint: see the folders named above, then run `phoenix clean` again",
                found.len() - n
            );
            code = EXIT_RUNTIME;
        }
    }

    let docker = match connect().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            if !found.is_empty() {
                let done = if dry_run { "listed" } else { "removed" };
                eprintln!("  (the process runs above were {done}; the engine's objects were not checked)");
            }
            return EXIT_RUNTIME;
        }
    };
    let orphans = match clean::find(&docker).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
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
            eprintln!(
                "error: {} object(s) could not be removed\n  hint: see `docker ps -a --filter label={}`, then run `phoenix clean` again",
                orphans.len() - n,
                labels::RUN
            );
            return EXIT_RUNTIME;
        }
    }
    code
}
