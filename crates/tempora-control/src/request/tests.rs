use super::*;

fn req(json: &str) -> Vec<u8> {
    let mut v = PREFIX.to_vec();
    v.extend_from_slice(json.as_bytes());
    v.push(b'\n');
    v
}

#[test]
fn every_command_round_trips() {
    let commands = [
        Command::Burst { source: None },
        Command::Burst {
            source: Some("ntp:127.0.0.1:123".into()),
        },
        Command::Makestep,
        Command::AddSource(AddSource {
            address: "[::1]:1123".into(),
            nts: false,
            minpoll: Some(0),
            maxpoll: Some(4),
            prefer: true,
            noselect: false,
            no_iburst: false,
        }),
        Command::RemoveSource {
            source: "10.0.0.1".into(),
        },
        Command::Offline { source: None },
        Command::Online {
            source: Some("10.0.0.1".into()),
        },
        Command::ServoReset,
        Command::SetPriority1 { value: 17 },
    ];
    for c in commands {
        let wire = encode(&c);
        assert!(is_control(&wire));
        assert_eq!(
            parse(&wire),
            Ok(c.clone()),
            "{}",
            String::from_utf8_lossy(&wire)
        );
    }
}

#[test]
fn the_wire_form_is_documented_json() {
    assert_eq!(
        encode(&Command::SetPriority1 { value: 5 }),
        b"tempora-ctl {\"version\":1,\"request\":{\"command\":\"set-priority1\",\"value\":5}}\n"
    );
    assert_eq!(
        parse(&req(r#"{"version":1,"request":{"command":"burst"}}"#)),
        Ok(Command::Burst { source: None })
    );
    // The newline is optional.
    assert_eq!(
        parse(br#"tempora-ctl {"version":1,"request":{"command":"makestep"}}"#),
        Ok(Command::Makestep)
    );
}

#[test]
fn other_datagrams_are_not_control_requests() {
    assert_eq!(parse(b"tempora-status\n"), Err(ParseError::NotControl));
    assert_eq!(parse(b""), Err(ParseError::NotControl));
    assert_eq!(parse(&[0x0d, 0x02, 0, 54]), Err(ParseError::NotControl));
}

#[test]
fn malformed_requests_get_typed_errors() {
    let malformed = |json: &str| matches!(parse(&req(json)), Err(ParseError::Malformed(_)));
    assert!(malformed(""));
    assert!(malformed("{"));
    assert!(
        malformed(r#"{"request":{"command":"burst"}}"#),
        "no version"
    );
    assert!(malformed(r#"{"version":1}"#), "no request");
    assert!(malformed(r#"{"version":1,"request":{"command":"reboot"}}"#));
    assert!(malformed(
        r#"{"version":1,"request":{"command":"burst","force":true}}"#
    ));
    assert!(malformed(
        r#"{"version":1,"request":{"command":"set-priority1","value":256}}"#
    ));
    assert!(malformed(
        r#"{"version":1,"request":{"command":"set-priority1","value":-1}}"#
    ));
    assert!(malformed(
        r#"{"version":1,"request":{"command":"remove-source"}}"#
    ));
    assert!(malformed(
        r#"{"version":1,"request":{"command":"makestep"},"x":1}"#
    ));
    assert!(malformed(r#"[1,2]"#));
    assert_eq!(
        parse(&[PREFIX, &[0xff, 0xfe]].concat()),
        Err(ParseError::NotUtf8)
    );
    assert_eq!(
        parse(&req(r#"{"version":2,"request":{"command":"teleport"}}"#)),
        Err(ParseError::UnsupportedVersion(2))
    );
    let long = req(&format!(
        r#"{{"version":1,"request":{{"command":"burst","source":"{}"}}}}"#,
        "a".repeat(MAX_REQUEST)
    ));
    assert_eq!(parse(&long), Err(ParseError::TooLong(long.len())));
}

#[test]
fn values_out_of_range_are_invalid() {
    let invalid = |json: &str| matches!(parse(&req(json)), Err(ParseError::Invalid(_)));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"burst","source":""}}"#
    ));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"offline","source":"a b"}}"#
    ));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"online","source":"a\nb"}}"#
    ));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"add-source","address":"10.0.0.1","minpoll":18}}"#
    ));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"add-source","address":"10.0.0.1","maxpoll":-1}}"#
    ));
    assert!(invalid(
        r#"{"version":1,"request":{"command":"add-source","address":"10.0.0.1","minpoll":6,"maxpoll":4}}"#
    ));
    assert!(!invalid(
        r#"{"version":1,"request":{"command":"add-source","address":"10.0.0.1","minpoll":4,"maxpoll":4}}"#
    ));
}

#[test]
fn errors_print_what_is_wrong() {
    assert!(
        ParseError::UnsupportedVersion(9)
            .to_string()
            .contains("version 9")
    );
    assert!(ParseError::TooLong(2000).to_string().contains("2000"));
}

/// A deterministic stand-in for the fuzz target on stable: valid requests
/// with bytes flipped, cut, repeated or spliced never panic the parser,
/// and whatever parses encodes back to the same command.
#[test]
fn mutated_requests_never_panic_and_round_trip() {
    let seeds = [
        encode(&Command::AddSource(AddSource {
            address: "[2001:db8::1]:123".into(),
            nts: true,
            minpoll: Some(3),
            maxpoll: Some(6),
            prefer: true,
            noselect: false,
            no_iburst: true,
        })),
        encode(&Command::Burst {
            source: Some("ntp:192.0.2.1:123".into()),
        }),
        encode(&Command::SetPriority1 { value: 200 }),
        encode(&Command::Makestep),
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut parsed, mut rejected) = (0, 0);
    for i in 0..20_000usize {
        let mut data = seeds[i % seeds.len()].clone();
        for _ in 0..=(next() % 4) {
            let at = (next() as usize) % data.len().max(1);
            match next() % 5 {
                0 => data[at] = next() as u8,
                1 => data.truncate(at),
                2 => {
                    let chars = b"{}[]\",:0-e\\u";
                    data.insert(at, chars[(next() % chars.len() as u64) as usize]);
                }
                3 => {
                    let piece = data[at..].to_vec();
                    data.extend_from_slice(&piece);
                }
                _ => data
                    .splice(at..at, seeds[0][..(next() as usize) % 40].iter().copied())
                    .for_each(drop),
            }
            if data.is_empty() {
                break;
            }
        }
        match parse(&data) {
            Ok(c) => {
                parsed += 1;
                assert_eq!(parse(&encode(&c)), Ok(c));
            }
            Err(_) => rejected += 1,
        }
    }
    assert!(
        parsed > 100 && rejected > 10_000,
        "{parsed} parsed, {rejected} rejected"
    );
}
