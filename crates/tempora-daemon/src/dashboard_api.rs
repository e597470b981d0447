//! The dashboard's routes (docs/dashboard.md): the page's files and the
//! JSON API, `GET /api/v1/status`, `/api/v1/sources` and
//! `/api/v1/history?source=NAME&range=1h|24h&since=UNIX`. Pure: a request
//! line and the state in, a response out; unknown paths are 404, bad
//! parameters 400, nothing panics on input.

use serde_json::{Value, json};

use crate::dashboard_assets;
use crate::dashboard_http::Response;
use crate::history::{self, History, QUANTITIES};

/// The most query parameters read.
const MAX_PARAMS: usize = 8;

/// What the routes answer from.
#[derive(Debug)]
pub struct ApiState<'a> {
    /// The history.
    pub history: &'a History,
    /// The last status snapshot, as JSON, if one came.
    pub status_json: Option<&'a str>,
    /// Its age, seconds.
    pub status_age_s: Option<f64>,
    /// The history's second now.
    pub now: u32,
    /// The Unix time of the history's second 0.
    pub origin_unix: i64,
    /// Status snapshots the timing loop could not hand over (the
    /// dashboard's thread was behind).
    pub snapshots_dropped: u64,
}

impl ApiState<'_> {
    fn unix(&self, second: u32) -> i64 {
        self.origin_unix + i64::from(second)
    }

    /// The history's second of the Unix time `t` (clamped to its range).
    fn second(&self, t: i64) -> u32 {
        u32::try_from((t - self.origin_unix).max(0)).unwrap_or(u32::MAX)
    }
}

/// Answers a GET (or HEAD) of `target`; the method is checked by
/// `crate::dashboard_http`.
pub fn route(target: &str, state: &ApiState) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/api/v1/status" => no_params(query).unwrap_or_else(|| status(state)),
        "/api/v1/sources" => no_params(query).unwrap_or_else(|| sources(state)),
        "/api/v1/history" => match history_query(query) {
            Ok(q) => history(&q, state),
            Err(e) => e,
        },
        p if p.starts_with("/api/") => error(404, "no such API path; see docs/dashboard.md"),
        p => match dashboard_assets::get(p) {
            Some(a) => Response {
                status: 200,
                content_type: a.content_type,
                body: a.body.to_vec(),
                cacheable: p.starts_with("/vendor/"),
            },
            None => Response::text(404, "not found; the dashboard is at /"),
        },
    }
}

/// A JSON error answer: `{"error": "..."}`.
fn error(status: u16, message: &str) -> Response {
    Response::json(status, json!({ "error": message }).to_string().into_bytes())
}

/// A 400 for a path that takes no parameters but got some.
fn no_params(query: &str) -> Option<Response> {
    (!query.is_empty()).then(|| error(400, "this path takes no parameters"))
}

fn status(state: &ApiState) -> Response {
    match state.status_json {
        Some(json) => Response::json(200, json.as_bytes().to_vec()),
        None => error(503, "no status from the timing loop yet"),
    }
}

/// A series' kind from its name: `clock`, `system`, or the part before
/// the colon (`ptp`, `ntp`, `csptp`, `refclock`).
fn kind(name: &str) -> &str {
    name.split_once(':').map_or(name, |(k, _)| k)
}

fn sources(state: &ApiState) -> Response {
    let h = state.history;
    let series: Vec<Value> = h
        .series()
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "kind": kind(&s.name),
                "first": state.unix(s.first),
                "last": state.unix(s.last),
                "samples": s.samples,
            })
        })
        .collect();
    let body = json!({
        "series": series,
        "max_series": history::MAX_SERIES,
        "bytes_per_series": history::BYTES_PER_SERIES,
        "out_of_order": h.out_of_order(),
        "refused": h.refused(),
        "replaced": h.replaced(),
        "snapshots_dropped": state.snapshots_dropped,
        "status_age_s": state.status_age_s,
    });
    Response::json(200, body.to_string().into_bytes())
}

/// `range=`: the last hour at one second, or the last day in buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    Hour,
    Day,
}

/// A history query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HistoryQuery {
    /// One series, or all.
    source: Option<String>,
    range: Range,
    /// Unix seconds: points from then on.
    since: Option<i64>,
}

