//! Fuzz target: the Roughtime parsers (message, packet, request, reply,
//! malfeasance report) must never panic, and every message that decodes
//! must re-encode to exactly its bytes, nested SREP/CERT/DELE included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_roughtime::message::{Message, reencode};
use tempora_roughtime::reply::Reply;
use tempora_roughtime::request::Request;
use tempora_roughtime::{Tag, VersionSet};

fn roundtrip(bytes: &[u8]) {
    let Ok(msg) = Message::decode(bytes) else {
        return;
    };
    assert_eq!(reencode(&msg).unwrap(), bytes);
    for tag in [Tag::SREP, Tag::CERT, Tag::DELE] {
        if let Some(nested) = msg.get(tag) {
            roundtrip(nested);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    roundtrip(data);
    if let Ok(body) = tempora_roughtime::framing::unframe(data) {
        roundtrip(body);
    }
    let _ = Request::decode(data, VersionSet::ALL);
    let _ = Reply::decode(data);
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = tempora_roughtime::report::from_json(text);
    }
});
