//! Network-namespace labs for the interop tests: a chain of namespaces
//! joined by veth pairs, processes started inside them with their output
//! in a private directory, and helpers to ask the Tempora daemon and
//! linuxptp's pmc what they see. Everything is torn down on drop.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A chain of namespaces `ns[0] — ns[1] — … — ns[n-1]`. In `ns[0]` the link
/// to `ns[1]` is `veth0`; in every other namespace the link to the left is
/// `veth0` and the link to the right is `veth1`. Link `k` (between `ns[k]`
/// and `ns[k+1]`) carries 10.79.k.1/24 and fd79:k::1/64 on the left end,
/// .2 and ::2 on the right.
pub struct Lab {
    /// The namespaces' names.
    pub ns: Vec<String>,
    /// A private directory for configs, sockets and logs.
    pub dir: PathBuf,
    /// A command every process of the lab is started under, after
    /// `ip netns exec NS` (as `nsenter -t PID --ipc --` to share an IPC
    /// namespace); empty by default.
    pub wrap: Vec<String>,
    children: Vec<(String, usize, Child)>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, _, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in &self.ns {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
            let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(ns));
        }
        if std::thread::panicking() {
            eprintln!("lab files kept in {}", self.dir.display());
            for (name, _, _) in &self.children {
                for ext in ["out", "err"] {
                    let path = self.dir.join(format!("{name}.{ext}"));
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let tail: Vec<&str> = text.lines().rev().take(15).collect();
                    eprintln!("--- {} (last lines)", path.display());
                    for l in tail.iter().rev() {
                        eprintln!("{l}");
                    }
                }
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Tests of one binary that load both cores (floods) and those that must
/// not be disturbed by them: the test harness runs several tests at once
/// (`RUST_TEST_THREADS` in .cargo/config.toml), so a flood takes
/// [`alone`] and the tests beside it [`beside`].
static LOAD: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Waits until no other test holding [`beside`] or [`alone`] runs, and
/// keeps them out while the guard lives.
pub fn alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    LOAD.write().unwrap_or_else(|e| e.into_inner())
}

/// Runs beside other such tests, never beside one holding [`alone`].
pub fn beside() -> std::sync::RwLockReadGuard<'static, ()> {
    LOAD.read().unwrap_or_else(|e| e.into_inner())
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the lab can run here (root, ptp4l and pmc); under CI=true a
/// missing piece is a failure, elsewhere the test is skipped.
pub fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let ptp4l = Command::new("ptp4l").arg("-v").output().is_ok();
    let pmc = Command::new("pmc").arg("-v").output().is_ok();
    if root && ptp4l && pmc {
        return true;
    }
    assert!(
        !ci,
        "interop test needs root and linuxptp (root {root}, ptp4l {ptp4l}, pmc {pmc})"
    );
    eprintln!("skipped: needs root and linuxptp");
    false
}

/// Whether the NTP lab can run here (root, chronyd and ntpdig); under
/// CI=true a missing piece is a failure, elsewhere the test is skipped.
pub fn ntp_available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let chronyd = Command::new("chronyd").arg("-v").output().is_ok();
    let ntpdig = Command::new("ntpdig").arg("--help").output().is_ok();
    if root && chronyd && ntpdig {
        return true;
    }
    assert!(
        !ci,
        "interop test needs root, chronyd and ntpdig (root {root}, chronyd {chronyd}, ntpdig {ntpdig})"
    );
    eprintln!("skipped: needs root, chrony and ntpsec-ntpdate");
    false
}

/// Whether CI=true (a missing peer is then a failure, not a skip).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

/// The binary `bin` of the peer built from crates.io as `peer` (e.g.
/// `peer_bin("ntpd-1.9.0", "ntp-daemon")`): `$TEMPORA_PEERS/PEER/bin/BIN`,
/// `$TEMPORA_PEERS` defaulting to `$HOME/.cache/tempora-peers`. Also needs
/// root. `None` (with one line on stderr) when either is missing; under
/// CI=true that is a failure.
pub fn peer_bin(peer: &str, bin: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TEMPORA_PEERS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/tempora-peers")))
        .unwrap_or_default();
    let path = root.join(peer).join("bin").join(bin);
    let root_ok = is_root();
    if root_ok && path.is_file() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "interop test needs root and {} (root {root_ok})",
        path.display()
    );
    eprintln!("skipped: needs root and {}", path.display());
    None
}

