//! Sorting failed requests into classes: refused, reset, timeout, other (5xx is decided
//! from the status, not here).

use crate::record::Outcome;
use std::error::Error as StdError;
use std::io::ErrorKind;

/// Classifies an error of the load's client (an io error of the connect, a hyper error of
/// the exchange) by walking its source chain.
pub fn classify_error(e: &(dyn StdError + 'static)) -> Outcome {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    let mut text = String::new();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Outcome::Refused,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return Outcome::Reset,
                ErrorKind::TimedOut => return Outcome::Timeout,
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return Outcome::Timeout;
            }
            // the server closed the connection before a whole response
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                return Outcome::Reset;
            }
        }
        text.push_str(&s.to_string().to_ascii_lowercase());
        text.push(' ');
        source = s.source();
    }
    classify_text(&text)
}

/// Fallback on the error text, for errors that carry no io::Error and no hyper kind.
fn classify_text(text: &str) -> Outcome {
    if text.contains("refused") {
        Outcome::Refused
    } else if text.contains("reset")
        || text.contains("closed")
        || text.contains("incomplete")
        || text.contains("broken pipe")
    {
        Outcome::Reset
    } else if text.contains("timed out") || text.contains("timeout") {
        Outcome::Timeout
    } else {
        Outcome::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fallback_classes() {
        assert_eq!(
            classify_text("connection closed before message completed"),
            Outcome::Reset
        );
        assert_eq!(
            classify_text("tcp connect error: connection refused (os error 111)"),
            Outcome::Refused
        );
        assert_eq!(classify_text("operation timed out"), Outcome::Timeout);
        assert_eq!(classify_text("invalid http version"), Outcome::Other);
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        // bind then drop: nothing listens on this port any more
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        assert_eq!(super::super::http::connect(addr).await.unwrap_err(), Outcome::Refused);
    }
}
