//! Random identifiers (session ids, upload ids) and their validation.

/// `bytes` random bytes from the OS, as lowercase hex (2 × `bytes` characters).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("OS random number generator unavailable");
    let mut out = String::with_capacity(bytes * 2);
    for b in buf {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// True for a non-empty lowercase hex string of at most 64 characters: safe to use as a file name.
pub fn is_hex_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_shape() {
        let a = random_hex(16);
        let b = random_hex(16);
        assert_eq!(a.len(), 32);
        assert!(is_hex_id(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn hex_id_validation() {
        assert!(is_hex_id("00ff"));
        assert!(!is_hex_id(""));
        assert!(!is_hex_id("../etc"));
        assert!(!is_hex_id("ABCD"));
        assert!(!is_hex_id(&"a".repeat(65)));
    }
}
