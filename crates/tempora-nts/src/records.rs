//! The NTS-KE messages (RFC 8915 §4.1): the client's request and its
//! reading of the server's response, without I/O.

use tempora_ntp::wire::ntske::{
    AeadAlgorithm, ErrorCode, NextProtocol, Record, RecordBody, Records, U16List,
};

/// Algorithms the client offers, in order of preference (RFC 8915 §4.1.5:
/// AEAD_AES_SIV_CMAC_256 is mandatory to implement).
pub const CLIENT_ALGORITHMS: [u16; 2] = [
    AeadAlgorithm::AesSivCmac256.to_u16(),
    AeadAlgorithm::AesSivCmac512.to_u16(),
];

/// Why key establishment failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeError {
    /// TLS or TCP failed (connect, handshake, certificate, timeout).
    Transport(String),
    /// The server did not negotiate ALPN `ntske/1`.
    NoAlpn,
    /// The response is malformed or ends without End of Message.
    Malformed(String),
    /// The server sent an Error record (RFC 8915 §4.1.3).
    ServerError(ErrorCode),
    /// The server sent a Warning record the client does not understand
    /// (RFC 8915 §4.1.4: the client must discontinue).
    ServerWarning(u16),
    /// An unrecognised record marked critical (RFC 8915 §4.1).
    UnknownCritical(u16),
    /// NTPv4 was not chosen, or no supported AEAD algorithm.
    NoAgreement,
    /// No cookie came back.
    NoCookies,
}

impl std::fmt::Display for KeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeError::Transport(e) => write!(f, "NTS-KE transport: {e}"),
            KeError::NoAlpn => write!(f, "NTS-KE: the server did not negotiate ALPN ntske/1"),
            KeError::Malformed(e) => write!(f, "NTS-KE: malformed response: {e}"),
            KeError::ServerError(c) => write!(f, "NTS-KE: server error {c:?}"),
            KeError::ServerWarning(w) => write!(f, "NTS-KE: server warning {w}"),
            KeError::UnknownCritical(t) => write!(f, "NTS-KE: unknown critical record {t}"),
            KeError::NoAgreement => write!(f, "NTS-KE: no common protocol or AEAD algorithm"),
            KeError::NoCookies => write!(f, "NTS-KE: no cookies"),
        }
    }
}

impl std::error::Error for KeError {}

/// The client's request (RFC 8915 §4.1): Next Protocol NTPv4 and the AEAD
/// algorithms, both critical, then End of Message.
pub fn client_request() -> Vec<u8> {
    client_request_for(&[NextProtocol::Ntpv4])
}

/// The client's request offering `protocols` in its order of preference
/// (e.g. draft NTPv5 then NTPv4 for a source of version "auto"), the AEAD
/// algorithms, then End of Message.
pub fn client_request_for(protocols: &[NextProtocol]) -> Vec<u8> {
    let protocols: Vec<u16> = protocols.iter().map(|p| p.to_u16()).collect();
    let records = [
        Record {
            critical: true,
            body: RecordBody::NextProtocol(U16List::from_values(&protocols)),
        },
        Record {
            critical: true,
            body: RecordBody::AeadAlgorithm(U16List::from_values(&CLIENT_ALGORITHMS)),
        },
        Record {
            critical: true,
            body: RecordBody::EndOfMessage,
        },
    ];
    encode_records(&records)
}

/// What the server agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The protocol chosen: one of those offered.
    pub protocol: NextProtocol,
    /// The AEAD algorithm.
    pub algorithm: AeadAlgorithm,
    /// Cookies for the first requests.
    pub cookies: Vec<Vec<u8>>,
    /// The NTP server to use, if not the NTS-KE server (RFC 8915 §4.1.7).
    pub server: Option<String>,
    /// The NTP port, if not 123 (RFC 8915 §4.1.8).
    pub port: Option<u16>,
}

/// Reads the server's response to [`client_request`], which must be
/// complete: `Ok(None)` while End of Message has not arrived yet.
pub fn parse_response(data: &[u8]) -> Result<Option<Negotiated>, KeError> {
    parse_response_for(data, &[NextProtocol::Ntpv4])
}

