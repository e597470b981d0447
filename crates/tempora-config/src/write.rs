//! Writing a [`Config`] as TOML.

use core::fmt::Write as _;

use tempora_ptp::datasets::DelayMechanism;

use crate::{Config, format_address, format_duration};

fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The configuration as TOML, after `comments` (each written as `# …`).
pub(crate) fn to_toml(c: &Config, comments: &[String]) -> String {
    let mut out = String::new();
    for line in comments {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    if !comments.is_empty() {
        out.push('\n');
    }
    let p = &c.ptp;
    out.push_str("[ptp]\n");
    let _ = writeln!(out, "profile = {}", quote(p.profile.name));
    let int = |out: &mut String, key: &str, v: Option<i64>| {
        if let Some(v) = v {
            let _ = writeln!(out, "{key} = {v}");
        }
    };
    int(&mut out, "domain", p.domain.map(i64::from));
    int(&mut out, "priority1", p.priority1.map(i64::from));
    int(&mut out, "priority2", p.priority2.map(i64::from));
    int(&mut out, "clock-class", p.clock_class.map(i64::from));
    if let Some(v) = p.slave_only {
        let _ = writeln!(out, "slave-only = {v}");
    }
    if let Some(v) = p.two_step {
        let _ = writeln!(out, "two-step = {v}");
    }
    if let Some(k) = p.kind {
        let _ = writeln!(out, "kind = {}", quote(k.as_str()));
    }
    if let Some(d) = &p.user_description {
        let _ = writeln!(out, "user-description = {}", quote(d));
    }
    if let Some(t) = p.timescale {
        let _ = writeln!(out, "timescale = {}", quote(t.as_str()));
    }
    int(
        &mut out,
        "current-utc-offset",
        p.current_utc_offset.map(i64::from),
    );
    for port in &c.ports {
        out.push_str("\n[[port]]\n");
        let _ = writeln!(out, "interface = {}", quote(&port.interface));
        let _ = writeln!(out, "transport = {}", quote(port.transport.as_str()));
        if let Some(d) = port.delay_mechanism {
            let name = if d == DelayMechanism::P2p {
                "p2p"
            } else {
                "e2e"
            };
            let _ = writeln!(out, "delay-mechanism = {}", quote(name));
        }
        int(
            &mut out,
            "log-announce-interval",
            port.log_announce_interval.map(i64::from),
        );
        int(
            &mut out,
            "log-sync-interval",
            port.log_sync_interval.map(i64::from),
        );
        int(
            &mut out,
            "log-min-delay-req-interval",
            port.log_min_delay_req_interval.map(i64::from),
        );
        int(
            &mut out,
            "log-min-pdelay-req-interval",
            port.log_min_pdelay_req_interval.map(i64::from),
        );
        int(
            &mut out,
            "announce-receipt-timeout",
            port.announce_receipt_timeout.map(i64::from),
        );
        if let Some(d) = port.delay_asymmetry {
            let _ = writeln!(out, "delay-asymmetry = {}", quote(&format_duration(d)));
        }
        let _ = writeln!(out, "timestamping = {}", quote(port.timestamping.as_str()));
        if !port.unicast_masters.is_empty() {
            let list: Vec<String> = port
                .unicast_masters
                .iter()
                .map(|a| quote(&format_address(a)))
                .collect();
            let _ = writeln!(out, "unicast-masters = [{}]", list.join(", "));
        }
        if let Some(v) = port.unicast_listen {
            let _ = writeln!(out, "unicast-listen = {v}");
        }
        if let Some(v) = port.master_only {
            let _ = writeln!(out, "master-only = {v}");
        }
    }
    let k = &c.clock;
    out.push_str("\n[clock]\n");
    let _ = writeln!(out, "kind = {}", quote(&k.kind.to_file_value()));
    if let Some(d) = k.initial_offset {
        let _ = writeln!(out, "initial-offset = {}", quote(&format_duration(d)));
    }
    if let Some(f) = k.frequency_offset_ppm {
        let _ = writeln!(out, "frequency-offset-ppm = {}", toml::Value::Float(f));
    }
    let _ = writeln!(out, "servo = {}", quote(k.servo.as_str()));
    let _ = writeln!(
        out,
        "step-threshold = {}",
        quote(&format_duration(k.step_threshold))
    );
    if k.running_step_threshold != tempora_clock::Duration::ZERO {
        let _ = writeln!(
            out,
            "running-step-threshold = {}",
            quote(&format_duration(k.running_step_threshold))
        );
    }
    if let Some(d) = k.panic_threshold {
        let _ = writeln!(out, "panic-threshold = {}", quote(&format_duration(d)));
    }
    if let Some(f) = &k.frequency_file {
        let _ = writeln!(out, "frequency-file = {}", quote(&f.display().to_string()));
    }
    if k.sync_system_clock {
        let _ = writeln!(out, "sync-system-clock = true");
    }
    if let Some(n) = &c.ntp_server {
        out.push_str("\n[ntp-server]\n");
        let list: Vec<String> = n.listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(out, "listen = [{}]", list.join(", "));
        int(&mut out, "local-stratum", n.local_stratum.map(i64::from));
        for (key, list) in [("allow", &n.allow), ("deny", &n.deny)] {
            if !list.is_empty() {
                let items: Vec<String> = list.iter().map(|c| quote(&c.to_string())).collect();
                let _ = writeln!(out, "{key} = [{}]", items.join(", "));
            }
        }
        if n.deny_action == crate::DenyAction::Kiss {
            let _ = writeln!(out, "deny-action = \"kiss\"");
        }
        if n.interleaved {
            let _ = writeln!(out, "interleaved = true");
        }
        if n.workers > 0 {
            let _ = writeln!(out, "workers = {}", n.workers);
        }
        if n.require_nts {
            let _ = writeln!(out, "require-nts = true");
        }
        if let Some(r) = n.rate_limit {
            let _ = writeln!(out, "rate-limit = true");
            let log2 = r.interval.as_secs_f64().log2().round() as i64;
            let _ = writeln!(out, "rate-limit-interval = {log2}");
            let _ = writeln!(out, "rate-limit-burst = {}", r.burst);
        }
    }
    for src in &c.ntp_sources {
        out.push_str("\n[[ntp-source]]\n");
        let _ = writeln!(out, "address = {}", quote(&src.address));
        if src.kind == crate::NtpSourceKind::Pool {
            let _ = writeln!(out, "kind = \"pool\"");
        }
        let _ = writeln!(out, "iburst = {}", src.iburst);
        if src.xleave {
            let _ = writeln!(out, "xleave = true");
        }
        if src.nts {
            let _ = writeln!(out, "nts = true");
        }
        let _ = writeln!(out, "minpoll = {}", src.minpoll);
        let _ = writeln!(out, "maxpoll = {}", src.maxpoll);
    }
    if c.minimum_agreeing_sources != 1 || c.nts_ca_file.is_some() {
        out.push_str("\n[ntp-client]\n");
        if c.minimum_agreeing_sources != 1 {
            let _ = writeln!(
                out,
                "minimum-agreeing-sources = {}",
                c.minimum_agreeing_sources
            );
        }
        if let Some(f) = &c.nts_ca_file {
            let _ = writeln!(out, "nts-ca-file = {}", quote(&f.display().to_string()));
        }
    }
    if let Some(k) = &c.nts_ke_server {
        out.push_str("\n[nts-ke-server]\n");
        let list: Vec<String> = k.listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(out, "listen = [{}]", list.join(", "));
        let path = |p: &std::path::Path| quote(&p.display().to_string());
        let _ = writeln!(out, "certificate-chain = {}", path(&k.certificate_chain));
        let _ = writeln!(out, "private-key = {}", path(&k.private_key));
        if let Some(f) = &k.key_file {
            let _ = writeln!(out, "key-file = {}", path(f));
        }
        let _ = writeln!(
            out,
            "key-rotation = {}",
            quote(&crate::format_duration(k.key_rotation))
        );
        let _ = writeln!(out, "max-connections = {}", k.max_connections);
        let _ = writeln!(
            out,
            "timeout = {}",
            quote(&crate::format_duration(k.timeout))
        );
        if let Some(s) = &k.ntp_server {
            let _ = writeln!(out, "ntp-server = {}", quote(s));
        }
        if let Some(p) = k.ntp_port {
            let _ = writeln!(out, "ntp-port = {p}");
        }
    }
    let o = &c.observability;
    out.push_str("\n[observability]\n");
    let _ = writeln!(out, "socket = {}", quote(&o.socket.display().to_string()));
    if let Some(m) = o.metrics_listen {
        let _ = writeln!(out, "metrics-listen = {}", quote(&m.to_string()));
    }
    let _ = writeln!(out, "log-level = {}", quote(o.log_level.as_str()));
    out
}