/// Parses `source=`, `range=` and `since=`: each at most once, nothing
/// else.
fn history_query(query: &str) -> Result<HistoryQuery, Response> {
    let mut q = HistoryQuery {
        source: None,
        range: Range::Hour,
        since: None,
    };
    let mut seen = Vec::new();
    for (i, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if i >= MAX_PARAMS {
            return Err(error(400, "too many parameters"));
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or_else(|| error(400, "bad percent-encoding"))?;
        if seen.contains(&key) {
            return Err(error(400, &format!("`{key}` given twice")));
        }
        seen.push(key);
        match key {
            "source" => q.source = Some(value),
            "range" => {
                q.range = match value.as_str() {
                    "1h" => Range::Hour,
                    "24h" => Range::Day,
                    _ => return Err(error(400, "`range` is 1h or 24h")),
                }
            }
            "since" => {
                q.since = Some(
                    value
                        .parse()
                        .map_err(|_| error(400, "`since` is a Unix time in seconds"))?,
                )
            }
            _ => {
                return Err(error(
                    400,
                    "unknown parameter; the parameters are source, range and since",
                ));
            }
        }
    }
    Ok(q)
}

/// Decodes `%XX` escapes and `+` (a space); `None` for a bad escape or
/// bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn history(q: &HistoryQuery, state: &ApiState) -> Response {
    let since = q.since.map_or(0, |t| state.second(t));
    let (range, resolution) = match q.range {
        Range::Hour => ("1h", 1),
        Range::Day => ("24h", history::BUCKET_SECONDS),
    };
    let one = |name: &str| match q.range {
        Range::Hour => state
            .history
            .recent(name, state.now, since)
            .map(|p| recent_json(name, &p, state)),
        Range::Day => state
            .history
            .downsampled(name, state.now, since)
            .map(|b| downsampled_json(name, &b, state)),
    };
    let body = match &q.source {
        Some(name) => match one(name) {
            Some(mut v) => {
                v["range"] = range.into();
                v["resolution_s"] = resolution.into();
                v
            }
            None => return error(404, "no such source; see /api/v1/sources"),
        },
        None => {
            let series: Vec<Value> = state
                .history
                .series()
                .iter()
                .filter_map(|s| one(&s.name))
                .collect();
            json!({ "range": range, "resolution_s": resolution, "series": series })
        }
    };
    Response::json(200, body.to_string().into_bytes())
}

/// A series' last hour as columns: `t` and one array per quantity.
fn recent_json(name: &str, points: &[history::Point], state: &ApiState) -> Value {
    let mut v = json!({
        "source": name,
        "kind": kind(name),
        "t": points.iter().map(|p| state.unix(p.second)).collect::<Vec<_>>(),
    });
    for (q, key) in QUANTITIES.iter().enumerate() {
        v[*key] = points
            .iter()
            .map(|p| p.values[q])
            .collect::<Vec<_>>()
            .into();
    }
    v
}