/// Reads the server's response to [`client_request_for`] `offered`: its
/// Next Protocol record must name exactly one of them (RFC 8915 §4.1.2).
pub fn parse_response_for(
    data: &[u8],
    offered: &[NextProtocol],
) -> Result<Option<Negotiated>, KeError> {
    let mut protocol = None;
    let mut algorithm = None;
    let mut cookies = Vec::new();
    let mut server = None;
    let mut port = None;
    let mut seen: Vec<u16> = Vec::new();
    let mut records = Records::new(data);
    loop {
        let Some(record) = records.next() else {
            return Ok(None);
        };
        let record = match record {
            Ok(r) => r,
            // A record cut short: wait for more, unless it is malformed.
            Err(tempora_ntp::wire::Error::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(KeError::Malformed(e.to_string())),
        };
        match record.body {
            RecordBody::EndOfMessage => break,
            RecordBody::NextProtocol(_)
            | RecordBody::AeadAlgorithm(_)
            | RecordBody::Server(_)
            | RecordBody::Port(_)
                if seen.contains(&record.record_type()) =>
            {
                return Err(KeError::Malformed("a negotiation record sent twice".into()));
            }
            RecordBody::NextProtocol(list) => {
                seen.push(record.record_type());
                protocol = match list.iter().collect::<Vec<_>>().as_slice() {
                    [one] if !list.has_trailing_octet() => {
                        Some(NextProtocol::from_u16(*one)).filter(|p| offered.contains(p))
                    }
                    _ => None,
                };
            }
            RecordBody::AeadAlgorithm(list) => {
                seen.push(record.record_type());
                if list.has_trailing_octet() {
                    return Err(KeError::Malformed("odd-length AEAD record".into()));
                }
                let chosen: Vec<u16> = list.iter().collect();
                match chosen.as_slice() {
                    [one] if CLIENT_ALGORITHMS.contains(one) => {
                        algorithm = Some(AeadAlgorithm::from_u16(*one))
                    }
                    _ => return Err(KeError::NoAgreement),
                }
            }
            RecordBody::Error(code) => return Err(KeError::ServerError(code)),
            RecordBody::Warning(w) => return Err(KeError::ServerWarning(w)),
            RecordBody::NewCookie(c) => cookies.push(c.to_vec()),
            RecordBody::Server(name) => {
                seen.push(record.record_type());
                if !name.is_ascii() || name.is_empty() {
                    return Err(KeError::Malformed("server name is not ASCII".into()));
                }
                server = Some(String::from_utf8_lossy(name).into_owned());
            }
            RecordBody::Port(p) => {
                seen.push(record.record_type());
                port = Some(p);
            }
            RecordBody::Unknown { record_type, .. } if record.critical => {
                return Err(KeError::UnknownCritical(record_type));
            }
            RecordBody::Unknown { .. } => {}
        }
    }
    let (Some(protocol), Some(algorithm)) = (protocol, algorithm) else {
        return Err(KeError::NoAgreement);
    };
    if cookies.is_empty() {
        return Err(KeError::NoCookies);
    }
    Ok(Some(Negotiated {
        protocol,
        algorithm,
        cookies,
        server,
        port,
    }))
}

/// What a client asked for (RFC 8915 §4.1.2, §4.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// The protocols it offered.
    pub protocols: Vec<u16>,
    /// The AEAD algorithms it offered, in its order of preference.
    pub algorithms: Vec<u16>,
}

/// Reads a client's request (server side): `Ok(None)` while End of Message
/// has not arrived; `Err(code)` for the Error record to answer with.
pub fn parse_request(data: &[u8]) -> Result<Option<ClientRequest>, ErrorCode> {
    let mut protocols = None;
    let mut algorithms = None;
    let mut records = Records::new(data);
    loop {
        let Some(record) = records.next() else {
            return Ok(None);
        };
        let record = match record {
            Ok(r) => r,
            Err(tempora_ntp::wire::Error::Truncated { .. }) => return Ok(None),
            Err(_) => return Err(ErrorCode::BadRequest),
        };
        match record.body {
            RecordBody::EndOfMessage => break,
            RecordBody::NextProtocol(list) | RecordBody::AeadAlgorithm(list)
                if list.has_trailing_octet() =>
            {
                return Err(ErrorCode::BadRequest);
            }
            RecordBody::NextProtocol(list) if protocols.is_none() => {
                protocols = Some(list.iter().collect::<Vec<u16>>())
            }
            RecordBody::AeadAlgorithm(list) if algorithms.is_none() => {
                algorithms = Some(list.iter().collect::<Vec<u16>>())
            }
            // Twice, or records only a server sends.
            RecordBody::NextProtocol(_)
            | RecordBody::AeadAlgorithm(_)
            | RecordBody::Error(_)
            | RecordBody::Warning(_)
            | RecordBody::NewCookie(_) => return Err(ErrorCode::BadRequest),
            // Hints the server may ignore (RFC 8915 §4.1.7, §4.1.8).
            RecordBody::Server(_) | RecordBody::Port(_) => {}
            RecordBody::Unknown { .. } if record.critical => {
                return Err(ErrorCode::UnrecognizedCriticalRecord);
            }
            RecordBody::Unknown { .. } => {}
        }
    }
    match (protocols, algorithms) {
        (Some(protocols), Some(algorithms)) => Ok(Some(ClientRequest {
            protocols,
            algorithms,
        })),
        _ => Err(ErrorCode::BadRequest),
    }
}

