//! The hand-written man page `packaging/tempora.toml.5` and
//! `docs/config-reference.md` against the parser: every section the parser
//! accepts has a `.SH` heading in the man page and a heading in the
//! reference, and every key it accepts in a section is named under that
//! heading of the man page and somewhere in the reference. The sections and
//! keys are asked of the parser itself (a probe key it does not know makes it
//! list the ones it does), so a new key fails this test until it is
//! documented.

use std::path::PathBuf;

use tempora_config::Config;

/// A key no section has.
const PROBE: &str = "zzz-probe";

/// The file at `rel` from the workspace root.
fn read(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The keys the parser accepts where `prefix` leaves it (the top level, or
/// the table `prefix` opens), or `None` when a key there is not looked up
/// in a table of known keys (`prefix` opens no such table).
fn parser_keys(prefix: &str) -> Option<Vec<String>> {
    let text = format!("{prefix}{PROBE} = 1\n");
    let err = Config::parse(&text, "t.toml").err()?.to_string();
    if !err.contains(&format!("unknown key `{PROBE}`")) {
        return None;
    }
    // serde lists them as "expected `a`", "expected `a` or `b`" or
    // "expected one of `a`, `b`, `c`": the names are the quoted words.
    let (_, expected) = err.split_once("; expected ")?;
    let keys: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(!keys.is_empty(), "no keys in {err:?}");
    Some(keys)
}

/// One section the parser knows: its heading (`[name]` or `[[name]]`) and keys.
struct Section {
    heading: String,
    keys: Vec<String>,
}

/// Every section the parser accepts, nested tables (`[a.b]`) included.
fn parser_sections() -> Vec<Section> {
    let names = parser_keys("").expect("the top level lists its sections");
    let mut sections = Vec::new();
    for name in names {
        if let Some(keys) = parser_keys(&format!("[{name}]\n")) {
            let nested: Vec<String> = keys
                .iter()
                .filter_map(|k| {
                    parser_keys(&format!("[{name}.{k}]\n")).map(|_| format!("{name}.{k}"))
                })
                .collect();
            // A nested table is checked as a section of its own.
            let keys = keys
                .into_iter()
                .filter(|k| !nested.contains(&format!("{name}.{k}")))
                .collect();
            sections.push(Section {
                heading: format!("[{name}]"),
                keys,
            });
            for n in nested {
                let keys = parser_keys(&format!("[{n}]\n")).expect("probed above");
                sections.push(Section {
                    heading: format!("[{n}]"),
                    keys,
                });
            }
        } else {
            let keys = parser_keys(&format!("[[{name}]]\n"))
                .unwrap_or_else(|| panic!("`{name}` is neither a table nor an array of tables"));
            sections.push(Section {
                heading: format!("[[{name}]]"),
                keys,
            });
        }
    }
    sections
}

/// The man page's text under `.SH HEADING`, up to the next `.SH`, with
/// troff's `\-` read as `-`.
fn man_section(man: &str, heading: &str) -> Option<String> {
    let mut lines = man
        .lines()
        .skip_while(|l| l.trim_end() != format!(".SH {heading}"));
    lines.next()?;
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with(".SH")).collect();
    Some(body.join("\n").replace("\\-", "-"))
}

/// Whether `word` occurs in `text` not as part of a longer key.
fn has_word(text: &str, word: &str) -> bool {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_key_char) && !after.is_some_and(is_key_char)
    })
}

/// What the man page (`man`) and the reference (`doc`) lack of the parser's
/// sections and keys, one line each.
fn missing(man: &str, doc: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for s in parser_sections() {
        if !doc.contains(&format!("`{}`", s.heading)) {
            missing.push(format!("config-reference.md: section {}", s.heading));
        }
        for k in &s.keys {
            if !doc.contains(&format!("`{k}`")) {
                missing.push(format!("config-reference.md: `{k}` of {}", s.heading));
            }
        }
        let Some(body) = man_section(man, &s.heading) else {
            missing.push(format!("tempora.toml.5: no `.SH {}`", s.heading));
            continue;
        };
        for k in s.keys.iter().filter(|k| !has_word(&body, k)) {
            missing.push(format!("tempora.toml.5: `{k}` under .SH {}", s.heading));
        }
    }
    missing
}

#[test]
fn man_page_and_reference_name_every_section_and_key() {
    let missing = missing(
        &read("packaging/tempora.toml.5"),
        &read("docs/config-reference.md"),
    );
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

#[test]
fn the_parser_is_probed_for_every_section() {
    let headings: Vec<String> = parser_sections().into_iter().map(|s| s.heading).collect();
    for h in [
        "[ptp]",
        "[[port]]",
        "[clock]",
        "[ntp-client]",
        "[[ntp-source]]",
        "[csptp-server]",
        "[csptp-server.announce]",
        "[[refclock]]",
        "[[roughtime-source]]",
        "[daemon]",
    ] {
        assert!(
            headings.iter().any(|x| x == h),
            "{h} not found in {headings:?}"
        );
    }
}

#[test]
fn a_section_or_key_left_out_of_the_man_page_is_reported() {
    let man = read("packaging/tempora.toml.5");
    let doc = read("docs/config-reference.md");
    let without_section = man.replace(".SH [[refclock]]", ".SH REFCLOCKS");
    assert!(
        missing(&without_section, &doc)
            .contains(&"tempora.toml.5: no `.SH [[refclock]]`".to_owned())
    );
    let without_key = man.replace(".B holdover-class", ".B holdover");
    assert!(
        missing(&without_key, &doc)
            .contains(&"tempora.toml.5: `holdover-class` under .SH [clock]".to_owned())
    );
    let doc_without_key = doc.replace("`smear`", "smear");
    assert!(
        missing(&man, &doc_without_key)
            .contains(&"config-reference.md: `smear` of [ntp-server]".to_owned())
    );
}

#[test]
fn has_word_needs_a_whole_key() {
    assert!(has_word("the rate-limit key", "rate-limit"));
    assert!(!has_word("the rate-limit-burst key", "rate-limit"));
    assert!(!has_word("max-delay", "delay"));
}
