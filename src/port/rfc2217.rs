//! `rfc2217://host:port`: a serial port on a network server (ser2net, terminal servers)
//! through Telnet with the COM-PORT-CONTROL option (RFC 2217), so baud, DTR, RTS, break and
//! carrier work remotely.
//!
//! [`Telnet`] is the byte-level protocol without I/O: it strips and answers option
//! negotiation, un-doubles IAC in data and collects COM-PORT replies. [`Rfc2217Port`] runs it
//! over a TCP stream.

use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::spec::{FlowControl, Parity, SerialOptions, StopBits};
use super::tcp::{connect_stream, stream_write_all, CONNECT_TIMEOUT};
use super::telnet::{escape_iac, Decoder, Event, StrayIac, DO, DONT, IAC, SB, SE, WILL, WONT};
use super::{fd, Port, PortError};

const OPT_BINARY: u8 = 0;
const OPT_SGA: u8 = 3;
/// COM-PORT-OPTION.
const OPT_COM_PORT: u8 = 44;

// Client-to-server COM-PORT commands; the server answers each with the command plus 100.
const SET_BAUDRATE: u8 = 1;
const SET_DATASIZE: u8 = 2;
const SET_PARITY: u8 = 3;
const SET_STOPSIZE: u8 = 4;
const SET_CONTROL: u8 = 5;
const SET_MODEMSTATE_MASK: u8 = 11;
const PURGE_DATA: u8 = 12;
const SERVER_OFFSET: u8 = 100;
const NOTIFY_MODEMSTATE: u8 = 7 + SERVER_OFFSET;

/// The modem-state bit for carrier detect (DCD).
const MODEMSTATE_DCD: u8 = 0x80;

/// How long the server may take to answer a COM-PORT command.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether an option is enabled on each side of the connection, and whether we asked for
/// it (so the server's agreement is not answered again, RFC 854).
#[derive(Debug, Default, Clone, Copy)]
struct OptionState {
    us: bool,
    them: bool,
    asked_us: bool,
    asked_them: bool,
}

/// The Telnet protocol state: a parser for what the server sends and the bookkeeping for
/// what it agreed to. Feeding it bytes queues data, replies to send and COM-PORT messages.
#[derive(Debug)]
pub struct Telnet {
    decoder: Decoder,
    options: [OptionState; 256],
    /// Modem data received, IAC escapes removed.
    pub data: VecDeque<u8>,
    /// Negotiation answers to send to the server.
    pub replies: Vec<u8>,
    /// COM-PORT messages from the server, as `[command, value...]`.
    pub com_port: Vec<Vec<u8>>,
    /// The last modem state the server reported.
    pub modem_state: Option<u8>,
    /// Whether the last data byte was CR, for the CR NUL rule outside binary mode.
    after_cr: bool,
}

impl Default for Telnet {
    fn default() -> Self {
        Telnet {
            decoder: Decoder::new(StrayIac::KeepByte),
            options: [OptionState::default(); 256],
            data: VecDeque::new(),
            replies: Vec::new(),
            com_port: Vec::new(),
            modem_state: None,
            after_cr: false,
        }
    }
}

impl Telnet {
    /// The greeting a client sends: binary both ways, no go-aheads, and COM-PORT-OPTION.
    pub fn greeting(&mut self) -> Vec<u8> {
        for option in [OPT_BINARY, OPT_SGA] {
            self.options[option as usize].asked_us = true;
            self.options[option as usize].asked_them = true;
        }
        self.options[OPT_COM_PORT as usize].asked_us = true;
        vec![IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY, IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA, IAC, WILL, OPT_COM_PORT]
    }

    /// Whether the server agreed to COM-PORT-OPTION; `None` while it has not answered.
    pub fn com_port_accepted(&self) -> Option<bool> {
        let state = self.options[OPT_COM_PORT as usize];
        match (state.us, state.asked_us) {
            (true, _) => Some(true),
            (false, true) => None,
            (false, false) => Some(false),
        }
    }

