//! The engine: reachable, and new enough.

use super::{Report, Status};
use crate::backend::docker::{connect, socket_description};
use crate::backend::BackendError;

/// The oldest engine API the harness speaks (Docker 20.10).
pub const MIN_API: (u32, u32) = (1, 41);

/// Reaches the engine and checks its API version.
pub(super) async fn check(r: &mut Report) -> Option<bollard::Docker> {
    let fix_unreachable = crate::backend::docker::UNREACHABLE_HINT;
    let docker = match connect().await {
        Ok(d) => d,
        Err(BackendError::Unreachable { at: socket, reason, .. }) => {
            r.line(
                Status::Problem,
                "engine",
                &format!("cannot reach {socket}: {reason}"),
                Some(fix_unreachable),
            );
            return None;
        }
        Err(e) => {
            r.line(Status::Problem, "engine", &e.to_string(), Some(fix_unreachable));
            return None;
        }
    };
    match docker.version().await {
        Ok(v) => {
            let api = v.api_version.unwrap_or_default();
            let detail = format!(
                "Docker {}, API {api} at {}",
                v.version.unwrap_or_else(|| "?".into()),
                socket_description()
            );
            match parse_api(&api) {
                Some(got) if got >= MIN_API => r.line(Status::Ok, "engine", &detail, None),
                _ => r.line(
                    Status::Problem,
                    "engine",
                    &format!("{detail}: API {}.{} or newer is needed", MIN_API.0, MIN_API.1),
                    Some("upgrade the engine to Docker 20.10 or newer"),
                ),
            }
            Some(docker)
        }
        Err(e) => {
            r.line(
                Status::Problem,
                "engine",
                &format!("no version from {}: {e}", socket_description()),
                Some(fix_unreachable),
            );
            None
        }
    }
}

/// "1.41" -> (1, 41).
pub(super) fn parse_api(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
