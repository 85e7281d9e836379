//! The I/O loop of `atchat sim`: one thread, `poll(2)` over the DTE side (pty master or
//! TCP client), the `--listen` socket and the call to another sim, with the modem's next
//! wakeup as the poll timeout.
//!
//! Calls between sims use a small protocol over TCP: the caller sends
//! `ATCHAT-CALL <from>\n`; the callee rings and later sends `ATCHAT-ANSWER\n` (then both
//! directions carry raw data) or `ATCHAT-BUSY\n`; closing the connection is hanging up.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use super::pty::Pty;
use super::rfc2217::{LineControl, Rfc2217Server};
use crate::sim::{LinkEvent, LinkRequest, Modem};

/// Output waiting for a slow client is capped; beyond this the modem's bytes are lost, as
/// they would be on a serial line without flow control.
const MAX_BUFFERED: usize = 1 << 20;

/// The longest handshake line between sims.
const MAX_HANDSHAKE: usize = 256;

/// How long connecting to another sim may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long connecting to a TCP service may take, per address. The loop waits meanwhile
/// (the modem is dialing; what the DTE sends waits in the pty or socket).
const SERVICE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the DTE side of the modem is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// A pseudo-terminal; its path is printed on stdout.
    Pty,
    /// Raw TCP, one client at a time.
    Tcp(SocketAddr),
    /// RFC 2217 (Telnet COM-PORT-CONTROL), one client at a time.
    Rfc2217(SocketAddr),
}

/// The far end a dialed number reaches through the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another `atchat sim --listen`: the `ATCHAT-CALL` handshake, then data.
    Sim(SocketAddr),
    /// A plain TCP service (`HOST:PORT`, as tcpser dials): connected is answered, the
    /// bytes pass as they are, the service closing is the far end hanging up.
    Tcp(String),
}

impl Target {
    /// Parses what a phonebook entry or `--packet-data` says: `tcp:HOST:PORT` (a TCP
    /// service; HOST may be a name), `sim:IP:PORT` or `IP:PORT` (another sim).
    pub fn parse(text: &str) -> Result<Target, String> {
        if let Some(service) = text.strip_prefix("tcp:") {
            let port = service.rsplit_once(':').map(|(host, port)| (host, port.parse::<u16>()));
            return match port {
                Some((host, Ok(_))) if !host.is_empty() => Ok(Target::Tcp(service.to_string())),
                _ => Err(format!("`{text}` is not tcp:HOST:PORT")),
            };
        }
        let addr = text.strip_prefix("sim:").unwrap_or(text);
        addr.parse::<SocketAddr>()
            .map(Target::Sim)
            .map_err(|_| format!("`{text}` is not tcp:HOST:PORT, sim:IP:PORT or IP:PORT"))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sim(addr) => write!(f, "sim:{addr}"),
            Target::Tcp(service) => write!(f, "tcp:{service}"),
        }
    }
}

/// How calls leave the modem: to other sims, TCP services and the packet-data endpoint.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Numbers with a far end of their own (`--phonebook NUMBER=TARGET`).
    pub phonebook: HashMap<String, Target>,
    /// Where GSM packet data (`ATD*99#`, `ATD*99***1#`, `+CGDATA`) goes, if anywhere.
    pub packet_data: Option<Target>,
    /// Whether addresses beyond loopback may be called from a dial string.
    pub allow_remote: bool,
    /// Caller id sent with calls (our `--listen` address, or `unknown`).
    pub caller_id: String,
}

/// Whether `number` is a GSM packet-data dial string (`*99#`, `*99***1#`; 27.007 §10.2.1.1).
fn is_packet_data(number: &str) -> bool {
    number.starts_with("*99") && number.ends_with('#')
}

impl Network {
    /// Whether `number` goes to the network rather than the modem's built-in far end.
    fn routes(&self, number: &str) -> bool {
        self.phonebook.contains_key(number)
            || number.contains(':')
            || (self.packet_data.is_some() && is_packet_data(number))
    }

