//! Random hex identifiers (note keys, tokens) and parsing of the request headers that carry them.

/// `len` random lowercase hex characters from the OS generator.
pub fn random_hex(len: usize) -> String {
    let mut buf = vec![0u8; len.div_ceil(2)];
    getrandom::fill(&mut buf).expect("OS random number generator unavailable");
    let mut out: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    out.truncate(len);
    out
}

/// True for 1..=64 lowercase hex characters.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_lengths() {
        for len in [16, 24, 7] {
            let a = random_hex(len);
            assert_eq!(a.len(), len);
            assert!(is_hex(&a));
        }
        assert_ne!(random_hex(24), random_hex(24));
    }

    #[test]
    fn hex_validation() {
        assert!(is_hex("0a9f"));
        assert!(!is_hex(""));
        assert!(!is_hex("ABC"));
        assert!(!is_hex("n:12"));
        assert!(!is_hex(&"a".repeat(65)));
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
