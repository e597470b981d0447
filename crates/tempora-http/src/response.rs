//! A response and its bytes (RFC 9112 §4, §6).

/// A response to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the response may be cached (the page's assets) or not (the
    /// API's answers).
    pub cacheable: bool,
}

impl Response {
    /// A plain-text answer (an error).
    pub fn text(status: u16, text: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
            cacheable: false,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type: "application/json",
            body,
            cacheable: false,
        }
    }
}

/// The reason phrase of a status code sent.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        421 => "Misdirected Request",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The bytes of `response` (without its body for a HEAD request). The page
/// may load only its own scripts, styles and data (`Content-Security-Policy`)
/// and may not be framed.
pub fn render(response: &Response, head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: {}\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; frame-ancestors 'none'\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len(),
        if response.cacheable {
            "max-age=300"
        } else {
            "no-store"
        },
    )
    .into_bytes();
    if response.status == 405 {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    if response.status == 503 {
        out.extend_from_slice(b"Retry-After: 1\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&response.body);
    }
    out
}
