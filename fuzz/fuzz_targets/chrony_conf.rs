//! Fuzz target: chrony configuration files converted by
//! `tempora_config::from_chrony_files` (`tempora config from-chrony`). The
//! input (lossily UTF-8) is split at NUL bytes: the first part is the file,
//! the others are `/f/0.conf`, `/f/1.conf`, … which every `include`,
//! `confdir` and `sourcedir` line finds (directory `/f`; `/f/1.sources`
//! too). The conversion must not panic; when it succeeds its TOML must load
//! with `Config::parse` (the converter drops what Tempora refuses until it
//! does) and every note must name a line of the file it names; when it
//! fails, the error names one of the files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_config::{ChronyFiles, Config, from_chrony_files};

/// The parts after the first, as the files of `/f`.
struct Parts(Vec<String>);

impl Parts {
    fn names(&self) -> Vec<String> {
        (0..self.0.len())
            .map(|i| {
                if i == 1 {
                    "1.sources".to_owned()
                } else {
                    format!("{i}.conf")
                }
            })
            .collect()
    }

    fn lines(&self, file: &str) -> Option<usize> {
        let name = file.strip_prefix("/f/")?;
        let i = self.names().iter().position(|n| n == name)?;
        Some(self.0[i].lines().count())
    }
}

impl ChronyFiles for Parts {
    fn glob(&mut self, _: &str) -> Result<Vec<String>, String> {
        Ok(self.names().into_iter().map(|n| format!("/f/{n}")).collect())
    }
    fn list(&mut self, _: &str) -> Result<Vec<String>, String> {
        Ok(self.names())
    }
    fn read(&mut self, path: &str) -> Result<String, String> {
        let name = path.strip_prefix("/f/").ok_or("not in /f")?;
        let i = self.names().iter().position(|n| n == name).ok_or("no file")?;
        Ok(self.0[i].clone())
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0').map(str::to_owned);
    let main = parts.next().unwrap_or_default();
    let mut files = Parts(parts.collect());
    match from_chrony_files(&main, "fuzz.conf", &mut files) {
        Ok(c) => {
            if let Err(e) = Config::parse(&c.toml, "converted.toml") {
                panic!("the conversion does not load: {e}\n{}", c.toml);
            }
            for n in &c.notes {
                let lines = if n.file == "fuzz.conf" {
                    main.lines().count()
                } else {
                    files.lines(&n.file).unwrap_or_else(|| panic!("{n}"))
                };
                assert!((1..=lines).contains(&n.line), "{n}");
            }
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.starts_with("fuzz.conf:") || shown.starts_with("/f/"), "{e}");
        }
    }
});
