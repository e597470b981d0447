//! The NTS-KE client (RFC 8915 §4): a TLS 1.3 connection with ALPN
//! `ntske/1`, the request, the server's records, and the two NTP keys from
//! the TLS exporter (§5.1).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tempora_ntp::nts::{Key, Keys, MAX_KEY_LEN, key_len};
use tempora_ntp::wire::ntske::{AeadAlgorithm, NextProtocol};

use crate::records::{KeError, client_request_for, parse_response_for};
use crate::{ALPN, EXPORTER_LABEL};

/// How to reach and trust an NTS-KE server.
#[derive(Debug, Clone)]
pub struct KeOptions {
    /// A PEM file of trusted CA certificates, if any.
    pub ca_file: Option<PathBuf>,
    /// Whether the system's trust store counts too.
    pub system_roots: bool,
    /// Bound on connecting and on each read and write.
    pub timeout: Duration,
}

impl Default for KeOptions {
    fn default() -> Self {
        KeOptions {
            ca_file: None,
            system_roots: true,
            timeout: Duration::from_secs(5),
        }
    }
}

/// An NTS association: what NTP needs after key establishment.
#[derive(Debug, Clone)]
pub struct Association {
    /// The NTP version agreed: NTPv4 or draft NTPv5.
    pub protocol: NextProtocol,
    /// The C2S and S2C keys.
    pub keys: Keys,
    /// Cookies for the first requests.
    pub cookies: Vec<Vec<u8>>,
    /// The NTP server: the NTS-KE host unless the server named another.
    pub ntp_host: String,
    /// The NTP port (123 unless the server named another).
    pub ntp_port: u16,
    /// The TLS key exchange group negotiated (e.g. X25519MLKEM768).
    pub kx_group: String,
}

impl Association {
    /// The NTP server as `HOST:PORT` (`[IPV6]:PORT`), to resolve.
    pub fn ntp_server(&self) -> String {
        if self.ntp_host.contains(':') {
            format!("[{}]:{}", self.ntp_host, self.ntp_port)
        } else {
            format!("{}:{}", self.ntp_host, self.ntp_port)
        }
    }
}

/// The TLS client configuration: TLS 1.3 only, ALPN `ntske/1`.
pub fn tls_config(opts: &KeOptions) -> Result<ClientConfig, KeError> {
    let mut roots = RootCertStore::empty();
    if let Some(path) = &opts.ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| KeError::Transport(format!("{}: {e}", path.display())))?;
        for cert in certs {
            let cert = cert.map_err(|e| KeError::Transport(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| KeError::Transport(format!("{}: {e}", path.display())))?;
        }
    }
    if opts.system_roots {
        for cert in rustls_native_certs::load_native_certs().certs {
            // A bad certificate in the system store is skipped.
            let _ = roots.add(cert);
        }
    }
    let mut config = ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}

/// The NTPv4 keys from the TLS exporter (RFC 8915 §5.1): context = protocol
/// id (NTPv4: 0), AEAD id, then 0 for C2S and 1 for S2C.
pub fn export_keys(
    export: impl Fn(&mut [u8], &[u8]) -> Result<(), rustls::Error>,
    algorithm: AeadAlgorithm,
) -> Result<Keys, KeError> {
    export_keys_for(export, NextProtocol::Ntpv4, algorithm)
}

/// The keys of `protocol` from the TLS exporter (RFC 8915 §5.1): context =
/// protocol id (draft NTPv5: 0x8001), AEAD id, then 0 for C2S and 1 for
/// S2C; so the keys of an NTPv5 association differ from NTPv4's.
pub fn export_keys_for(
    export: impl Fn(&mut [u8], &[u8]) -> Result<(), rustls::Error>,
    protocol: NextProtocol,
    algorithm: AeadAlgorithm,
) -> Result<Keys, KeError> {
    let len = key_len(algorithm).ok_or(KeError::NoAgreement)?;
    let id = algorithm.to_u16().to_be_bytes();
    let p = protocol.to_u16().to_be_bytes();
    let key = |direction: u8| -> Result<Key, KeError> {
        let mut out = [0u8; MAX_KEY_LEN];
        let context = [p[0], p[1], id[0], id[1], direction];
        export(&mut out[..len], &context).map_err(|e| KeError::Transport(e.to_string()))?;
        Key::new(algorithm, &out[..len]).map_err(|_| KeError::NoAgreement)
    };
    Ok(Keys {
        c2s: key(0)?,
        s2c: key(1)?,
    })
}

