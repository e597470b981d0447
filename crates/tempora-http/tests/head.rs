//! The head parser and the renderer on fixed inputs.

use tempora_http::*;

#[test]
fn request_lines() {
    let ok = parse_request_line(b"GET /api/v1/status?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        ok,
        Ok(RequestLine {
            method: "GET",
            target: "/api/v1/status?x=1"
        })
    );
    assert_eq!(
        parse_request_line(b"HEAD / HTTP/1.0\n\n").map(|l| l.method),
        Ok("HEAD")
    );
    for bad in [
        &b"GET / HTTP/2\r\n\r\n"[..],
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET http://x/ HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1",
        b"",
    ] {
        assert_eq!(
            parse_request_line(bad),
            Err(HeadError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse_request_line(b"POST / HTTP/1.1\r\n\r\n"),
        Err(HeadError::Method)
    );
    let long = format!("GET /?q={} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET));
    assert_eq!(
        parse_request_line(long.as_bytes()),
        Err(HeadError::UriTooLong)
    );
}

#[test]
fn hosts() {
    let head = |host: &str| format!("GET / HTTP/1.1\r\nAccept: */*\r\n{host}\r\n\r\n");
    for ok in [
        "Host: 127.0.0.1:9912",
        "host: 127.0.0.1",
        "Host: [::1]:9912",
        "HOST: [fe80::1]",
        "Host: localhost:9912",
        "Host: LocalHost.",
        "Host: app.localhost",
        "X-Other: 1",
    ] {
        assert!(host_allowed(head(ok).as_bytes()), "{ok}");
    }
    for bad in [
        "Host: evil.example:9912",
        "Host: evil.example",
        "Host: 127.0.0.1.evil.example",
        "Host: localhost.evil.example",
        "Host: [::1",
        "Host: [evil]:80",
        "Host: ",
    ] {
        assert!(!host_allowed(head(bad).as_bytes()), "{bad}");
    }
}

#[test]
fn heads_and_overflows() {
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest"), Some(27));
    assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\n"), Some(24));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
    assert_eq!(overflow(&[b'a'; MAX_HEAD]), HeadError::UriTooLong);
    let mut headers = b"GET / HTTP/1.1\r\n".to_vec();
    headers.resize(MAX_HEAD, b'x');
    assert_eq!(overflow(&headers), HeadError::HeadersTooLarge);
}

#[test]
fn rendering() {
    let r = Response::json(200, b"{}".to_vec());
    let text = String::from_utf8(render(&r, false)).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 2\r\n"));
    assert!(text.contains("Cache-Control: no-store\r\n"));
    assert!(text.ends_with("\r\n\r\n{}"));
    let head = String::from_utf8(render(&r, true)).unwrap();
    assert!(head.ends_with("\r\n\r\n") && head.contains("Content-Length: 2\r\n"));
    let text = String::from_utf8(render(&HeadError::Method.response(), false)).unwrap();
    assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    assert!(text.contains("Allow: GET, HEAD\r\n"));
}
