//! The Prometheus endpoint: an HTTP server on its own threads (started
//! only when `metrics-listen` is configured; `crate::dashboard_http`,
//! bounded like the dashboard's), serving the latest exposition text that
//! the timing loop publishes. The timing loop never waits for it.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::dashboard_http::{self, Response, Route};

/// The most scrapes served at once.
const MAX_CONNECTIONS: usize = 4;

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

/// The answer to a GET of `target`: the text at `/metrics` (the text
/// exposition format 0.0.4), 404 elsewhere.
fn answer(published: &Published, target: &str) -> Response {
    if target.split('?').next() != Some("/metrics") {
        return Response::text(404, "not found; try /metrics");
    }
    Response {
        status: 200,
        content_type: "text/plain; version=0.0.4; charset=utf-8",
        body: published.get().into_bytes(),
        cacheable: false,
    }
}

/// Serves `GET /metrics` on `listen` from `published`, on a new thread.
/// Returns the bound address (useful with port 0) and the thread.
pub fn serve(listen: SocketAddr, published: Published) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(listen)?;
    let addr = listener.local_addr()?;
    let route: Route = Arc::new(move |_, target| answer(&published, target));
    let handle = std::thread::Builder::new()
        .name("tempora-metrics".into())
        .spawn(move || {
            let name = "tempora-metrics-conn";
            dashboard_http::accept_bounded(&listener, name, MAX_CONNECTIONS, false, &route);
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
        // Bounded like the dashboard: a huge target is refused, and a
        // scrape by a host name is served.
        assert!(get(&format!("/metrics?{}", "x".repeat(100_000))).contains(" 414 "));
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: tempora.example:9911\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
}