/// Encodes `records` one after the other.
pub fn encode_records(records: &[Record]) -> Vec<u8> {
    let mut out = vec![0u8; records.iter().map(Record::encoded_len).sum()];
    let mut pos = 0;
    for r in records {
        // The buffer is sized for exactly these records; an oversized one
        // (over 64 KiB) is left out.
        pos += r.encode(&mut out[pos..]).unwrap_or(0);
    }
    out.truncate(pos);
    out
}

/// The server's answer to `request` (RFC 8915 §4.1): NTPv4 and the first
/// of the client's algorithms this server supports, the cookies, the NTP
/// server and port if given, End of Message. `None` for `algorithm` when
/// nothing was agreed: then the Next Protocol or AEAD record is empty.
pub fn server_response(
    protocol_ok: bool,
    algorithm: Option<AeadAlgorithm>,
    cookies: &[Vec<u8>],
    server: Option<&str>,
    port: Option<u16>,
) -> Vec<u8> {
    let protocol = protocol_ok.then_some(NextProtocol::Ntpv4);
    server_response_for(protocol, algorithm, cookies, server, port)
}

/// [`server_response`] with the protocol chosen (`None`: no protocol in
/// common, the Next Protocol record is empty).
pub fn server_response_for(
    protocol: Option<NextProtocol>,
    algorithm: Option<AeadAlgorithm>,
    cookies: &[Vec<u8>],
    server: Option<&str>,
    port: Option<u16>,
) -> Vec<u8> {
    let ntp = protocol.map(|p| [p.to_u16()]);
    let protocol_ok = ntp.is_some();
    let alg = algorithm.map(|a| [a.to_u16()]);
    let mut records = vec![Record {
        critical: true,
        body: RecordBody::NextProtocol(U16List::from_values(
            ntp.as_ref().map_or(&[][..], |p| &p[..]),
        )),
    }];
    if protocol_ok {
        records.push(Record {
            critical: true,
            body: RecordBody::AeadAlgorithm(U16List::from_values(
                alg.as_ref().map_or(&[][..], |a| &a[..]),
            )),
        });
    }
    if protocol_ok && algorithm.is_some() {
        for c in cookies {
            records.push(Record {
                critical: false,
                body: RecordBody::NewCookie(c),
            });
        }
        if let Some(s) = server {
            records.push(Record {
                critical: true,
                body: RecordBody::Server(s.as_bytes()),
            });
        }
        if let Some(p) = port {
            records.push(Record {
                critical: true,
                body: RecordBody::Port(p),
            });
        }
    }
    records.push(Record {
        critical: true,
        body: RecordBody::EndOfMessage,
    });
    encode_records(&records)
}

