//! `tempora config from-chrony`: the TOML on stdout or in `--output`, one
//! `FILE:LINE: ...` line per directive not carried over on stderr, exit 0;
//! exit 2 with `FILE:LINE:COL: problem` for a line chronyd would refuse.
//! What it writes passes `tempora config check`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `tempora ARGS`: exit status, stdout, stderr.
fn tempora(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tempora-config/tests/data/chrony")
        .join(name)
        .display()
        .to_string()
}

/// A private directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tempora-chrony-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn data_files_convert_and_pass_the_syntax_check() {
    let dir = Scratch::new("data");
    for name in [
        "client.conf",
        "nts-client.conf",
        "server.conf",
        "refclocks.conf",
        "only-denied.conf",
    ] {
        let file = data(name);
        let out = dir.path(&format!("{name}.toml"));
        let (code, stdout, stderr) = tempora(&["config", "from-chrony", &file, "--output", &out]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{name}: TOML went to stdout with --output"
        );
        assert!(!stderr.is_empty(), "{name}: every data file has notes");
        for line in stderr.lines() {
            let rest = line
                .strip_prefix(&format!("{file}:"))
                .unwrap_or_else(|| panic!("{name}: {line}"));
            let n = rest.split(':').next().unwrap();
            assert!(n.parse::<usize>().is_ok(), "{name}: {line}");
        }
        let (code, stdout, stderr) = tempora(&["config", "check", "--syntax-only", &out]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        // Without --output the same TOML comes on stdout.
        let (code, stdout, _) = tempora(&["config", "from-chrony", &file]);
        assert_eq!(code, 0);
        assert_eq!(stdout, std::fs::read_to_string(&out).unwrap(), "{name}");
    }
}

/// The machine checks too (as the daemon would start): a client whose
/// frequency file goes in a writable directory.
#[test]
fn converted_client_passes_the_full_check() {
    let dir = Scratch::new("full");
    let conf = dir.path("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "server 192.0.2.1 iburst minpoll 4\npool pool.example.org iburst\n\
             driftfile {}\nmakestep 1.0 3\nrtcsync\nlogdir /var/log/chrony\n",
            dir.path("chrony.drift")
        ),
    )
    .unwrap();
    let out = dir.path("tempora.toml");
    let (code, _, stderr) = tempora(&["config", "from-chrony", &conf, "-o", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
    let (code, stdout, stderr) = tempora(&["config", "check", &out]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": ok"), "{stdout}");
}

#[test]
fn refused_lines_exit_2_with_file_and_line() {
    for (name, want) in [
        (
            "invalid-option.conf",
            ":2:1: unknown `server` option `fastpoll`",
        ),
        ("invalid-number.conf", ":2:1: `minpoll` needs an integer"),
        ("no-host.conf", ":2:1: `server` needs a host"),
    ] {
        let file = data(name);
        let (code, stdout, stderr) = tempora(&["config", "from-chrony", &file]);
        assert_eq!(code, 2, "{name}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert!(stderr.starts_with(&format!("{file}{want}")), "{stderr}");
    }
    let (code, _, stderr) = tempora(&["config", "from-chrony", "/nonexistent/chrony.conf"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("/nonexistent/chrony.conf: "), "{stderr}");
    // Nothing to run: no source and no server.
    let dir = Scratch::new("empty");
    let conf = dir.path("chrony.conf");
    std::fs::write(&conf, "driftfile /var/lib/chrony/drift\n").unwrap();
    let (code, stdout, stderr) = tempora(&["config", "from-chrony", &conf]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("Tempora needs a time source"), "{stderr}");
}

#[test]
fn include_confdir_and_sourcedir_are_followed_on_disk() {
    let dir = Scratch::new("dirs");
    for sub in ["conf.d", "sources.d", "inc"] {
        std::fs::create_dir_all(dir.path(sub)).unwrap();
    }
    std::fs::write(dir.path("conf.d/50-serve.conf"), "allow 192.0.2.0/24\n").unwrap();
    std::fs::write(dir.path("conf.d/README"), "server never.example\n").unwrap();
    std::fs::write(
        dir.path("sources.d/lab.sources"),
        "server 192.0.2.7 iburst\n",
    )
    .unwrap();
    std::fs::write(dir.path("inc/b.conf"), "server 192.0.2.9 prefer\n").unwrap();
    std::fs::write(dir.path("inc/a.conf"), "makestep 0.5 1\n").unwrap();
    let conf = dir.path("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "include {}\nconfdir {} {}\nsourcedir {}\n",
            dir.path("inc/*.conf"),
            dir.path("conf.d"),
            dir.path("missing.d"),
            dir.path("sources.d"),
        ),
    )
    .unwrap();
    let out = dir.path("tempora.toml");
    let (code, _, stderr) = tempora(&["config", "from-chrony", &conf, "-o", &out]);
    assert_eq!(code, 0, "{stderr}");
    let toml = std::fs::read_to_string(&out).unwrap();
    for want in [
        "address = \"192.0.2.9\"",
        "address = \"192.0.2.7\"",
        "192.0.2.0/24",
        "step-threshold = \"500ms\"",
    ] {
        assert!(toml.contains(want), "{want}: {toml}");
    }
    assert!(!toml.contains("never.example"), "{toml}");
    // The include's lines are named by their own file.
    let b = dir.path("inc/b.conf");
    assert!(
        toml.contains(&format!("# {b}:1: server 192.0.2.9 prefer")),
        "{toml}"
    );
    // Only the sourcedir line is noted (read once, not watched).
    assert!(stderr.contains(":3: `sourcedir "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let (code, stdout, stderr) = tempora(&["config", "check", &out]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}
