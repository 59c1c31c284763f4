//! The sample's writes: which requests of the mix, rendered as request 1, and the cookies
//! their answers set, sent with the reads.

use super::*;
use crate::report::fixture;
use crate::scenario::{Body, RequestSpec};
use std::io::{Read, Write};

fn spec(method: &str, path: &str, body: Body) -> RequestSpec {
    RequestSpec {
        body,
        ..RequestSpec::plain(method, path)
    }
}

#[test]
fn set_cookie_values_keep_name_and_value_replace_remove_and_refuse_what_cannot_be_sent_back() {
    let mut jar = Vec::new();
    keep_cookie(&mut jar, "sid=abc; Path=/; HttpOnly");
    keep_cookie(&mut jar, "lang=en");
    keep_cookie(&mut jar, "sid=def; Max-Age=60");
    assert_eq!(jar, [("lang".into(), "en".into()), ("sid".into(), "def".into())]);
    keep_cookie(&mut jar, "lang=; Max-Age=0");
    keep_cookie(&mut jar, "no-equals-sign");
    keep_cookie(&mut jar, "x=a b");
    keep_cookie(&mut jar, "y=\u{7}");
    keep_cookie(&mut jar, "=v");
    assert_eq!(jar, [("sid".to_string(), "def".to_string())]);
}

#[test]
fn the_cookie_goes_with_every_read_added_to_a_cookie_header_it_has() {
    let mix = vec![
        SampleRequest {
            method: "GET".into(),
            path: "/me".into(),
            headers: vec![],
        },
        SampleRequest {
            method: "GET".into(),
            path: "/".into(),
            headers: vec![("Cookie".into(), "a=1".into())],
        },
    ];
    assert_eq!(with_cookie(&mix, None), mix);
    let c = with_cookie(&mix, Some("sid=abc"));
    assert_eq!(c[0].headers, [("cookie".to_string(), "sid=abc".to_string())]);
    assert_eq!(c[1].headers, [("Cookie".to_string(), "a=1; sid=abc".to_string())]);
}

#[test]
fn the_writes_are_the_mix_posts_puts_and_patches_at_most_four_never_a_delete() {
    let mut s = fixture::record().scenario;
    s.load.requests = vec![
        spec("GET", "/", Body::None),
        spec("POST", "/login", Body::Form(vec![("user".into(), "u{{n}}".into())])),
        spec("DELETE", "/cache/k{{n}}", Body::None),
        spec("PUT", "/cache/k{{n}}", Body::Text("v{{n}}".into())),
        spec("PATCH", "/a", Body::None),
        spec("POST", "/b", Body::None),
        spec("POST", "/c", Body::None),
    ];
    let w = mix_writes(&s);
    assert_eq!(w.len(), 4);
    assert_eq!(lead(&w), SAMPLE_BUDGET + WRITES_BUDGET);
    assert_eq!(lead(&[]), SAMPLE_BUDGET);
    s.load.requests.retain(|r| r.method == "GET");
    assert!(mix_writes(&s).is_empty());
}

/// A one-shot server answering with `Set-Cookie` headers; returns its address and what it
/// received.
fn server(answers: usize) -> (SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        let mut got = Vec::new();
        for k in 0..answers {
            let (mut c, _) = l.accept().unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // the head, then as many body bytes as Content-Length says
            loop {
                let n = c.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len || n == 0 {
                        break;
                    }
                }
            }
            got.push(String::from_utf8_lossy(&buf).to_string());
            let answer = format!(
                "HTTP/1.1 204 No Content\r\nSet-Cookie: s{k}=v{k}; Path=/; HttpOnly\r\nSet-Cookie: gone=; Max-Age=0\r\nConnection: close\r\n\r\n"
            );
            c.write_all(answer.as_bytes()).unwrap();
        }
        got
    });
    (addr, h)
}

#[tokio::test]
async fn the_writes_are_sent_as_request_1_and_the_cookies_they_set_are_returned() {
    let mut s = fixture::record().scenario;
    s.load.requests = vec![
        spec("PUT", "/cache/k{{n}}", Body::Text("v{{n}}".into())),
        spec("POST", "/login", Body::Form(vec![("user".into(), "u{{n}}".into())])),
    ];
    let (addr, got) = server(2);
    let cookie = send_writes(addr, &mix_writes(&s)).await;
    assert_eq!(cookie.as_deref(), Some("s0=v0; s1=v1"));
    let got = got.join().unwrap();
    assert!(
        got[0].starts_with("PUT /cache/k1 HTTP/1.1") && got[0].ends_with("\r\n\r\nv1"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("POST /login HTTP/1.1") && got[1].ends_with("user=u1"),
        "{got:?}"
    );
    // nothing listening: no cookie, within the budget
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let t = std::time::Instant::now();
    assert_eq!(send_writes(closed, &mix_writes(&s)).await, None);
    assert!(t.elapsed() <= WRITES_BUDGET + Duration::from_millis(200));
}
