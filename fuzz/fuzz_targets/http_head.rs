//! Fuzz target: a request head from any bytes (`tempora_http`), as the
//! dashboard and the Prometheus endpoint read it into their fixed buffer,
//! must never panic; a request line that parses has a method of GET or
//! HEAD and a target within the bound, and the answer renders with a
//! `Content-Length` equal to its body's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_http::{
    MAX_HEAD, MAX_TARGET, Response, head_end, host_allowed, overflow, parse_request_line, render,
};

fuzz_target!(|data: &[u8]| {
    let buf = &data[..data.len().min(MAX_HEAD)];
    let response = match head_end(buf) {
        Some(end) => {
            let head = &buf[..end];
            let _ = host_allowed(head);
            match parse_request_line(head) {
                Ok(line) => {
                    assert!(matches!(line.method, "GET" | "HEAD"));
                    assert!(line.target.starts_with('/') && line.target.len() <= MAX_TARGET);
                    Response::text(200, line.target)
                }
                Err(e) => e.response(),
            }
        }
        None => overflow(buf).response(),
    };
    let bytes = render(&response, false);
    let text = String::from_utf8_lossy(&bytes);
    let length = format!("Content-Length: {}\r\n", response.body.len());
    assert!(text.contains(&length));
    assert!(bytes.ends_with(&response.body));
});
