//! The dashboard page's files, compiled into the binary: the page, its
//! script and style sheet (`crates/tempora-daemon/dashboard/`) and the
//! vendored chart library with its licence (`dashboard/vendor/`). The
//! browser needs nothing else.

/// One file of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its path under the dashboard's root.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file served.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/index.html",
        content_type: HTML,
        body: include_bytes!("../dashboard/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: JS,
        body: include_bytes!("../dashboard/app.js"),
    },
    Asset {
        path: "/style.css",
        content_type: CSS,
        body: include_bytes!("../dashboard/style.css"),
    },
    Asset {
        path: "/vendor/uplot-1.6.32/uPlot.iife.min.js",
        content_type: JS,
        body: include_bytes!("../dashboard/vendor/uplot-1.6.32/uPlot.iife.min.js"),
    },
    Asset {
        path: "/vendor/uplot-1.6.32/uPlot.min.css",
        content_type: CSS,
        body: include_bytes!("../dashboard/vendor/uplot-1.6.32/uPlot.min.css"),
    },
    Asset {
        path: "/vendor/uplot-1.6.32/LICENSE",
        content_type: TEXT,
        body: include_bytes!("../dashboard/vendor/uplot-1.6.32/LICENSE"),
    },
    Asset {
        path: "/vendor/README.md",
        content_type: TEXT,
        body: include_bytes!("../dashboard/vendor/README.md"),
    },
];

/// The file at `path` (`/` is the page).
pub fn get(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_files_that_are_served() {
        let page = std::str::from_utf8(get("/").unwrap().body).unwrap();
        let mut named = 0;
        for attr in ["src=\"", "href=\""] {
            for part in page.split(attr).skip(1) {
                let target = part.split('"').next().unwrap();
                assert!(
                    !target.contains("//"),
                    "the page loads nothing from elsewhere: {target}"
                );
                let path = format!("/{}", target.trim_start_matches("./"));
                assert!(get(&path).is_some(), "{target} is not served");
                named += 1;
            }
        }
        assert!(named >= 4, "{named}");
        assert!(get("/nothing").is_none());
    }
}