    /// Where `number` goes. The phonebook and `--packet-data` go where the user said; an
    /// address in a dial string must be loopback unless `--allow-remote`.
    fn resolve(&self, number: &str) -> Option<Target> {
        if let Some(target) = self.phonebook.get(number) {
            return Some(target.clone());
        }
        if is_packet_data(number) {
            return self.packet_data.clone();
        }
        if let Some(service) = number.strip_prefix("tcp:") {
            return Some(Target::Tcp(service.to_string()));
        }
        let addr = number.strip_prefix("sim:").unwrap_or(number);
        let addr = addr.to_socket_addrs().ok()?.find(|a| a.is_ipv4() || self.allow_remote)?;
        Some(Target::Sim(addr))
    }

    /// Opens the connection to `target`; `checked`: only loopback addresses unless
    /// `--allow-remote` (a target from a dial string). None: nothing answered (NO
    /// CARRIER, as tcpser answers a failed connect: go4retro/tcpser src/modem_core.c,
    /// `mdm_connect`).
    fn connect(&self, target: &Target, checked: bool) -> Option<TcpStream> {
        let allowed = |a: &SocketAddr| !checked || self.allow_remote || a.ip().is_loopback();
        let (addrs, timeout): (Vec<SocketAddr>, _) = match target {
            Target::Sim(addr) => (vec![*addr], CONNECT_TIMEOUT),
            Target::Tcp(service) => (service.to_socket_addrs().ok()?.collect(), SERVICE_CONNECT_TIMEOUT),
        };
        let stream = addrs.iter().filter(|a| allowed(a)).find_map(|a| TcpStream::connect_timeout(a, timeout).ok())?;
        stream.set_nonblocking(true).ok()?;
        let _ = stream.set_nodelay(true);
        Some(stream)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Role {
    Caller,
    Callee,
}

/// The connection to the other sim of a call.
#[derive(Debug)]
struct Peer {
    stream: TcpStream,
    role: Role,
    /// Handshake bytes not yet a full line.
    line: Vec<u8>,
    /// The callee has received `ATCHAT-CALL` (callee) / the call was answered (both; a
    /// TCP service is answered once connected, and never sees a handshake).
    called: bool,
    answered: bool,
    out: Vec<u8>,
}

/// A DTE client on TCP or RFC 2217.
#[derive(Debug)]
struct Client {
    stream: TcpStream,
    telnet: Option<Rfc2217Server>,
    out: Vec<u8>,
    break_started: Option<Duration>,
}

/// The running sim.
pub struct Server {
    modem: Modem,
    start: Instant,
    pty: Option<Pty>,
    pty_out: Vec<u8>,
    dte_listener: Option<TcpListener>,
    rfc2217: bool,
    client: Option<Client>,
    call_listener: Option<TcpListener>,
    peer: Option<Peer>,
    network: Network,
}

impl Server {
    /// Opens the exposure and the optional `--listen` socket; `announce` receives the
    /// lines to print (the pty path or bound address, then the listen address).
    pub fn open(
        mut modem: Modem,
        exposure: Exposure,
        listen: Option<SocketAddr>,
        mut network: Network,
        announce: &mut dyn FnMut(&str),
    ) -> io::Result<Server> {
        let (mut pty, mut dte_listener, mut rfc2217) = (None, None, false);
        match exposure {
            Exposure::Pty => {
                let p = Pty::open()?;
                announce(p.path());
                pty = Some(p);
            }
            Exposure::Tcp(addr) | Exposure::Rfc2217(addr) => {
                let listener = TcpListener::bind(addr)?;
                listener.set_nonblocking(true)?;
                announce(&listener.local_addr()?.to_string());
                dte_listener = Some(listener);
                rfc2217 = matches!(exposure, Exposure::Rfc2217(_));
                // Nobody is connected yet: DTR is off until a client comes.
                modem.set_dtr(Duration::ZERO, false);
            }
        }
        let call_listener = match listen {
            Some(addr) => {
                let listener = TcpListener::bind(addr)?;
                listener.set_nonblocking(true)?;
                let bound = listener.local_addr()?.to_string();
                announce(&bound);
                network.caller_id = bound;
                Some(listener)
            }
            None => None,
        };
        if network.caller_id.is_empty() {
            network.caller_id = "unknown".to_string();
        }
        let routes = network.clone();
        modem.set_network(move |number| routes.routes(number));
        Ok(Server {
            modem,
            start: Instant::now(),
            pty,
            pty_out: Vec::new(),
            dte_listener,
            rfc2217,
            client: None,
            call_listener,
            peer: None,
            network,
        })
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Serves until an I/O error on the pty (sockets coming and going are normal).
    pub fn run(&mut self) -> io::Result<()> {
        loop {
            self.step()?;
        }
    }

    /// One round: move output, wait for input or the modem's next event, handle input.
    pub fn step(&mut self) -> io::Result<()> {
        self.flush_modem();
        let timeout = self.poll_timeout();
        let mut fds = Vec::new();
        let want_out = |pending: bool| libc::POLLIN | if pending { libc::POLLOUT } else { 0 };
        if let Some(pty) = &self.pty {
            fds.push(pollfd(pty.master(), want_out(!self.pty_out.is_empty())));
        }
        if let Some(l) = &self.dte_listener {
            fds.push(pollfd(l.as_raw_fd(), libc::POLLIN));
        }
        if let Some(c) = &self.client {
            fds.push(pollfd(c.stream.as_raw_fd(), want_out(!c.out.is_empty())));
        }
        if let Some(l) = &self.call_listener {
            fds.push(pollfd(l.as_raw_fd(), libc::POLLIN));
        }
        if let Some(p) = &self.peer {
            fds.push(pollfd(p.stream.as_raw_fd(), want_out(!p.out.is_empty())));
        }
        let ms = timeout.as_millis().min(1000) as libc::c_int;
        // SAFETY: `fds` is a valid array of pollfd for its whole length.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if rc < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
        }
        self.read_pty()?;
        self.accept_client();
        self.read_client();
        self.accept_call();
        self.read_peer();
        self.write_out();
        Ok(())
    }

    fn poll_timeout(&self) -> Duration {
        match self.modem.next_wakeup() {
            // Round up so the wakeup is due when poll returns.
            Some(at) => at.saturating_sub(self.now()) + Duration::from_millis(1),
            None => Duration::from_secs(1),
        }
    }

    /// Moves modem output to the DTE and link requests to the network.
    fn flush_modem(&mut self) {
        let now = self.now();
        if let Some(pty) = &self.pty {
            if let Some(baud) = pty.baud() {
                self.modem.set_baud(baud);
            }
        }
        let mut out = Vec::new();
        self.modem.poll_output(now, &mut out);
        self.deliver(&out);
        if let Some(client) = &mut self.client {
            if let Some(telnet) = &mut client.telnet {
                telnet.modem_state(self.modem.carrier(), &mut client.out);
            }
        }
        for request in self.modem.take_link_requests() {
            self.link_request(now, request);
        }
    }

    fn deliver(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.pty.is_some() {
            append(&mut self.pty_out, bytes);
        } else if let Some(client) = &mut self.client {
            match &client.telnet {
                Some(telnet) => {
                    let mut encoded = Vec::with_capacity(bytes.len());
                    telnet.encode_data(bytes, &mut encoded);
                    append(&mut client.out, &encoded);
                }
                None => append(&mut client.out, bytes),
            }
        }
    }

    fn read_pty(&mut self) -> io::Result<()> {
        let Some(pty) = &self.pty else { return Ok(()) };
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: the buffer is writable for its whole length.
            let n = unsafe { libc::read(pty.master(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let now = self.now();
                self.modem.receive(now, &buf[..n as usize]);
                continue;
            }
            if n == 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(()),
                _ => Err(err),
            };
        }
    }

    fn accept_client(&mut self) {
        let Some(listener) = &self.dte_listener else {
            return;
        };
        while let Ok((stream, _)) = listener.accept() {
            if self.client.is_some() {
                // One DTE at a time, like a serial port opened exclusively.
                drop(stream);
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let _ = stream.set_nodelay(true);
            let mut client = Client { stream, telnet: None, out: Vec::new(), break_started: None };
            if self.rfc2217 {
                let mut telnet = Rfc2217Server::new();
                client.out = telnet.greeting();
                telnet.modem_state(self.modem.carrier(), &mut client.out);
                client.telnet = Some(telnet);
            }
            self.client = Some(client);
            let now = self.now();
            self.modem.set_dtr(now, true);
        }
    }

    fn read_client(&mut self) {
        let now = self.now();
        let Some(client) = &mut self.client else {
            return;
        };
        let (input, closed) = drain(&mut client.stream);
        let (mut data, mut controls) = (Vec::new(), Vec::new());
        match &mut client.telnet {
            Some(telnet) => telnet.decode(&input, &mut data, &mut controls, &mut client.out),
            None => data = input,
        }
        for control in controls {
            match control {
                LineControl::Baud(baud) => self.modem.set_baud(baud),
                LineControl::Dtr(on) => self.modem.set_dtr(now, on),
                LineControl::Rts(on) => self.modem.set_rts(now, on),
                LineControl::Break(true) => client.break_started = Some(now),
                LineControl::Break(false) => {
                    let started = client.break_started.take().unwrap_or(now);
                    self.modem.send_break(now, now.saturating_sub(started));
                }
                LineControl::PurgeInput => data.clear(),
            }
        }
        if !data.is_empty() {
            self.modem.receive(now, &data);
        }
        if closed {
            // The client going away is DTR dropping, as when a serial port is closed.
            self.client = None;
            self.modem.set_dtr(now, false);
        }
    }

    fn accept_call(&mut self) {
        let Some(listener) = &self.call_listener else {
            return;
        };
        while let Ok((mut stream, _)) = listener.accept() {
            if self.peer.is_some() || stream.set_nonblocking(true).is_err() {
                let _ = stream.write_all(b"ATCHAT-BUSY\n");
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.peer = Some(Peer {
                stream,
                role: Role::Callee,
                line: Vec::new(),
                called: false,
                answered: false,
                out: Vec::new(),
            });
        }
    }

    fn link_request(&mut self, now: Duration, request: LinkRequest) {
        match request {
            LinkRequest::Dial(number) => {
                self.peer = None;
                let configured = self.network.phonebook.contains_key(&number) || is_packet_data(&number);
                let target = self.network.resolve(&number);
                let stream = target.as_ref().and_then(|t| self.network.connect(t, !configured));
                match (target, stream) {
                    (Some(Target::Sim(_)), Some(stream)) => {
                        let out = format!("ATCHAT-CALL {}\n", self.network.caller_id).into_bytes();
                        self.peer = Some(Peer {
                            stream,
                            role: Role::Caller,
                            line: Vec::new(),
                            called: true,
                            answered: false,
                            out,
                        });
                    }
                    (Some(Target::Tcp(_)), Some(stream)) => {
                        self.peer = Some(Peer {
                            stream,
                            role: Role::Caller,
                            line: Vec::new(),
                            called: true,
                            answered: true,
                            out: Vec::new(),
                        });
                        self.modem.link_event(now, LinkEvent::Answered);
                    }
                    _ => self.modem.link_event(now, LinkEvent::Hangup),
                }
            }
            LinkRequest::Answer => {
                if let Some(peer) = &mut self.peer {
                    peer.answered = true;
                    peer.out.extend_from_slice(b"ATCHAT-ANSWER\n");
                }
            }
            LinkRequest::Data(bytes) => {
                if let Some(peer) = self.peer.as_mut().filter(|p| p.answered) {
                    append(&mut peer.out, &bytes);
                }
            }
            LinkRequest::Hangup => {
                if let Some(mut peer) = self.peer.take() {
                    if peer.role == Role::Callee && !peer.answered {
                        let _ = peer.stream.write_all(b"ATCHAT-BUSY\n");
                    } else {
                        let _ = peer.stream.write_all(&peer.out);
                    }
                }
            }
        }
    }

    fn read_peer(&mut self) {
        let now = self.now();
        let Some(peer) = &mut self.peer else { return };
        let (input, mut closed) = drain(&mut peer.stream);
        let mut events = Vec::new();
        let mut rest: &[u8] = &input;
        // Handshake lines until the call is answered, raw data after.
        while !rest.is_empty() && !peer.answered {
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                peer.line.extend_from_slice(rest);
                rest = &[];
                if peer.line.len() > MAX_HANDSHAKE {
                    closed = true;
                }
                break;
            };
            peer.line.extend_from_slice(&rest[..nl]);
            rest = &rest[nl + 1..];
            let line = String::from_utf8_lossy(&std::mem::take(&mut peer.line)).into_owned();
            match (&peer.role, line.split_once(' ').map_or(line.as_str(), |(w, _)| w)) {
                (Role::Callee, "ATCHAT-CALL") if !peer.called => {
                    peer.called = true;
                    let from = line.split_once(' ').map_or("unknown", |(_, f)| f).trim().to_string();
                    events.push(LinkEvent::Incoming(from));
                }
                (Role::Caller, "ATCHAT-ANSWER") => {
                    peer.answered = true;
                    events.push(LinkEvent::Answered);
                }
                (Role::Caller, "ATCHAT-BUSY") => {
                    events.push(LinkEvent::Busy);
                    closed = true;
                }
                _ => closed = true,
            }
        }
        if !rest.is_empty() && peer.answered {
            events.push(LinkEvent::Data(rest.to_vec()));
        }
        if closed {
            self.peer = None;
            events.push(LinkEvent::Hangup);
        }
        for event in events {
            self.modem.link_event(now, event);
        }
    }

    fn write_out(&mut self) {
        if let Some(pty) = &self.pty {
            while !self.pty_out.is_empty() {
                // SAFETY: the pointer and length describe the initialised buffer.
                let n = unsafe { libc::write(pty.master(), self.pty_out.as_ptr().cast(), self.pty_out.len()) };
                if n <= 0 {
                    break;
                }
                self.pty_out.drain(..n as usize);
            }
        }
        if let Some(client) = &mut self.client {
            if write_some(&mut client.stream, &mut client.out).is_err() {
                self.client = None;
                let now = self.now();
                self.modem.set_dtr(now, false);
            }
        }
        if let Some(peer) = &mut self.peer {
            if write_some(&mut peer.stream, &mut peer.out).is_err() {
                self.peer = None;
                let now = self.now();
                self.modem.link_event(now, LinkEvent::Hangup);
            }
        }
    }
}

fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

fn append(buffer: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_BUFFERED.saturating_sub(buffer.len());
    buffer.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// Writes what the socket takes now; an error means the other end is gone.
fn write_some(stream: &mut TcpStream, out: &mut Vec<u8>) -> io::Result<()> {
    while !out.is_empty() {
        match stream.write(out) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                out.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Everything a non-blocking stream has to read now, and whether the other end is gone
/// (end of file or an error).
fn drain(stream: &mut impl Read) -> (Vec<u8>, bool) {
    let mut buf = [0u8; 4096];
    let mut input = Vec::new();
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (input, true),
            Ok(n) => input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (input, false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return (input, true),
        }
    }
}