/// Runs key establishment with `host:port` (RFC 8915 §4) for NTPv4.
pub fn key_exchange(host: &str, port: u16, opts: &KeOptions) -> Result<Association, KeError> {
    key_exchange_for(host, port, opts, &[NextProtocol::Ntpv4])
}

/// Runs key establishment with `host:port` (RFC 8915 §4) offering
/// `protocols` in order of preference; the server picks one.
pub fn key_exchange_for(
    host: &str,
    port: u16,
    opts: &KeOptions,
    protocols: &[NextProtocol],
) -> Result<Association, KeError> {
    let config = Arc::new(tls_config(opts)?);
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| KeError::Transport(format!("{host}: {e}")))?;
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| KeError::Transport(format!("{host}:{port}: {e}")))?
        .next()
        .ok_or_else(|| KeError::Transport(format!("{host}: no address")))?;
    let tcp = TcpStream::connect_timeout(&addr, opts.timeout)
        .map_err(|e| KeError::Transport(format!("connect {addr}: {e}")))?;
    tcp.set_read_timeout(Some(opts.timeout))
        .and_then(|_| tcp.set_write_timeout(Some(opts.timeout)))
        .map_err(|e| KeError::Transport(e.to_string()))?;
    let conn =
        ClientConnection::new(config, name).map_err(|e| KeError::Transport(e.to_string()))?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(&client_request_for(protocols))
        .and_then(|_| tls.flush())
        .map_err(|e| KeError::Transport(format!("{addr}: {e}")))?;
    if tls.conn.alpn_protocol() != Some(ALPN) {
        return Err(KeError::NoAlpn);
    }
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let negotiated = loop {
        if let Some(n) = parse_response_for(&data, protocols)? {
            break n;
        }
        if data.len() > 64 * 1024 {
            return Err(KeError::Malformed("response over 64 KiB".into()));
        }
        match tls.read(&mut buf) {
            Ok(0) => return Err(KeError::Malformed("closed before End of Message".into())),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) => return Err(KeError::Transport(format!("{addr}: {e}"))),
        }
    };
    let keys = export_keys_for(
        |out, context| {
            tls.conn
                .export_keying_material(out, EXPORTER_LABEL, Some(context))
                .map(drop)
        },
        negotiated.protocol,
        negotiated.algorithm,
    )?;
    let kx_group = tls
        .conn
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()))
        .unwrap_or_default();
    // Close politely; the server closes too (RFC 8915 §4).
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(Association {
        protocol: negotiated.protocol,
        keys,
        cookies: negotiated.cookies,
        ntp_host: negotiated.server.unwrap_or_else(|| host.to_string()),
        ntp_port: negotiated.port.unwrap_or(123),
        kx_group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8915 §5.1: the exporter context is protocol id, AEAD id and the
    /// direction; draft NTPv5's keys come from context 0x8001.
    #[test]
    fn exporter_context_names_the_protocol() {
        let seen = std::sync::Mutex::new(Vec::new());
        let export = |out: &mut [u8], context: &[u8]| {
            seen.lock().unwrap().push(context.to_vec());
            out.fill(context[0] ^ context[4]);
            Ok(())
        };
        let alg = AeadAlgorithm::AesSivCmac256;
        let v5 = export_keys_for(export, NextProtocol::DraftNtpv5, alg).unwrap();
        let v4 = export_keys(export, alg).unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                vec![0x80, 0x01, 0, 15, 0],
                vec![0x80, 0x01, 0, 15, 1],
                vec![0, 0, 0, 15, 0],
                vec![0, 0, 0, 15, 1],
            ]
        );
        assert_ne!(v5, v4);
    }
}
