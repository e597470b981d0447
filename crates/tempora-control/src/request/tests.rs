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