/// The clock-adjustment shim's source: `$TEMPORA_NOADJ_C`, else
/// `tools/noadj.c` beside the shared captures (`$TEMPORA_SHARED_VECTORS/..`),
/// else the `shared/` folder beside this checkout.
pub fn noadj_source() -> String {
    if let Ok(path) = std::env::var("TEMPORA_NOADJ_C") {
        return path;
    }
    let beside_vectors = std::env::var_os("TEMPORA_SHARED_VECTORS")
        .map(|v| Path::new(&v).join("../tools/noadj.c"))
        .filter(|p| p.is_file());
    let beside_checkout =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/noadj.c");
    beside_vectors
        .unwrap_or(beside_checkout)
        .display()
        .to_string()
}

impl Lab {
    /// Builds the project's `shared/tools/noadj.c` ([`noadj_source`]) into
    /// the lab directory and returns the command prefix that runs a peer
    /// unable to touch the system clock: `setpriv` drops CAP_SYS_TIME from
    /// the bounding set, and the preloaded shim turns clock adjustments
    /// into reads.
    pub fn no_clock_access(&self) -> Vec<String> {
        let source = noadj_source();
        let so = self.path("noadj.so");
        let out = Command::new("gcc")
            .args(["-shared", "-fPIC", "-O2", "-o", &so, &source, "-ldl"])
            .output()
            .expect("gcc");
        assert!(
            out.status.success(),
            "building {source}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ["setpriv", "--bounding-set=-sys_time", "env"]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("LD_PRELOAD={so}")])
            .collect()
    }

    /// Starts ntpd-rs's `ntp-daemon` (`daemon`, from [`peer_bin`]) as `name`
    /// in namespace `ns`, unable to touch the system clock
    /// ([`Lab::no_clock_access`]), with `toml` plus an `[observability]`
    /// section: debug logs (they name each source's protocol version) and
    /// the observation socket `name.obs`. Returns its config's path, for
    /// `ntp-ctl -c`.
    pub fn ntpd_rs(&mut self, name: &str, ns: usize, daemon: &Path, toml: &str) -> String {
        let cfg = self.file(
            &format!("{name}.ntp.toml"),
            &format!(
                "{toml}
[observability]
log-level = \"debug\"
ansi-colors = false
\
                 observation-path = \"{}\"
",
                self.path(&format!("{name}.obs"))
            ),
        );
        let cfg = cfg.display().to_string();
        let wrap = self.no_clock_access();
        let mut args: Vec<&str> = wrap.iter().skip(1).map(String::as_str).collect();
        let daemon = daemon.display().to_string();
        args.extend([daemon.as_str(), "-c", &cfg]);
        self.spawn(name, ns, &wrap[0], &args);
        cfg
    }

    /// Starts chronyd as `name` with `-x` (it never touches the system
    /// clock) and the configuration lines `config`, its command socket and
    /// pid file private to the lab.
    ///
    /// chronyd wants its command socket in a directory nobody else can
    /// read, owned by the user it runs as: the lab directory is made 0700
    /// and chronyd keeps root (`-u root`) rather than dropping to _chrony.
    pub fn chronyd(&mut self, name: &str, ns: usize, config: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let cfg = self.file(
            &format!("{name}.conf"),
            &format!(
                "{config}\ncmdport 0\nbindcmdaddress {}\npidfile {}\n",
                self.path(&format!("{name}.sock")),
                self.path(&format!("{name}.pid"))
            ),
        );
        let cfg = cfg.display().to_string();
        self.spawn(name, ns, "chronyd", &["-u", "root", "-x", "-d", "-f", &cfg]);
    }

    /// Waits until the NTP server at `address` answers ntpdig run in
    /// namespace `ns` (at most 20 s; panics otherwise). A daemon started
    /// just before may not have bound its socket yet: a client polling
    /// rarely would lose its first request to it.
    pub fn wait_ntp_server(&self, ns: usize, address: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let out = self.run(ns, "ntpdig", &["-t", "1", address]);
            if out.status.success() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no NTP server answers at {address}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Runs `program args` in namespace `ns` and returns its output.
    pub fn run(&self, ns: usize, program: &str, args: &[&str]) -> std::process::Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns[ns], program])
            .args(args)
            .output()
            .unwrap()
    }

    /// A chain of `n` namespaces named after `tag`.
    pub fn chain(tag: &str, n: usize) -> Lab {
        // Unique among the labs of this process, whatever the tags of
        // tests running at once.
        static LABS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let k = LABS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}{}{k}", tag, std::process::id() % 100_000);
        let ns: Vec<String> = (0..n).map(|i| format!("t{i}{id}")).collect();
        let dir = std::env::temp_dir().join(format!("tempora-interop-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab {
            ns: ns.clone(),
            dir,
            wrap: Vec::new(),
            children: Vec::new(),
        };
        for name in &ns {
            assert!(ip(&["netns", "add", name]), "ip netns add {name}");
            assert!(ip(&["-n", name, "link", "set", "lo", "up"]));
        }
        for k in 0..n.saturating_sub(1) {
            let left = if k == 0 { "veth0" } else { "veth1" };
            assert!(ip(&[
                "link",
                "add",
                left,
                "netns",
                &ns[k],
                "type",
                "veth",
                "peer",
                "name",
                "veth0",
                "netns",
                &ns[k + 1]
            ]));
            for (name, dev, host) in [(&ns[k], left, 1), (&ns[k + 1], "veth0", 2)] {
                let v4 = format!("10.79.{k}.{host}/24");
                let v6 = format!("fd79:{k}::{host}/64");
                assert!(ip(&["-n", name, "link", "set", dev, "up"]));
                assert!(ip(&["-n", name, "addr", "add", &v4, "dev", dev]));
                assert!(ip(&["-n", name, "addr", "add", &v6, "dev", dev, "nodad"]));
            }
        }
        for name in &ns {
            assert!(ip(&[
                "-n",
                name,
                "route",
                "add",
                "224.0.0.0/4",
                "dev",
                "veth0"
            ]));
        }
        lab
    }

    /// Writes `text` to the lab file `name`; returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A test PKI for a TLS server at `ip`, made with openssl: a CA
    /// (`ca.pem`) and a server certificate (`server.pem`, key `server.key`)
    /// it signed, with `ip` as subject alternative name. Returns the three
    /// paths.
    #[allow(dead_code)]
    pub fn pki(&self, ip: &str) -> (String, String, String) {
        let (ca, cert, key) = (
            self.path("ca.pem"),
            self.path("server.pem"),
            self.path("server.key"),
        );
        let ext = self.file(
            "server.ext",
            &format!(
                "subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            ),
        );
        let script = format!(
            "set -e; cd {dir}; \
             openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
               -keyout ca.key -out {ca} -days 2 -subj '/CN=Tempora Test CA' 2>/dev/null; \
             openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
               -keyout {key} -out server.csr -subj '/CN={ip}' 2>/dev/null; \
             openssl x509 -req -in server.csr -CA {ca} -CAkey ca.key -CAcreateserial \
               -out {cert} -days 2 -extfile {ext} 2>/dev/null",
            dir = self.dir.display(),
            ext = ext.display(),
        );
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (ca, cert, key)
    }

    /// Gives namespace `ns` its own /etc/hosts (`ip netns exec` binds
    /// /etc/netns/NS/hosts over it), removed with the lab.
    #[allow(dead_code)]
    pub fn hosts(&self, ns: usize, lines: &str) {
        let etc = Path::new("/etc/netns").join(&self.ns[ns]);
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("hosts"), format!("127.0.0.1 localhost\n{lines}")).unwrap();
    }

    /// The path of a lab file (which need not exist).
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Starts `program args` in namespace `ns` as `name`: its output goes
    /// to `name.out` and `name.err` in the lab directory.
    pub fn spawn(&mut self, name: &str, ns: usize, program: &str, args: &[&str]) {
        let out = std::fs::File::create(self.dir.join(format!("{name}.out"))).unwrap();
        let err = std::fs::File::create(self.dir.join(format!("{name}.err"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns[ns]])
            .args(&self.wrap)
            .arg(program)
            .args(args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap();
        self.children.push((name.to_string(), ns, child));
    }

    /// Starts linuxptp's ptp4l on `interfaces` with software timestamps and
    /// the configuration `config` (a `[global]` section is prepended).
    pub fn ptp4l(&mut self, name: &str, ns: usize, interfaces: &[&str], config: &str) {
        let cfg = self.file(
            &format!("{name}.cfg"),
            &format!(
                "[global]\nuds_address {}\n{config}",
                self.path(&format!("{name}.sock"))
            ),
        );
        let mut args = vec!["-S", "-m", "-q", "-f"];
        let cfg = cfg.display().to_string();
        args.push(&cfg);
        for i in interfaces {
            args.push("-i");
            args.push(i);
        }
        self.spawn(name, ns, "ptp4l", &args);
    }

    /// Starts the Tempora daemon as `name` with the configuration `toml`;
    /// its control socket is `name.sock` (added to `[observability]`); it
    /// runs as root unless `toml` has a `[daemon]` section.
    pub fn tempora(&mut self, name: &str, ns: usize, toml: &str) {
        let socket = self.path(&format!("{name}.sock"));
        let line = format!("socket = \"{socket}\"\n");
        let mut text = match toml.split_once("[observability]\n") {
            Some((before, after)) => format!("{before}[observability]\n{line}{after}"),
            None => format!("{toml}\n[observability]\n{line}"),
        };
        // The labs test protocols, not privileges: the daemon stays root
        // (and answers pmc's root-owned socket) whether or not this
        // machine has a `tempora` user, unless the test says otherwise.
        if !text.contains("[daemon]") {
            text.push_str("\n[daemon]\nuser = \"root\"\n");
        }
        let cfg = self.file(&format!("{name}.toml"), &text);
        let cfg = cfg.display().to_string();
        self.spawn(
            name,
            ns,
            env!("CARGO_BIN_EXE_tempora"),
            &["daemon", "-c", &cfg],
        );
    }

    /// The process id of `name` (`ip netns exec` execs the program, so it
    /// is the program's own).
    #[allow(dead_code)]
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, _, c)| c.id())
    }

    /// Kills the process started as `name`.
    pub fn kill(&mut self, name: &str) {
        if let Some((_, _, c)) = self.children.iter_mut().find(|(n, ..)| n == name) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// What `tempora status --json` says for the daemon started as `name`.
    pub fn status(&self, name: &str) -> Option<serde_json::Value> {
        let ns = self.children.iter().find(|(n, ..)| n == name)?.1;
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns[ns], env!("CARGO_BIN_EXE_tempora")])
            .args(["status", "--json", "--socket"])
            .arg(self.path(&format!("{name}.sock")))
            .output()
            .ok()?;
        serde_json::from_slice(&out.stdout).ok()
    }

    /// Polls the status of `name` until `done` holds or `timeout` passes;
    /// returns the last status and the time it took.
    pub fn wait_status(
        &self,
        name: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> (Option<serde_json::Value>, Duration) {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < timeout {
            if let Some(s) = self.status(name) {
                if done(&s) {
                    return (Some(s), start.elapsed());
                }
                last = Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (last, start.elapsed())
    }

    /// Runs pmc over the Unix socket of the ptp4l started as `name`.
    pub fn pmc_uds(&self, ns: usize, name: &str, commands: &[&str]) -> String {
        let socket = self.path(&format!("{name}.sock"));
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns[ns], "pmc", "-u", "-b", "0", "-s"])
            .arg(&socket)
            .args(commands)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Tells the free-running ptp4l started as `name` that its
    /// synchronization is certain (`SET SYNCHRONIZATION_UNCERTAIN_NP 0`,
    /// linuxptp's own switch): its free-running "servo" then reports locked,
    /// so its port goes from UNCALIBRATED to SLAVE without touching the
    /// system clock. Retries until ptp4l answers.
    pub fn ptp4l_certain(&self, ns: usize, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.pmc_uds(ns, name, &["SET SYNCHRONIZATION_UNCERTAIN_NP 0"]);
            if text.contains("RESPONSE MANAGEMENT SYNCHRONIZATION_UNCERTAIN_NP") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} does not answer pmc: {text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The output of the process started as `name` so far.
    pub fn output(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.out"))).unwrap_or_default()
    }
}

/// The value of `field` in pmc's text answer (the first occurrence).
pub fn pmc_field<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next() == Some(field))
            .then(|| words.next())
            .flatten()
    })
}

/// One `master offset N sS freq F path delay D` line of ptp4l.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ptp4lSample {
    /// ptp4l's time stamp (seconds of CLOCK_MONOTONIC).
    pub at: f64,
    /// The master offset, ns.
    pub offset: i64,
    /// The path delay, ns.
    pub delay: i64,
}

/// ptp4l's `master offset` lines.
pub fn ptp4l_offsets(log: &str) -> Vec<Ptp4lSample> {
    log.lines()
        .filter_map(|l| {
            let at = l.strip_prefix("ptp4l[")?.split(']').next()?.parse().ok()?;
            let rest = &l[l.find("master offset")? + "master offset".len()..];
            let offset = rest.split_whitespace().next()?.parse().ok()?;
            let delay = l
                .split("path delay")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(Ptp4lSample { at, offset, delay })
        })
        .collect()
}

/// The samples of the last `seconds` of the log.
pub fn last_seconds(samples: &[Ptp4lSample], seconds: f64) -> Vec<Ptp4lSample> {
    let end = samples.last().map_or(0.0, |s| s.at);
    samples
        .iter()
        .filter(|s| s.at > end - seconds)
        .copied()
        .collect()
}

/// The median of `v` (empty: 0).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
