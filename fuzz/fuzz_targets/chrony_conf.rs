//! Fuzz target: chrony configuration files converted by
//! `tempora_config::from_chrony` (`tempora config from-chrony`). The input
//! (lossily UTF-8) is the file. The conversion must not panic; when it
//! succeeds its TOML must load with `Config::parse` (the converter drops
//! what Tempora refuses until it does) and every note must name a line of
//! the input; when it fails, the error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_config::{Config, from_chrony};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count();
    match from_chrony(&text, "fuzz.conf") {
        Ok(c) => {
            if let Err(e) = Config::parse(&c.toml, "converted.toml") {
                panic!("the conversion does not load: {e}\n{}", c.toml);
            }
            for n in &c.notes {
                assert!((1..=lines).contains(&n.line), "{n}");
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.conf:"), "{e}"),
    }
});
