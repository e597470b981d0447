//! The checks of `[csptp-server]` and `[[csptp-source]]`: values in range,
//! and sockets that cannot be confused with a PTP `[[port]]`'s.
//!
//! A `[[port]]` over UDP binds the wildcard address's ports 319 and 320 on
//! its interface (SO_BINDTODEVICE). Linux gives a unicast datagram to the
//! best-matching socket, and a wildcard socket bound to the device ties
//! with a socket bound to the address alone: so beside UDP ports, a CSPTP
//! server must name its `interfaces` and specific `listen` addresses, and a
//! CSPTP source its `interface` (one that is no port's).

use crate::check::{Checker, Selection};
use crate::file::File;
use crate::{ConfigError, CsptpServerSettings, CsptpSourceSettings, Timestamping, Transport};

/// The PTP ports over UDP: their interfaces.
fn udp_port_interfaces(f: &File) -> Vec<String> {
    f.ports
        .iter()
        .filter(|p| matches!(p.transport, Transport::Udp4 | Transport::Udp6))
        .map(|p| p.interface.clone())
        .collect()
}

fn is_interface_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 15 && !name.contains(['/', ' ', '\0'])
}

impl Checker<'_> {
    /// `[csptp-server]` and every `[[csptp-source]]`.
    pub(crate) fn csptp(&self, f: &mut File) -> Result<(), ConfigError> {
        let ports = udp_port_interfaces(f);
        if let Some(s) = &f.csptp_server {
            self.csptp_server(s, &ports)?;
        }
        for (i, s) in f.csptp_sources.iter_mut().enumerate() {
            s.address = s.address.trim().to_string();
            self.csptp_source(i, s, &ports)?;
        }
        Ok(())
    }

    fn csptp_server(&self, s: &CsptpServerSettings, ports: &[String]) -> Result<(), ConfigError> {
        let t = "csptp-server";
        if s.listen.is_empty() {
            return Err(self.at_value(
                &format!("{t}.listen"),
                "`listen` needs at least one address",
            ));
        }
        if let Some(a) = s
            .listen
            .iter()
            .find(|a| a.port() == 0 || a.port() == u16::MAX)
        {
            return Err(self.at_value(
                &format!("{t}.listen"),
                format!(
                    "`listen`: {a} has no usable event port (1 to 65534; the general port is the next)"
                ),
            ));
        }
        if let Some(i) = s.interfaces.iter().position(|n| !is_interface_name(n)) {
            return Err(self.at_value(
                &format!("{t}.interfaces"),
                format!(
                    "`interfaces`: `{}` is not a network interface name",
                    s.interfaces[i]
                ),
            ));
        }
        if s.timestamping == Timestamping::Hardware && s.interfaces.is_empty() {
            return Err(self.at_value(
                &format!("{t}.timestamping"),
                "`timestamping` = \"hardware\" needs `interfaces` (the NICs whose timestamps to use)",
            ));
        }
        if !ports.is_empty()
            && (s.interfaces.is_empty() || s.listen.iter().any(|a| a.ip().is_unspecified()))
        {
            return Err(self.at_key(
                &format!("{t}.listen"),
                format!(
                    "beside PTP [[port]]s over UDP ({}), [csptp-server] needs `interfaces` and specific `listen` addresses (not 0.0.0.0 or ::): otherwise a port's socket may take its requests",
                    ports.join(", ")
                ),
            ));
        }
        self.rate_limit_keys(
            t,
            s.rate_limit_interval,
            s.rate_limit_burst,
            s.rate_limit_leak,
        )?;
        self.workers(t, s.workers)
    }

    fn csptp_source(
        &self,
        i: usize,
        s: &CsptpSourceSettings,
        ports: &[String],
    ) -> Result<(), ConfigError> {
        let at = |key: &str| format!("csptp-source.{i}.{key}");
        if s.address.is_empty() {
            return Err(self.at_value(&at("address"), "`address` cannot be empty"));
        }
        if !(-4..=10).contains(&s.poll) {
            return Err(self.at_value(
                &at("poll"),
                format!(
                    "`poll` = {} is out of range: -4 to 10 (log2 seconds)",
                    s.poll
                ),
            ));
        }
        self.selection_options(
            "csptp-source",
            i,
            Selection {
                flags: [s.prefer, s.trust, s.require],
                noselect: s.noselect,
                offset: s.offset,
                asymmetry: s.asymmetry,
                max_delay: s.max_delay,
            },
        )?;
        if !(1..=8).contains(&s.burst) {
            return Err(self.at_value(
                &at("burst"),
                format!("`burst` = {} is out of range: 1 to 8", s.burst),
            ));
        }
        if s.local_port == 0 || s.local_port == u16::MAX {
            return Err(self.at_value(
                &at("local-port"),
                "`local-port` must be 1 to 65534 (the general port is the next)",
            ));
        }
        match s.interface.as_deref() {
            Some(name) if !is_interface_name(name) => Err(self.at_value(
                &at("interface"),
                format!("`interface`: `{name}` is not a network interface name"),
            )),
            Some(name) if ports.iter().any(|p| p == name) => Err(self.at_value(
                &at("interface"),
                format!(
                    "`interface` = \"{name}\" is a PTP [[port]] over UDP: its sockets would take the server's answers"
                ),
            )),
            None if !ports.is_empty() => Err(self.at_key(
                &format!("csptp-source.{i}"),
                format!(
                    "beside PTP [[port]]s over UDP ({}), a [[csptp-source]] needs `interface` (another interface than the ports')",
                    ports.join(", ")
                ),
            )),
            None if s.timestamping == Timestamping::Hardware => Err(self.at_value(
                &at("timestamping"),
                "`timestamping` = \"hardware\" needs `interface`",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn err(text: &str) -> String {
        Config::parse(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_server_and_sources_are_read_with_their_defaults() {
        let c = Config::parse(
            "[csptp-server]\nlisten = [\"10.0.0.1\", \"[fd00::1]:3190\"]\nrate-limit = true\n\
             allow = [\"10.0.0.0/8\"]\n[csptp-server.announce]\nclock-class = 6\n\
             grandmaster-identity = \"001122.fffe.334455\"\n\n\
             [[csptp-source]]\naddress = \"10.0.0.2\"\n\n[[csptp-source]]\naddress = \"srv:400\"\npoll = -2\ndomain = 5\n",
            "t.toml",
        )
        .unwrap();
        let s = c.csptp_server.as_ref().unwrap();
        assert_eq!(s.listen[0], "10.0.0.1:319".parse().unwrap());
        assert_eq!(s.listen[1], "[fd00::1]:3190".parse().unwrap());
        assert_eq!(s.rate_limit.unwrap().burst, 8);
        assert_eq!(s.rate_limit_leak, 2);
        assert_eq!(s.announce.clock_class, Some(6));
        assert_eq!(
            s.announce.grandmaster_identity.unwrap().0,
            [0, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]
        );
        assert_eq!(s.announce.priority1, None);
        let (a, b) = (&c.csptp_sources[0], &c.csptp_sources[1]);
        assert_eq!((a.poll, a.domain, a.local_port, a.burst), (0, 128, 319, 2));
        assert_eq!((b.poll, b.domain), (-2, 5));
        // Written back and read again: the same.
        let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn mistakes_are_errors_at_the_key() {
        assert_eq!(
            err("[csptp-server]\nlisten = []\n"),
            "t.toml:2:10: `listen` needs at least one address"
        );
        assert_eq!(
            err("[csptp-server]\nlisten = [\"10.0.0.1\"]\nrate-limit-burst = 0\n"),
            "t.toml:3:20: `rate-limit-burst` must be at least 1"
        );
        assert!(
            err("[csptp-server]\nlisten = [\"nowhere\"]\n")
                .starts_with("t.toml:2:11: `listen`: `nowhere` is not an address"),
        );
        assert!(
            err("[csptp-server]\nlisten = [\"10.0.0.1\"]\n[csptp-server.announce]\nclass = 6\n")
                .starts_with("t.toml:4:1: unknown key `class`")
        );
        assert_eq!(
            err("[[csptp-source]]\naddress = \"a\"\npoll = 11\n"),
            "t.toml:3:8: `poll` = 11 is out of range: -4 to 10 (log2 seconds)"
        );
        assert_eq!(
            err("[[csptp-source]]\naddress = \"a\"\nburst = 0\n"),
            "t.toml:3:9: `burst` = 0 is out of range: 1 to 8"
        );
        assert_eq!(
            err("[[csptp-source]]\naddress = \" \"\n"),
            "t.toml:2:11: `address` cannot be empty"
        );
        assert!(
            err("[csptp-server]\nlisten = [\"10.0.0.1\"]\n[csptp-server.announce]\ngrandmaster-identity = \"xyz\"\n")
                .contains("is not a clock identity")
        );
    }

    #[test]
    fn beside_udp_ports_the_sockets_must_be_bound_to_interfaces() {
        let port = "[[port]]\ninterface = \"eth0\"\ntransport = \"udp4\"\n";
        let e = err(&format!("{port}[csptp-server]\nlisten = [\"0.0.0.0\"]\n"));
        assert!(
            e.contains("needs `interfaces` and specific `listen`"),
            "{e}"
        );
        Config::parse(
            &format!("{port}[csptp-server]\nlisten = [\"10.0.0.1\"]\ninterfaces = [\"eth0\"]\n"),
            "t.toml",
        )
        .unwrap();
        let e = err(&format!("{port}[[csptp-source]]\naddress = \"10.0.0.2\"\n"));
        assert!(e.contains("needs `interface`"), "{e}");
        let e = err(&format!(
            "{port}[[csptp-source]]\naddress = \"10.0.0.2\"\ninterface = \"eth0\"\n"
        ));
        assert!(e.contains("is a PTP [[port]] over UDP"), "{e}");
        Config::parse(
            &format!("{port}[[csptp-source]]\naddress = \"10.0.0.2\"\ninterface = \"eth1\"\n"),
            "t.toml",
        )
        .unwrap();
    }
}
