//! What the user wrote after `--port`, and the serial line settings that go with a device.
//!
//! Parsing is separate from opening so that a bad `--port` is reported before anything is
//! touched, and so the CLI can validate options with clap's `FromStr` support.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::PortError;

/// A port as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// A serial device (or any path to a tty), e.g. `/dev/ttyUSB0`.
    Device(PathBuf),
    /// `-`: the modem is on stdin (fd 0) and stdout (fd 1), as pppd runs a connect program.
    Stdio,
    /// `tcp://host:port`: a raw TCP byte stream (a terminal server port, `socat`, ...).
    Tcp {
        /// Host name or address; IPv6 addresses without their brackets.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// `rfc2217://host:port`: Telnet with COM-PORT-CONTROL, as ser2net offers.
    Rfc2217 {
        /// Host name or address; IPv6 addresses without their brackets.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// `sim:PROFILE[?scenario=FILE]`: the built-in simulated modem. Holds the text after
    /// `sim:`, which the simulator parses itself.
    Sim(String),
    /// `replay:FILE`: a transcript recorded with `--record` (or written by hand) plays the
    /// modem.
    Replay(PathBuf),
}

impl FromStr for PortSpec {
    type Err = PortError;

    fn from_str(spec: &str) -> Result<Self, PortError> {
        let bad = |reason: String| PortError::BadSpec { spec: spec.to_string(), reason };
        if spec.is_empty() {
            return Err(bad("the port is empty; give a device path, `-`, tcp://host:port, \
                            rfc2217://host:port or sim:hayes"
                .into()));
        }
        if spec == "-" {
            return Ok(PortSpec::Stdio);
        }
        if let Some(rest) = spec.strip_prefix("tcp://") {
            let (host, port) = parse_host_port(rest, "tcp").map_err(bad)?;
            return Ok(PortSpec::Tcp { host, port });
        }
        if let Some(rest) = spec.strip_prefix("rfc2217://") {
            let (host, port) = parse_host_port(rest, "rfc2217").map_err(bad)?;
            return Ok(PortSpec::Rfc2217 { host, port });
        }
        if let Some(rest) = spec.strip_prefix("sim:") {
            if rest.is_empty() {
                return Err(bad("the simulator needs a profile, e.g. `sim:hayes` or `sim:gsm`".into()));
            }
            return Ok(PortSpec::Sim(rest.to_string()));
        }
        if let Some(rest) = spec.strip_prefix("replay:") {
            if rest.is_empty() {
                return Err(bad("give the transcript to play, e.g. `replay:session.transcript`".into()));
            }
            return Ok(PortSpec::Replay(PathBuf::from(rest)));
        }
        if let Some((scheme, _)) = spec.split_once("://") {
            return Err(bad(format!(
                "unknown scheme `{scheme}://`; ports are a device path, `-`, tcp://host:port, \
                 rfc2217://host:port or sim:PROFILE"
            )));
        }
        // `localhost:2000` is far more likely a forgotten scheme than a file in the current
        // directory with a colon in its name.
        if !spec.contains('/') {
            // `tcp:HOST:PORT` is how `atchat sim --phonebook` names a TCP service: here the
            // scheme takes `//`.
            for scheme in ["tcp", "rfc2217"] {
                let rest = spec.get(scheme.len() + 1..).unwrap_or_default();
                let prefix = spec.get(..scheme.len() + 1).unwrap_or_default();
                if prefix.eq_ignore_ascii_case(&format!("{scheme}:")) && rest.contains(':') {
                    return Err(bad(format!("did you mean `{scheme}://{rest}`?")));
                }
            }
            if let Some((host, port)) = spec.rsplit_once(':') {
                if !host.is_empty() && port.parse::<u16>().is_ok() {
                    return Err(bad(format!("did you mean `tcp://{spec}` or `rfc2217://{spec}`?")));
                }
            }
        }
        if spec.contains('\0') {
            return Err(bad("a device path cannot contain a NUL byte".into()));
        }
        Ok(PortSpec::Device(PathBuf::from(spec)))
    }
}

/// Splits `host:port`, `[v6]:port`; the reason is a complete sentence for `BadSpec`.
fn parse_host_port(rest: &str, scheme: &str) -> Result<(String, u16), String> {
    let example = format!("e.g. {scheme}://127.0.0.1:2000 or {scheme}://[::1]:2000");
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') || rest.contains('?') || rest.contains('@') {
        return Err(format!("expected only host:port after `{scheme}://`, {example}"));
    }
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) =
            bracketed.split_once(']').ok_or_else(|| format!("missing `]` after the IPv6 address, {example}"))?;
        let port = after.strip_prefix(':').ok_or_else(|| format!("missing `:port` after `[{host}]`, {example}"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{host}` is not an IPv6 address, {example}"));
        }
        (host, port)
    } else {
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| format!("missing `:port`, {example}"))?;
        if host.contains(':') {
            return Err(format!("write an IPv6 address in brackets, {example}"));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(format!("missing host, {example}"));
    }
    let port = match port.parse::<u16>() {
        Ok(0) | Err(_) => return Err(format!("`{port}` is not a TCP port number (1 to 65535), {example}")),
        Ok(port) => port,
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for PortSpec {
    /// The spec as the user would write it; `parse` of this text gives the spec back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn host_port(f: &mut fmt::Formatter<'_>, scheme: &str, host: &str, port: u16) -> fmt::Result {
            if host.contains(':') {
                write!(f, "{scheme}://[{host}]:{port}")
            } else {
                write!(f, "{scheme}://{host}:{port}")
            }
        }
        match self {
            PortSpec::Device(path) => write!(f, "{}", path.display()),
            PortSpec::Stdio => f.write_str("-"),
            PortSpec::Tcp { host, port } => host_port(f, "tcp", host, *port),
            PortSpec::Rfc2217 { host, port } => host_port(f, "rfc2217", host, *port),
            PortSpec::Sim(rest) => write!(f, "sim:{rest}"),
            PortSpec::Replay(path) => write!(f, "replay:{}", path.display()),
        }
    }
}

/// Line settings for a serial device (and, over the network, for an RFC 2217 port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialOptions {
    /// Line speed in bits per second (`--baud`).
    pub baud: u32,
    /// Flow control (`--flow`).
    pub flow: FlowControl,
    /// Parity (`--parity`).
    pub parity: Parity,
    /// Bits per character (`--data-bits`).
    pub data_bits: DataBits,
    /// Stop bits (`--stop-bits`).
    pub stop_bits: StopBits,
}

impl Default for SerialOptions {
    /// 115200 8N1 without flow control: what current USB modems and GSM modules expect.
    fn default() -> Self {
        SerialOptions {
            baud: 115_200,
            flow: FlowControl::None,
            parity: Parity::None,
            data_bits: DataBits::Eight,
            stop_bits: StopBits::One,
        }
    }
}

/// A value given to one of the serial line options that it does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option, e.g. `--flow`.
    pub option: &'static str,
    /// What the user gave.
    pub value: String,
    /// The accepted values, for the message.
    pub expected: &'static str,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a valid {}; expected {}", self.value, self.option, self.expected)
    }
}

impl std::error::Error for OptionError {}

/// Declares a small option enum with its spellings, `FromStr` (case-insensitive) and
/// `Display` (the first spelling), so the CLI and messages agree on the names.
macro_rules! line_option {
    ($(#[$doc:meta])* $name:ident, $option:literal, $expected:literal,
     { $($(#[$vdoc:meta])* $variant:ident => [$($spelling:literal),+]),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl FromStr for $name {
            type Err = OptionError;

            fn from_str(s: &str) -> Result<Self, OptionError> {
                let lower = s.to_ascii_lowercase();
                $(if [$($spelling),+].contains(&lower.as_str()) {
                    return Ok($name::$variant);
                })+
                Err(OptionError { option: $option, value: s.to_string(), expected: $expected })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant => f.write_str([$($spelling),+][0])),+
                }
            }
        }
    };
}

line_option!(
    /// Flow control on the serial line.
    FlowControl, "--flow", "none, rtscts or xonxoff", {
        /// No flow control.
        None => ["none", "off"],
        /// Hardware flow control on RTS/CTS (`crtscts`).
        RtsCts => ["rtscts", "hardware", "crtscts"],
        /// Software flow control with XON/XOFF characters.
        XonXoff => ["xonxoff", "software"],
    }
);

line_option!(
    /// Parity bit on the serial line.
    Parity, "--parity", "none, odd or even", {
        /// No parity bit.
        None => ["none", "n"],
        /// Odd parity.
        Odd => ["odd", "o"],
        /// Even parity.
        Even => ["even", "e"],
    }
);

line_option!(
    /// Bits per character.
    DataBits, "--data-bits", "5, 6, 7 or 8", {
        /// 5 data bits.
        Five => ["5"],
        /// 6 data bits.
        Six => ["6"],
        /// 7 data bits (often with even parity on old modems).
        Seven => ["7"],
        /// 8 data bits.
        Eight => ["8"],
    }
);

line_option!(
    /// Stop bits.
    StopBits, "--stop-bits", "1 or 2", {
        /// One stop bit.
        One => ["1"],
        /// Two stop bits.
        Two => ["2"],
    }
);

impl DataBits {
    /// The number of bits, 5 to 8.
    pub fn bits(self) -> u8 {
        match self {
            DataBits::Five => 5,
            DataBits::Six => 6,
            DataBits::Seven => 7,
            DataBits::Eight => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn ok(spec: &str, expected: PortSpec) {
        let parsed: PortSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(parsed, expected, "{spec}");
        assert_eq!(parsed.to_string().parse::<PortSpec>().ok(), Some(expected), "round trip of {spec}");
    }

    #[track_caller]
    fn bad(spec: &str, reason_contains: &str) {
        match spec.parse::<PortSpec>() {
            Err(PortError::BadSpec { spec: s, reason }) => {
                assert_eq!(s, spec);
                assert!(reason.contains(reason_contains), "{spec}: reason was {reason:?}");
            }
            other => panic!("{spec}: expected BadSpec, got {other:?}"),
        }
    }

    fn tcp(host: &str, port: u16) -> PortSpec {
        PortSpec::Tcp { host: host.into(), port }
    }

    #[test]
    fn good_specs() {
        ok("/dev/ttyUSB0", PortSpec::Device("/dev/ttyUSB0".into()));
        ok("/dev/pts/3", PortSpec::Device("/dev/pts/3".into()));
        ok("ttyS0", PortSpec::Device("ttyS0".into()));
        ok("./modem", PortSpec::Device("./modem".into()));
        ok("-", PortSpec::Stdio);
        ok("tcp://127.0.0.1:2000", tcp("127.0.0.1", 2000));
        ok("tcp://[::1]:2000", tcp("::1", 2000));
        ok("tcp://modem.example:23", tcp("modem.example", 23));
        ok("tcp://localhost:2000/", tcp("localhost", 2000));
        ok("rfc2217://[::1]:7000", PortSpec::Rfc2217 { host: "::1".into(), port: 7000 });
        ok("sim:hayes", PortSpec::Sim("hayes".into()));
        ok("sim:gsm?scenario=x.scn", PortSpec::Sim("gsm?scenario=x.scn".into()));
        ok("replay:bug.transcript", PortSpec::Replay("bug.transcript".into()));
        ok("replay:/tmp/a b.transcript", PortSpec::Replay("/tmp/a b.transcript".into()));
    }

    #[test]
    fn bad_specs_say_why() {
        bad("", "empty");
        bad("tcp://", "missing `:port`");
        bad("tcp://host", "missing `:port`");
        bad("tcp://:2000", "missing host");
        bad("tcp://host:0", "not a TCP port number");
        bad("tcp://host:70000", "not a TCP port number");
        bad("tcp://host:x", "not a TCP port number");
        bad("tcp://::1:2000", "brackets");
        bad("tcp://[::1:2000", "missing `]`");
        bad("tcp://[::1]2000", "missing `:port`");
        bad("tcp://[nope]:2000", "not an IPv6 address");
        bad("tcp://host:1/path", "only host:port");
        bad("rfc2217://host", "rfc2217://127.0.0.1:2000");
        bad("udp://host:1", "unknown scheme `udp://`");
        bad("sim:", "needs a profile");
        bad("replay:", "transcript to play");
        bad("localhost:2000", "did you mean `tcp://localhost:2000`");
        bad("tcp:127.0.0.1:2000", "did you mean `tcp://127.0.0.1:2000`?");
        bad("rfc2217:host:2000", "did you mean `rfc2217://host:2000`?");
        bad("/dev/tty\0x", "NUL");
    }

    #[test]
    fn options_parse_and_print_the_same_names() {
        assert_eq!("rtscts".parse(), Ok(FlowControl::RtsCts));
        assert_eq!("XonXoff".parse(), Ok(FlowControl::XonXoff));
        assert_eq!("none".parse(), Ok(FlowControl::None));
        assert_eq!("even".parse(), Ok(Parity::Even));
        assert_eq!("odd".parse(), Ok(Parity::Odd));
        assert_eq!("7".parse(), Ok(DataBits::Seven));
        assert_eq!("2".parse(), Ok(StopBits::Two));
        assert_eq!(FlowControl::RtsCts.to_string(), "rtscts");
        assert_eq!(Parity::Even.to_string(), "even");
        assert_eq!(DataBits::Five.to_string(), "5");
        assert_eq!(DataBits::Seven.bits(), 7);
        let err = "9".parse::<DataBits>().unwrap_err();
        assert_eq!(err.to_string(), "`9` is not a valid --data-bits; expected 5, 6, 7 or 8");
        assert!("3".parse::<StopBits>().is_err());
        assert!("mark".parse::<Parity>().is_err());
        assert!("cts".parse::<FlowControl>().is_err());
    }

    #[test]
    fn default_is_115200_8n1() {
        let o = SerialOptions::default();
        assert_eq!(o.baud, 115_200);
        assert_eq!(
            (o.flow, o.parity, o.data_bits, o.stop_bits),
            (FlowControl::None, Parity::None, DataBits::Eight, StopBits::One)
        );
    }
}