/// An Error record and End of Message (RFC 8915 §4.1.3).
pub fn error_response(code: ErrorCode) -> Vec<u8> {
    encode_records(&[
        Record {
            critical: true,
            body: RecordBody::Error(code),
        },
        Record {
            critical: true,
            body: RecordBody::EndOfMessage,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(records: &[Record]) -> Vec<u8> {
        let mut out = vec![0u8; 2048];
        let mut pos = 0;
        for r in records {
            pos += r.encode(&mut out[pos..]).unwrap();
        }
        out.truncate(pos);
        out
    }

    #[test]
    fn request_is_next_protocol_aead_end() {
        let req = client_request();
        let recs: Vec<_> = Records::new(&req).map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 3);
        assert!(recs.iter().all(|r| r.critical));
        assert!(matches!(recs[2].body, RecordBody::EndOfMessage));
        // 0x8001 0002 0000 | 0x8004 0004 000f 0011 | 0x8000 0000
        assert_eq!(
            req,
            [
                0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 4, 0, 15, 0, 17, 0x80, 0, 0, 0
            ]
        );
    }

    #[test]
    fn response_parsed_and_partial_waits() {
        let np = [0u16];
        let aead = [15u16];
        let resp = encode(&[
            Record {
                critical: true,
                body: RecordBody::NextProtocol(U16List::from_values(&np)),
            },
            Record {
                critical: false,
                body: RecordBody::AeadAlgorithm(U16List::from_values(&aead)),
            },
            Record {
                critical: false,
                body: RecordBody::NewCookie(&[1; 100]),
            },
            Record {
                critical: false,
                body: RecordBody::NewCookie(&[2; 100]),
            },
            Record {
                critical: false,
                body: RecordBody::Server(b"ntp.example"),
            },
            Record {
                critical: false,
                body: RecordBody::Port(1123),
            },
            Record {
                critical: true,
                body: RecordBody::EndOfMessage,
            },
        ]);
        for cut in 0..resp.len() {
            assert_eq!(parse_response(&resp[..cut]), Ok(None), "cut at {cut}");
        }
        let n = parse_response(&resp).unwrap().unwrap();
        assert_eq!(n.algorithm, AeadAlgorithm::AesSivCmac256);
        assert_eq!(n.cookies.len(), 2);
        assert_eq!(n.server.as_deref(), Some("ntp.example"));
        assert_eq!(n.port, Some(1123));
    }

    #[test]
    fn draft_ntpv5_is_offered_chosen_and_checked() {
        let both = [NextProtocol::DraftNtpv5, NextProtocol::Ntpv4];
        let req = client_request_for(&both);
        // Next Protocol 0x8001 then 0 (NTPv4), as ntpd-rs 1.9 offers them.
        assert_eq!(&req[..8], [0x80, 1, 0, 4, 0x80, 0x01, 0, 0]);
        let r = parse_request(&req).unwrap().unwrap();
        assert_eq!(r.protocols, [0x8001, 0]);
        let resp = server_response_for(
            Some(NextProtocol::DraftNtpv5),
            Some(AeadAlgorithm::AesSivCmac256),
            &[vec![7; 104]],
            None,
            None,
        );
        let n = parse_response_for(&resp, &both).unwrap().unwrap();
        assert_eq!(n.protocol, NextProtocol::DraftNtpv5);
        // A client that offered only NTPv4 refuses an NTPv5 answer.
        assert_eq!(parse_response(&resp), Err(KeError::NoAgreement));
        let v4 = server_response(
            true,
            Some(AeadAlgorithm::AesSivCmac256),
            &[vec![7; 104]],
            None,
            None,
        );
        assert_eq!(
            parse_response_for(&v4, &both).unwrap().unwrap().protocol,
            NextProtocol::Ntpv4
        );
        assert_eq!(
            parse_response_for(&v4, &[NextProtocol::DraftNtpv5]),
            Err(KeError::NoAgreement)
        );
    }

    #[test]
    fn server_reads_the_client_request_and_answers() {
        let req = client_request();
        for cut in 0..req.len() {
            assert_eq!(parse_request(&req[..cut]), Ok(None), "cut at {cut}");
        }
        let r = parse_request(&req).unwrap().unwrap();
        assert_eq!(r.protocols, [0]);
        assert_eq!(r.algorithms, [15, 17]);
        let resp = server_response(
            true,
            Some(AeadAlgorithm::AesSivCmac256),
            &[vec![7; 104], vec![8; 104]],
            None,
            Some(11123),
        );
        let n = parse_response(&resp).unwrap().unwrap();
        assert_eq!(n.cookies, [vec![7; 104], vec![8; 104]]);
        assert_eq!(n.port, Some(11123));
        // Nothing agreed: the client sees no agreement.
        assert_eq!(
            parse_response(&server_response(false, None, &[], None, None)),
            Err(KeError::NoAgreement)
        );
        assert_eq!(
            parse_response(&error_response(ErrorCode::BadRequest)),
            Err(KeError::ServerError(ErrorCode::BadRequest))
        );
        // An unknown critical record, and a request without AEAD.
        let bad = encode_records(&[
            Record {
                critical: true,
                body: RecordBody::Unknown {
                    record_type: 0x4000,
                    body: &[],
                },
            },
            Record {
                critical: true,
                body: RecordBody::EndOfMessage,
            },
        ]);
        assert_eq!(
            parse_request(&bad),
            Err(ErrorCode::UnrecognizedCriticalRecord)
        );
        let np = [0u16];
        let no_aead = encode_records(&[
            Record {
                critical: true,
                body: RecordBody::NextProtocol(U16List::from_values(&np)),
            },
            Record {
                critical: true,
                body: RecordBody::EndOfMessage,
            },
        ]);
        assert_eq!(parse_request(&no_aead), Err(ErrorCode::BadRequest));
    }

    #[test]
    fn errors_and_disagreement() {
        let resp = encode(&[
            Record {
                critical: true,
                body: RecordBody::Error(ErrorCode::BadRequest),
            },
            Record {
                critical: true,
                body: RecordBody::EndOfMessage,
            },
        ]);
        assert_eq!(
            parse_response(&resp),
            Err(KeError::ServerError(ErrorCode::BadRequest))
        );
        let np = [0u16];
        let aead = [30u16];
        let resp = encode(&[
            Record {
                critical: true,
                body: RecordBody::NextProtocol(U16List::from_values(&np)),
            },
            Record {
                critical: true,
                body: RecordBody::AeadAlgorithm(U16List::from_values(&aead)),
            },
            Record {
                critical: true,
                body: RecordBody::EndOfMessage,
            },
        ]);
        assert_eq!(parse_response(&resp), Err(KeError::NoAgreement));
    }
}