/// A series' last day as columns: `t` (each bucket's start) and per
/// quantity `min`, `mean` and `max` arrays.
fn downsampled_json(name: &str, buckets: &[history::Aggregate], state: &ApiState) -> Value {
    let mut v = json!({
        "source": name,
        "kind": kind(name),
        "t": buckets.iter().map(|b| state.unix(b.second)).collect::<Vec<_>>(),
    });
    for (q, key) in QUANTITIES.iter().enumerate() {
        let column = |f: fn(&history::Stat) -> f32| {
            buckets
                .iter()
                .map(|b| b.stats[q].as_ref().map(f))
                .collect::<Vec<_>>()
        };
        v[*key] = json!({
            "min": column(|s| s.min),
            "mean": column(|s| s.mean),
            "max": column(|s| s.max),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Sample;

    const ORIGIN: i64 = 1_780_000_000;

    fn history() -> History {
        let mut h = History::new();
        for t in 0..200u32 {
            let s = Sample {
                offset_ns: Some(f64::from(t)),
                frequency_ppb: None,
                delay_ns: Some(2.0),
            };
            h.record(t, "clock", &s);
            h.record(t, "ntp:[::1]:123", &s);
        }
        h
    }

    fn get(target: &str, h: &History) -> (u16, Value) {
        let state = ApiState {
            history: h,
            status_json: Some("{\"identity\":\"x\"}"),
            status_age_s: Some(0.5),
            now: 199,
            origin_unix: ORIGIN,
            snapshots_dropped: 0,
        };
        let r = route(target, &state);
        let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, body)
    }

    #[test]
    fn status_and_sources() {
        let h = history();
        assert_eq!(get("/api/v1/status", &h), (200, json!({"identity": "x"})));
        let (code, v) = get("/api/v1/sources", &h);
        assert_eq!(code, 200);
        assert_eq!(v["series"][1]["name"], "ntp:[::1]:123");
        assert_eq!(v["series"][1]["kind"], "ntp");
        assert_eq!(v["series"][0]["last"], ORIGIN + 199);
        assert_eq!(v["max_series"], history::MAX_SERIES);
        let empty = History::new();
        let state = ApiState {
            history: &empty,
            status_json: None,
            status_age_s: None,
            now: 0,
            origin_unix: ORIGIN,
            snapshots_dropped: 0,
        };
        assert_eq!(route("/api/v1/status", &state).status, 503);
    }

    #[test]
    fn history_of_one_source_and_of_all() {
        let h = history();
        // The source name percent-encoded, as encodeURIComponent does.
        let (code, v) = get("/api/v1/history?source=ntp%3A%5B%3A%3A1%5D%3A123", &h);
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["range"], "1h");
        assert_eq!(v["t"].as_array().unwrap().len(), 200);
        assert_eq!(v["t"][5], ORIGIN + 5);
        assert_eq!(v["offset_ns"][5], 5.0);
        assert_eq!(v["frequency_ppb"][5], Value::Null);
        let since = ORIGIN + 190;
        let (_, v) = get(
            &format!("/api/v1/history?source=clock&since={since}&range=1h"),
            &h,
        );
        assert_eq!(v["t"].as_array().unwrap().len(), 10);
        let (code, v) = get("/api/v1/history?range=24h", &h);
        assert_eq!(code, 200);
        assert_eq!(v["resolution_s"], 60);
        assert_eq!(v["series"].as_array().unwrap().len(), 2);
        let clock = &v["series"][0];
        assert_eq!(
            clock["t"],
            json!([ORIGIN, ORIGIN + 60, ORIGIN + 120, ORIGIN + 180])
        );
        assert_eq!(clock["offset_ns"]["min"][1], 60.0);
        assert_eq!(clock["offset_ns"]["mean"][1], 89.5);
        assert_eq!(clock["offset_ns"]["max"][3], 199.0);
        assert_eq!(clock["frequency_ppb"]["mean"][0], Value::Null);
    }

    #[test]
    fn unknown_paths_and_bad_parameters() {
        let h = history();
        for (target, code) in [
            ("/nothing", 404),
            ("/api/v2/status", 404),
            ("/api/v1/history?source=nothing", 404),
            ("/api/v1/history?range=2h", 400),
            ("/api/v1/history?range=", 400),
            ("/api/v1/history?since=yesterday", 400),
            ("/api/v1/history?source=clock&source=clock", 400),
            ("/api/v1/history?colour=red", 400),
            ("/api/v1/history?source=%zz", 400),
            ("/api/v1/history?source=%ff", 400),
            ("/api/v1/history?source=%4", 400),
            ("/api/v1/history?a&b&c&d&e&f&g&h&i", 400),
            ("/api/v1/status?x=1", 400),
            ("/api/v1/sources?", 200),
            ("/api/v1/history?since=-99999999999999999", 200),
            ("/api/v1/history?since=99999999999999", 200),
        ] {
            assert_eq!(get(target, &h).0, code, "{target}");
        }
        let (_, v) = get("/api/v1/history?range=2h", &h);
        assert!(v["error"].as_str().unwrap().contains("1h or 24h"), "{v}");
    }

    #[test]
    fn the_page_and_its_files() {
        let h = history();
        let state = ApiState {
            history: &h,
            status_json: None,
            status_age_s: None,
            now: 0,
            origin_unix: ORIGIN,
            snapshots_dropped: 0,
        };
        let page = route("/", &state);
        assert_eq!(page.status, 200);
        assert!(page.content_type.starts_with("text/html"));
        let lib = route("/vendor/uplot-1.6.32/uPlot.iife.min.js", &state);
        assert_eq!((lib.status, lib.cacheable), (200, true));
        assert_eq!(route("/index.html?x", &state).status, 200);
        assert_eq!(route("/../etc/passwd", &state).status, 404);
    }

    /// 20,000 made-up request lines (pieces of real targets, escapes,
    /// separators, non-ASCII and random bytes): the parser and the routes
    /// answer each, with a status they document, and never panic.
    #[test]
    fn made_up_requests_get_answers() {
        use crate::dashboard_http::parse_request_line;
        use rand::{Rng, SeedableRng, rngs::SmallRng};
        let h = history();
        let state = ApiState {
            history: &h,
            status_json: Some("{}"),
            status_age_s: None,
            now: 199,
            origin_unix: ORIGIN,
            snapshots_dropped: 0,
        };
        let pieces = [
            "/",
            "/api/v1/",
            "history",
            "status",
            "sources",
            "?",
            "&",
            "=",
            "source",
            "range",
            "since",
            "1h",
            "24h",
            "clock",
            "%",
            "%3A",
            "%zz",
            "%ff",
            "+",
            "-",
            "9",
            "é",
            " ",
            "\r\n",
            "\0",
            "/vendor/",
            "..",
            "index.html",
        ];
        let mut rng = SmallRng::seed_from_u64(18);
        let mut routed = 0;
        for _ in 0..20_000 {
            let mut line = b"GET /".to_vec();
            for _ in 0..rng.gen_range(0..12) {
                if rng.gen_bool(0.1) {
                    line.push(rng.r#gen());
                } else {
                    line.extend_from_slice(pieces[rng.gen_range(0..pieces.len())].as_bytes());
                }
            }
            line.extend_from_slice(b" HTTP/1.1\r\n\r\n");
            if let Ok(request) = parse_request_line(&line) {
                routed += 1;
                let status = route(request.target, &state).status;
                assert!(
                    matches!(status, 200 | 400 | 404),
                    "{status} for {:?}",
                    request.target
                );
            }
        }
        // Most lines are well-formed enough to reach the routes.
        assert!(routed > 10_000, "{routed}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%+1"), None);
    }
}