    /// Processes bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match self.decoder.push(b) {
                None => {}
                Some(Event::Data(b)) => self.push_data(b),
                Some(Event::Negotiate { verb, option }) => self.negotiate(verb, option),
                Some(Event::Subnegotiation(sub @ [OPT_COM_PORT, _, ..])) => {
                    let message = sub[1..].to_vec();
                    self.push_com_port(message);
                }
                // We never agree to another option that has subnegotiations.
                Some(Event::Subnegotiation(_)) => {}
            }
        }
    }

    fn push_data(&mut self, b: u8) {
        // Outside binary mode the server sends CR as CR NUL.
        let binary = self.options[OPT_BINARY as usize].them;
        if !(b == 0 && self.after_cr && !binary) {
            self.data.push_back(b);
        }
        self.after_cr = b == b'\r';
    }

    /// Takes a COM-PORT message, `[command, value...]`.
    fn push_com_port(&mut self, message: Vec<u8>) {
        if message[0] == NOTIFY_MODEMSTATE {
            if let Some(&state) = message.get(1) {
                self.modem_state = Some(state);
            }
        }
        // Keep a bounded backlog: replies are consumed by the command that waits for them.
        if self.com_port.len() >= 32 {
            self.com_port.remove(0);
        }
        self.com_port.push(message);
    }

    /// Answers one option request following RFC 854's rules: agree to what we support,
    /// refuse the rest, and never answer a request that changes nothing or that answers our
    /// own request (no loops).
    fn negotiate(&mut self, verb: u8, option: u8) {
        let supported_us = matches!(option, OPT_BINARY | OPT_SGA | OPT_COM_PORT);
        let supported_them = matches!(option, OPT_BINARY | OPT_SGA);
        let state = &mut self.options[option as usize];
        let answer = match verb {
            DO if state.us => None,
            DO if supported_us => {
                state.us = true;
                (!std::mem::take(&mut state.asked_us)).then_some(WILL)
            }
            DO => Some(WONT),
            DONT => {
                let was_on = std::mem::take(&mut state.us);
                state.asked_us = false;
                was_on.then_some(WONT)
            }
            WILL if state.them => None,
            WILL if supported_them => {
                state.them = true;
                (!std::mem::take(&mut state.asked_them)).then_some(DO)
            }
            WILL => Some(DONT),
            WONT => {
                let was_on = std::mem::take(&mut state.them);
                state.asked_them = false;
                was_on.then_some(DONT)
            }
            _ => None,
        };
        if let Some(answer) = answer {
            self.replies.extend_from_slice(&[IAC, answer, option]);
        }
    }

    /// Encodes modem data for the wire: IAC doubled, CR NUL outside binary mode.
    pub fn encode_data(&self, bytes: &[u8], out: &mut Vec<u8>) {
        let binary = self.options[OPT_BINARY as usize].us;
        for piece in bytes.split_inclusive(|&b| b == b'\r') {
            escape_iac(piece, out);
            if !binary && piece.ends_with(b"\r") {
                out.push(0);
            }
        }
    }
}

/// Encodes `IAC SB COM-PORT-OPTION command value IAC SE`, doubling IAC in the value.
pub fn com_port_command(command: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![IAC, SB, OPT_COM_PORT, command];
    escape_iac(value, &mut out);
    out.extend_from_slice(&[IAC, SE]);
    out
}

/// A serial port on an RFC 2217 server.
pub struct Rfc2217Port {
    name: String,
    stream: TcpStream,
    telnet: Telnet,
}

