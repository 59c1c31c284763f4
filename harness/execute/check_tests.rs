//! Journeys' steps against a local listener: captured values never inject, uploads are
//! reproducible, excerpts bounded.

use super::*;

#[test]
fn uploads_differ_per_journey_and_repeat_per_journey() {
    assert_eq!(random_bytes(3, 64), random_bytes(3, 64));
    assert_ne!(random_bytes(3, 64), random_bytes(4, 64));
}

#[test]
fn json_values_render_as_text() {
    assert_eq!(json_text(&serde_json::json!("abc")), "abc");
    assert_eq!(json_text(&serde_json::json!(42)), "42");
}

#[tokio::test]
async fn a_captured_value_with_cr_lf_fails_the_step_instead_of_injecting() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    let endpoint = Endpoint {
        replica: "app-0".into(),
        addr,
    };
    let step = |path: &str, headers: Vec<(String, String)>| Step {
        method: "GET".into(),
        path: path.into(),
        headers,
        body: Body::None,
        status: 200,
        captures: vec![],
        expect: vec![],
    };
    let mut j = Journey::default();
    j.vars.insert("evil".into(), "x\r\nX-Injected: 1 \u{1b}".into());
    let c = client();
    let header = step("/", vec![("X-Sid".into(), "{{evil}}".into())]);
    let f = run_step(&c, &header, &endpoint, &mut j, "setup", None)
        .await
        .unwrap_err();
    assert!(f.expected.contains("header X-Sid"), "{f:?}");
    let path = step("/p/{{evil}}", vec![]);
    run_step(&c, &path, &endpoint, &mut j, "setup", None).await.unwrap();
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "the bad header was never sent");
    assert!(
        requests[0].starts_with("GET /p/x%0D%0AX-Injected:%201%20%1B HTTP/1.1\r\n"),
        "{requests:?}"
    );
    assert!(!requests[0].contains("\r\nX-Injected"), "{requests:?}");
}

#[test]
fn excerpts_are_bounded() {
    let long = vec![b'x'; 1000];
    assert_eq!(excerpt(&long).chars().count(), EXCERPT + 1);
}
