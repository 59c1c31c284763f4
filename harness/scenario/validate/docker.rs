//! What reaches the Docker engine as written: image references (Docker's reference
//! grammar), environment variables (POSIX names, no NUL) and volume targets (normalised;
//! never the container's `/`, `/proc`, `/sys` or `/dev`).

/// Longest image name (without tag and digest), as Docker counts it.
pub const MAX_IMAGE_NAME: usize = 255;
/// Longest environment variable value, in bytes.
pub const MAX_ENV_VALUE_BYTES: usize = 32 * 1024;
/// Most environment variables of one container.
pub const MAX_ENV: usize = 256;

/// Why `image` is not a Docker image reference (distribution/reference's grammar:
/// `[domain[:port]/]component(/component)*[:tag][@sha256:hex64]`, components
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, tag `[\w][\w.-]{0,127}`).
pub(crate) fn image_problem(image: &str) -> Option<String> {
    if image.trim().is_empty() {
        return Some("is empty".into());
    }
    if image.len() > 4 * MAX_IMAGE_NAME {
        return Some(format!("is {} bytes long, not an image reference", image.len()));
    }
    let not = || Some(format!("\"{image}\" is not a Docker image reference"));
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return not();
        }
    }
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let ok = (1..=128).contains(&t.len())
            && word(t.as_bytes()[0])
            && t.bytes().all(|b| word(b) || b == b'.' || b == b'-');
        if !ok {
            return not();
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        let is_domain =
            first.contains(['.', ':']) || first == "localhost" || first.bytes().any(|b| b.is_ascii_uppercase());
        if is_domain {
            if !domain_ok(first) {
                return not();
            }
            parts.remove(0);
        }
    }
    if !parts.iter().all(|p| component_ok(p)) {
        return not();
    }
    (name.len() > MAX_IMAGE_NAME).then(|| {
        format!(
            "the image name is {} bytes, over Docker's limit of {MAX_IMAGE_NAME}",
            name.len()
        )
    })
}

/// `host[:port]`, the host dot-separated labels of letters, digits and inner '-'.
fn domain_ok(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.split('.').all(label) && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// The hint for a refused image reference.
pub(crate) const IMAGE_HINT: &str = "write [registry[:port]/]name[:tag][@sha256:digest] with a lower-case name, \
     e.g. \"phoenix-demo:latest\" or \"redis:7\"";

/// POSIX environment variable names: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn env_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 256
}

/// Why an environment value cannot be passed to a container.
pub(super) fn env_value_problem(value: &str) -> Option<String> {
    if value.contains('\0') {
        Some("contains a NUL character, which no environment can hold".into())
    } else if value.len() > MAX_ENV_VALUE_BYTES {
        Some(format!(
            "is {} bytes, over the limit of {MAX_ENV_VALUE_BYTES} bytes",
            value.len()
        ))
    } else {
        None
    }
}

/// A container path resolved lexically (`.`, `..`, double slashes), or why it cannot be a
/// volume target.
pub(super) fn volume_target(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("\"{path}\" is not an absolute path inside the container"));
    }
    if path.chars().any(|c| c.is_control() || c == ':' || c == ',') {
        return Err(format!("\"{path}\" contains a control character, ':' or ','"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let normal = format!("/{}", parts.join("/"));
    match parts.first() {
        None => Err(format!("\"{path}\" is the container's root folder")),
        Some(&top) if ["proc", "sys", "dev"].contains(&top) => Err(format!(
            "\"{path}\" is {normal}, inside /{top}, which belongs to the kernel"
        )),
        _ => Ok(normal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_dockers_grammar() {
        for ok in [
            "phoenix-demo:latest",
            "redis:7",
            "phoenix/haproxy:bookworm",
            "localhost:5000/a/b_c__d:1.0-rc",
            "Registry.Example.com/x",
            "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "UPPER:1",
            "a b",
            "a:-tag",
            "a//b",
            "-a",
            "a:",
            "a\u{1b}[2J",
            "../x",
            "a@sha256:12",
        ] {
            assert!(image_problem(bad).is_some(), "{bad:?}");
        }
        assert!(image_problem(&"a".repeat(256)).is_some());
    }

    #[test]
    fn volume_targets_are_normalised_and_kernel_folders_refused() {
        assert_eq!(volume_target("/data//x/./y/.."), Ok("/data/x".into()));
        for bad in [
            "/",
            "/..",
            "/data/../proc/self",
            "//sys",
            "/dev/shm",
            "relative",
            "/a:ro",
        ] {
            assert!(volume_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_names_are_posix() {
        assert!(env_name_ok("STARTUP_DELAY_MS") && env_name_ok("_x1"));
        assert!(!env_name_ok("1X") && !env_name_ok("A-B") && !env_name_ok("") && !env_name_ok("A=B"));
    }
}