impl Rfc2217Port {
    /// Connects to `host:port`, negotiates COM-PORT-OPTION and applies the line settings.
    pub fn connect(host: &str, port: u16, name: &str, opts: &SerialOptions) -> Result<Self, PortError> {
        let stream = connect_stream(host, port, name, CONNECT_TIMEOUT)?;
        let mut port = Rfc2217Port { name: name.to_string(), stream, telnet: Telnet::default() };
        let greeting = port.telnet.greeting();
        port.send(&greeting)?;
        // Wait for the server's DO COM-PORT-OPTION before sending commands it would ignore.
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        loop {
            let refused = match port.telnet.com_port_accepted() {
                Some(true) => break,
                Some(false) => "refused",
                None if Instant::now() >= deadline => "did not agree to",
                None => {
                    port.pump(deadline.saturating_duration_since(Instant::now()))?;
                    continue;
                }
            };
            return Err(PortError::Open {
                port: name.to_string(),
                source: io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!(
                        "the server {refused} RFC 2217 COM-PORT-OPTION; for a raw byte \
                             stream use tcp://"
                    ),
                ),
            });
        }
        port.apply(opts)?;
        Ok(port)
    }

    fn apply(&mut self, opts: &SerialOptions) -> Result<(), PortError> {
        self.set_baud(opts.baud)?;
        let size = opts.data_bits.bits();
        let parity = match opts.parity {
            Parity::None => 1,
            Parity::Odd => 2,
            Parity::Even => 3,
        };
        let stop = match opts.stop_bits {
            StopBits::One => 1,
            StopBits::Two => 2,
        };
        let flow = match opts.flow {
            FlowControl::None => 1,
            FlowControl::XonXoff => 2,
            FlowControl::RtsCts => 3,
        };
        self.command("set the data bits", SET_DATASIZE, &[size])?;
        self.command("set the parity", SET_PARITY, &[parity])?;
        self.command("set the stop bits", SET_STOPSIZE, &[stop])?;
        self.command("set flow control", SET_CONTROL, &[flow])?;
        // Ask for carrier changes; the server answers with the current state too.
        self.send(&com_port_command(SET_MODEMSTATE_MASK, &[0xFF]))
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        stream_write_all(&mut self.stream, bytes, &self.name)
    }

    /// Reads once from the socket (waiting up to `timeout`) into the Telnet state and sends
    /// any negotiation answers. Returns the bytes read.
    fn pump(&mut self, timeout: Duration) -> Result<usize, PortError> {
        let mut buf = [0u8; 4096];
        let n = fd::read_timeout(self.stream.as_raw_fd(), &mut buf, timeout, &self.name)?;
        self.telnet.feed(&buf[..n]);
        if !self.telnet.replies.is_empty() {
            let replies = std::mem::take(&mut self.telnet.replies);
            self.send(&replies)?;
        }
        Ok(n)
    }

    /// Sends a COM-PORT command and waits for the server's answer to it.
    fn command(&mut self, op: &'static str, command: u8, value: &[u8]) -> Result<Vec<u8>, PortError> {
        self.telnet.com_port.retain(|m| m[0] != command + SERVER_OFFSET);
        self.send(&com_port_command(command, value))?;
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            if let Some(i) = self.telnet.com_port.iter().position(|m| m[0] == command + SERVER_OFFSET) {
                return Ok(self.telnet.com_port.remove(i).split_off(1));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PortError::Io {
                    port: self.name.clone(),
                    op,
                    source: io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the RFC 2217 server did not answer within {} s (ser2net stays \
                             silent when its device cannot do this, e.g. DTR on a pty)",
                            REPLY_TIMEOUT.as_secs()
                        ),
                    ),
                });
            }
            self.pump(left)?;
        }
    }

    fn control(&mut self, op: &'static str, value: u8) -> Result<(), PortError> {
        self.command(op, SET_CONTROL, &[value]).map(drop)
    }
}

