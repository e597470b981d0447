//! Fuzz target: the CSPTP client of one server
//! (`tempora_ptp::csptp::CsptpClient`) driven by an arbitrary sequence of
//! events — requests polled, transmit timestamps, time passing, genuine
//! replies and Follow_Ups from `tempora_ptp::csptp::CsptpServer` in either
//! order (two-step or one-step), replays, replies with one octet changed,
//! and arbitrary bytes. It must not panic; samples never outnumber
//! requests; a completed exchange's messages replayed are dropped as
//! replays; every sample's offset and delay follow from its timestamps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_ptp::csptp::message::MAX_LEN;
use tempora_ptp::csptp::{
    ClientOutcome, CsptpClient, CsptpClientConfig, CsptpSample, CsptpServer, CsptpServerConfig,
    DropReason, ServerDataSet, ServerOutcome, StepMode,
};

/// The server's messages for the last request.
#[derive(Default)]
struct Answer {
    reply: Vec<u8>,
    follow_up: Option<Vec<u8>>,
}

fn check(sample: &CsptpSample) {
    let forward = sample.t2 - sample.t1 - sample.request_correction;
    let backward = sample.t4 - sample.t3 - sample.response_correction;
    assert_eq!(sample.delay, forward + backward);
    assert_eq!(sample.server_offset, (forward - backward) / 2);
}

fn answer(server: &CsptpServer, request: &[u8], at: Time) -> Option<Answer> {
    let mut out = [0u8; MAX_LEN];
    let ServerOutcome::Reply { len, follow_up } =
        server.handle(at, request, &ServerDataSet::default(), &mut out)
    else {
        return None;
    };
    let mut reply = out[..len].to_vec();
    let tx = at + Duration::from_micros(3);
    if !follow_up {
        CsptpServer::stamp_one_step(&mut reply, tx).ok()?;
        return Some(Answer {
            reply,
            follow_up: None,
        });
    }
    let n = server.follow_up(&reply, tx, &mut out).ok()?;
    Some(Answer {
        reply,
        follow_up: Some(out[..n].to_vec()),
    })
}

fuzz_target!(|data: &[u8]| {
    let config = CsptpClientConfig {
        domain: 0,
        ..CsptpClientConfig::default()
    };
    let mut now = Time::from_secs_nanos(1_000, 0);
    let mut client = CsptpClient::new(config, now);
    let mut request = [0u8; MAX_LEN];
    let mut sent: Option<(u16, usize)> = None;
    let mut last = Answer::default();
    let mut completed: Vec<Vec<u8>> = Vec::new();
    let mut input = data.iter().copied();
    while let Some(op) = input.next() {
        let arg = input.next().unwrap_or(0);
        let outcome = match op % 8 {
            0 => {
                if let Ok(Some(r)) = client.poll_request(now, &mut request) {
                    sent = Some((r.sequence_id, r.len));
                }
                continue;
            }
            1 => {
                let Some((seq, _)) = sent else { continue };
                client.handle_transmit_timestamp(seq, now - Duration::from_micros(arg.into()))
            }
            2 => {
                now = now + Duration::from_millis(i64::from(arg) * 10);
                client.handle_timeout(now);
                continue;
            }
            3 => {
                // The server answers the last request (one-step if `arg` is odd).
                let Some((_, len)) = sent else { continue };
                let step_mode = if arg & 1 == 1 {
                    StepMode::OneStep
                } else {
                    StepMode::TwoStep
                };
                let server = CsptpServer::new(CsptpServerConfig {
                    step_mode,
                    domain: None,
                });
                let Some(a) = answer(&server, &request[..len], now) else {
                    continue;
                };
                last = a;
                continue;
            }
            4 => client.handle_message(&last.reply, now + Duration::from_micros(arg.into())),
            5 => match &last.follow_up {
                Some(f) => client.handle_message(f, now),
                None => continue,
            },
            6 => {
                // The last reply with one octet changed.
                if last.reply.is_empty() {
                    continue;
                }
                let mut bad = last.reply.clone();
                let i = usize::from(arg) % bad.len();
                bad[i] ^= 1 | (arg >> 1);
                client.handle_message(&bad, now)
            }
            _ => {
                let rest: Vec<u8> = input.by_ref().take(usize::from(arg)).collect();
                client.handle_message(&rest, now)
            }
        };
        if let ClientOutcome::Sample(s) = outcome {
            check(&s);
            completed.clear();
            completed.push(last.reply.clone());
            completed.extend(last.follow_up.clone());
        }
        // The completed exchange's messages replayed are refused as replays.
        for m in &completed {
            let again = client.handle_message(m, now);
            assert_eq!(
                again,
                ClientOutcome::Dropped(DropReason::Replayed),
                "a replay passed"
            );
        }
        let c = client.counters();
        assert!(c.samples <= c.requests);
    }
});
