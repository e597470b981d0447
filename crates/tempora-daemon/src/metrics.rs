//! The Prometheus endpoint: an HTTP server on its own thread (started only
//! when `metrics-listen` is configured), serving the latest exposition text
//! that the timing loop publishes. The timing loop never waits for it.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The text the endpoint serves, updated by the timing loop.
#[derive(Debug, Clone, Default)]
pub struct Published(Arc<Mutex<String>>);

impl Published {
    /// Replaces the text.
    pub fn set(&self, text: String) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = text;
        }
    }

    fn get(&self) -> String {
        self.0.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

/// Serves `GET /metrics` on `listen` from `published`, on a new thread.
/// Returns the bound address (useful with port 0) and the thread.
pub fn serve(listen: SocketAddr, published: Published) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let server = tiny_http::Server::http(listen).map_err(io::Error::other)?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| io::Error::other("not an IP listener"))?;
    let handle = std::thread::Builder::new()
        .name("tempora-metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let (status, body) = if request.url() == "/metrics" {
                    (200, published.get())
                } else {
                    (404, "not found; try /metrics\n".to_string())
                };
                let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                if let Ok(h) = tiny_http::Header::from_bytes(
                    &b"Content-Type"[..],
                    &b"text/plain; version=0.0.4"[..],
                ) {
                    response.add_header(h);
                }
                // A client that hung up is no concern of ours.
                let _ = request.respond(response);
            }
        })?;
    Ok((addr, handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn serves_the_published_text() {
        let published = Published::default();
        published.set("tempora_uptime_seconds 3\n".into());
        let (addr, _thread) = serve("127.0.0.1:0".parse().unwrap(), published.clone()).unwrap();
        let get = |path: &str| {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let page = get("/metrics");
        assert!(
            page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
            "{page}"
        );
        assert!(page.ends_with("tempora_uptime_seconds 3\n"), "{page}");
        published.set("tempora_uptime_seconds 4\n".into());
        assert!(get("/metrics").ends_with("tempora_uptime_seconds 4\n"));
        assert!(get("/other").contains("404"));
    }
}
