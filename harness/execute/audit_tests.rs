//! The sample's writes: which requests of the mix, rendered as request 1, the cookies
//! their answers set, sent with the reads, and the reads back of what they wrote.

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

/// A one-shot server answering `status` with `Set-Cookie` headers and `extra` header lines;
/// returns its address and what it received.
fn server(
    answers: usize,
    status: &'static str,
    extra: &'static str,
) -> (SocketAddr, std::thread::JoinHandle<Vec<String>>) {
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
                "HTTP/1.1 {status}\r\nSet-Cookie: s{k}=v{k}; Path=/; HttpOnly\r\nSet-Cookie: gone=; Max-Age=0\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
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
    let (addr, got) = server(2, "204 No Content", "");
    let written = send_writes(addr, &mix_writes(&s)).await;
    assert_eq!(written.cookie.as_deref(), Some("s0=v0; s1=v1"));
    assert!(written.located.is_empty(), "no 201, nothing located");
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
    assert_eq!(send_writes(closed, &mix_writes(&s)).await, Written::default());
    assert!(t.elapsed() <= WRITES_BUDGET + Duration::from_millis(200));
}

#[test]
fn what_a_put_or_patch_wrote_is_read_back_first_and_a_post_path_never() {
    let mut s = fixture::record().scenario;
    let mut put = spec("PUT", "/cache/k{{n}}", Body::Text("v{{n}}".into()));
    put.headers.insert("Content-Type".into(), "text/plain".into());
    put.headers.insert("Authorization".into(), "Bearer t{{n}}".into());
    s.load.requests = vec![
        spec("POST", "/login", Body::Form(vec![("user".into(), "u{{n}}".into())])),
        put,
        spec("PATCH", "/notes/{{n}}", Body::Text("x".into())),
        spec("GET", "/", Body::None),
        spec("GET", "/cache/k{{n}}", Body::None),
    ];
    let writes = mix_writes(&s);
    let backs = read_backs(&writes);
    let labels: Vec<String> = backs.iter().map(SampleRequest::label).collect();
    assert_eq!(labels, ["GET /cache/k1", "GET /notes/1"]);
    // the write's own headers go with its read, but not those of its body
    assert_eq!(
        backs[0].headers,
        [("Authorization".to_string(), "Bearer t1".to_string())]
    );
    // read-backs first, a mix read that is the same request once, at most four
    let reads = mix_reads(&backs, &mix_sample(&s));
    let labels: Vec<String> = reads.iter().map(SampleRequest::label).collect();
    assert_eq!(labels, ["GET /cache/k1", "GET /notes/1", "GET /", "GET /cache/k1"]);
    assert_ne!(
        reads[0], reads[3],
        "the mix's GET has no Authorization: another request"
    );
    let many: Vec<SampleRequest> = (0..6).map(|i| backs[0].clone().with_path(i)).collect();
    assert_eq!(mix_reads(&many, &reads).len(), MAX_MIX_SAMPLE);
    // a PUT-only mix: its read-back is the whole mix sample
    s.load.requests.retain(|r| r.method == "PUT");
    assert!(mix_sample(&s).is_empty());
    let labels: Vec<String> = read_backs(&mix_writes(&s)).iter().map(SampleRequest::label).collect();
    assert_eq!(labels, ["GET /cache/k1"]);
}

impl SampleRequest {
    fn with_path(mut self, i: usize) -> SampleRequest {
        self.path = format!("/x{i}");
        self
    }
}

#[test]
fn a_location_is_read_back_as_a_path_on_the_same_replica_or_not_at_all() {
    assert_eq!(location_target("/items/5").as_deref(), Some("/items/5"));
    assert_eq!(
        location_target(" http://elsewhere:9/items/5?v=2#frag ").as_deref(),
        Some("/items/5?v=2")
    );
    assert_eq!(location_target("/a#b").as_deref(), Some("/a"));
    // the app's bytes reach the request line as visible ASCII only
    assert_eq!(location_target("/é x").as_deref(), Some("/%C3%A9%20x"));
    for refused in ["//evil.example/x", "items/5", "ftp://h/x", "javascript:alert(1)", ""] {
        assert_eq!(location_target(refused), None, "{refused:?}");
    }
    assert_eq!(location_target(&format!("/{}", "a".repeat(MAX_LOCATION))), None);
}

#[tokio::test]
async fn the_location_of_a_201_is_read_back_with_the_writes_headers() {
    let mut s = fixture::record().scenario;
    let mut post = spec("POST", "/items", Body::Json(serde_json::json!({ "v": "{{n}}" })));
    post.headers.insert("X-Tenant".into(), "t{{n}}".into());
    s.load.requests = vec![post];
    let (addr, got) = server(1, "201 Created", "Location: http://app:8080/items/42\r\n");
    let written = send_writes(addr, &mix_writes(&s)).await;
    assert!(read_backs(&mix_writes(&s)).is_empty(), "a POST's path is not read back");
    assert_eq!(
        written.located,
        [SampleRequest {
            method: "GET".into(),
            path: "/items/42".into(),
            headers: vec![("X-Tenant".into(), "t1".into())],
        }]
    );
    assert!(got.join().unwrap()[0].starts_with("POST /items HTTP/1.1"));
    // the same Location on a 200 names nothing created
    let (addr, got) = server(1, "200 OK", "Location: /items/42\r\n");
    assert!(send_writes(addr, &mix_writes(&s)).await.located.is_empty());
    got.join().unwrap();
}
