//! `tempora config`: check a configuration file, or convert a linuxptp or
//! chrony one.

use std::path::Path;
use std::process::ExitCode;

use tempora_config::{
    ChronyFiles, Config, MAX_CONFIG_BYTES, from_chrony_files as convert_chrony,
    from_ptp4l_with_interfaces,
};

/// `tempora config check FILE`: exit 0 if it loads and the machine has
/// what the daemon will need (the daemon's own start-up checks,
/// `tempora_daemon::preflight`; warnings on stderr), 2 with
/// `FILE:LINE:COL: problem` or `FILE: problem` if not. With `syntax_only`,
/// the file alone.
pub fn check(path: &Path, syntax_only: bool) -> ExitCode {
    let loaded = Config::load(path).map_err(|e| e.to_string()).and_then(|c| {
        if syntax_only {
            return Ok((c, Vec::new()));
        }
        // The daemon reads [ptp] sa-file too: a bad one fails the check.
        c.security_associations()?;
        let warnings =
            tempora_daemon::preflight::check(&c).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((c, warnings))
    });
    match loaded {
        Ok((c, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: ok ({} port{}, profile {}, clock {:?})",
                path.display(),
                c.ports.len(),
                if c.ports.len() == 1 { "" } else { "s" },
                c.profile().name,
                c.clock.kind
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `tempora config from-ptp4l FILE [-i IFACE]...`: prints the Tempora TOML
/// for a linuxptp configuration; what cannot be carried over goes to stderr.
pub fn from_ptp4l(path: &Path, interfaces: &[String]) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let names: Vec<&str> = interfaces.iter().map(String::as_str).collect();
    match from_ptp4l_with_interfaces(&text, &path.display().to_string(), &names) {
        Ok((toml, warnings)) => {
            print!("{toml}");
            for w in warnings {
                eprintln!("warning: {w}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `tempora config from-chrony FILE [--output OUT]`: writes the Tempora
/// TOML for a chrony configuration to OUT (or stdout); each line not
/// carried over goes to stderr as `FILE:LINE: `line`: why`. Exit 0 when
/// converted (notes or not), 2 when the file cannot be read, has a line
/// chronyd would refuse, or OUT cannot be written.
pub fn from_chrony(path: &Path, output: Option<&Path>) -> ExitCode {
    let name = path.display().to_string();
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let conversion = match convert_chrony(&text, &name, &mut FileSystem) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let written = match output {
        Some(out) => {
            std::fs::write(out, &conversion.toml).map_err(|e| format!("{}: {e}", out.display()))
        }
        None => {
            print!("{}", conversion.toml);
            Ok(())
        }
    };
    for note in &conversion.notes {
        eprintln!("{note}");
    }
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The files `include`, `confdir` and `sourcedir` name, read from the
/// file system as chronyd reads them.
struct FileSystem;

impl ChronyFiles for FileSystem {
    fn glob(&mut self, pattern: &str) -> Result<Vec<String>, String> {
        let paths = glob::glob(pattern).map_err(|e| format!("bad pattern: {e}"))?;
        paths
            .map(|p| {
                p.map(|p| p.display().to_string())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    fn list(&mut self, dir: &str) -> Result<Vec<String>, String> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{dir}: {e}")),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("{dir}: {e}"))?;
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn read(&mut self, path: &str) -> Result<String, String> {
        read_text(Path::new(path)).map_err(|e| e.to_string())
    }
}

/// At most [`MAX_CONFIG_BYTES`] of UTF-8 text from `path`.
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(
            "larger than 1 MiB, not a chrony configuration",
        ));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}