impl Port for Rfc2217Port {
    fn name(&self) -> &str {
        &self.name
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        let mut wire = Vec::with_capacity(bytes.len() + 8);
        self.telnet.encode_data(bytes, &mut wire);
        self.send(&wire)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if !self.telnet.data.is_empty() || buf.is_empty() {
                let n = buf.len().min(self.telnet.data.len());
                for (slot, b) in buf.iter_mut().zip(self.telnet.data.drain(..n)) {
                    *slot = b;
                }
                return Ok(n);
            }
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            // Negotiation alone wakes us without data; keep waiting out the timeout.
            if self.pump(left)? == 0 {
                return Ok(0);
            }
        }
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        if on {
            self.control("raise DTR", 8)
        } else {
            self.control("drop DTR", 9)
        }
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        if on {
            self.control("raise RTS", 11)
        } else {
            self.control("drop RTS", 12)
        }
    }

    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        self.control("send a break", 5)?;
        super::sleep_unless_signalled(duration);
        self.control("send a break", 6)
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        // Take in any pending notification without waiting.
        self.pump(Duration::ZERO)?;
        if self.telnet.modem_state.is_none() {
            self.send(&com_port_command(SET_MODEMSTATE_MASK, &[0xFF]))?;
            let deadline = Instant::now() + REPLY_TIMEOUT;
            while self.telnet.modem_state.is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(PortError::Unsupported {
                        port: self.name.clone(),
                        op: "read carrier (DCD)",
                        reason: "the RFC 2217 server does not report the modem state".into(),
                    });
                }
                self.pump(left)?;
            }
        }
        Ok(self.telnet.modem_state.is_some_and(|s| s & MODEMSTATE_DCD != 0))
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        if baud == 0 {
            // 0 asks the server for its current speed instead of setting one.
            return Err(PortError::Unsupported {
                port: self.name.clone(),
                op: "set the line speed",
                reason: "0 is not a line speed (to hang up, drop DTR)".into(),
            });
        }
        self.command("set the line speed", SET_BAUDRATE, &baud.to_be_bytes()).map(drop)
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        // 1: purge the server's receive buffer; then drop what already reached us.
        self.command("discard input", PURGE_DATA, &[1])?;
        self.telnet.data.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_iac_is_undoubled_and_commands_stripped() {
        let mut t = Telnet::default();
        t.greeting();
        t.feed(&[IAC, WILL, OPT_BINARY]);
        t.feed(&[b'O', IAC, IAC, b'K', IAC, 241 /* NOP */, b'\r', 0, b'\n']);
        assert_eq!(t.data.iter().copied().collect::<Vec<_>>(), [b'O', 255, b'K', b'\r', 0, b'\n']);
        assert!(t.replies.is_empty());
    }

    #[test]
    fn cr_nul_is_undone_outside_binary_mode() {
        let mut t = Telnet::default();
        t.feed(b"OK\r\0\n");
        assert_eq!(t.data.iter().copied().collect::<Vec<_>>(), b"OK\r\n");
        let mut out = Vec::new();
        t.encode_data(b"AT\r", &mut out);
        assert_eq!(out, b"AT\r\0");
    }

    #[test]
    fn outgoing_iac_is_doubled() {
        let mut t = Telnet::default();
        t.greeting();
        t.feed(&[IAC, DO, OPT_BINARY]);
        let mut out = Vec::new();
        t.encode_data(&[1, IAC, b'\r'], &mut out);
        assert_eq!(out, [1, IAC, IAC, b'\r']);
        assert_eq!(com_port_command(SET_BAUDRATE, &[0, 0, 0xFF, 0]), [IAC, SB, 44, 1, 0, 0, IAC, IAC, 0, IAC, SE]);
    }

    #[test]
    fn negotiation_agrees_refuses_and_does_not_loop() {
        let mut t = Telnet::default();
        t.greeting();
        assert_eq!(t.com_port_accepted(), None);
        // Agreement to what we asked is not answered again.
        t.feed(&[IAC, DO, OPT_BINARY, IAC, WILL, OPT_BINARY, IAC, DO, OPT_COM_PORT]);
        assert!(t.replies.is_empty(), "{:?}", t.replies);
        assert_eq!(t.com_port_accepted(), Some(true));
        // A request we did not make is answered once.
        t.feed(&[IAC, DONT, OPT_SGA, IAC, DO, OPT_SGA, IAC, DO, OPT_SGA]);
        assert_eq!(t.replies, [IAC, WILL, OPT_SGA]);
        t.replies.clear();
        // Echo and terminal type are refused; a repeated refusal changes nothing.
        t.feed(&[IAC, WILL, 1, IAC, DO, 24, IAC, WONT, 1]);
        assert_eq!(t.replies, [IAC, DONT, 1, IAC, WONT, 24]);
    }

    #[test]
    fn com_port_replies_and_modem_state_are_collected() {
        let mut t = Telnet::default();
        t.feed(&[IAC, SB, 44, 101, 0, 0, 0x25, 0x80, IAC, SE, b'x']);
        t.feed(&[IAC, SB, 44, NOTIFY_MODEMSTATE, 0xB0, IAC, SE]);
        t.feed(&[IAC, SB, 44, 105, IAC, IAC, IAC, SE]);
        assert_eq!(t.com_port, vec![vec![101, 0, 0, 0x25, 0x80], vec![NOTIFY_MODEMSTATE, 0xB0], vec![105, IAC]]);
        assert_eq!(t.modem_state, Some(0xB0));
        assert_eq!(t.data, [b'x']);
    }

    #[test]
    fn garbage_never_panics_or_grows_without_bound() {
        let mut t = Telnet::default();
        let mut junk = vec![IAC, SB, 44];
        junk.extend(std::iter::repeat_n(7u8, 10_000));
        t.feed(&junk);
        t.feed(&[IAC, SE, IAC, SB, IAC, SE, IAC, SB, 44, IAC, SE]);
        for b in 0..=255u8 {
            t.feed(&[IAC, b, b, IAC]);
        }
        assert!(t.com_port.len() <= 32);
        // Every message is a capped subnegotiation less its option byte.
        assert!(t.com_port.iter().all(|m| m.len() < 64));
    }

    #[test]
    fn a_server_refusing_com_port_is_noticed() {
        let mut t = Telnet::default();
        t.greeting();
        t.feed(&[IAC, DONT, OPT_COM_PORT]);
        assert_eq!(t.com_port_accepted(), Some(false));
        assert!(t.replies.is_empty());
    }
}
