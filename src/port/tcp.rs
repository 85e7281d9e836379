//! `tcp://host:port`: a raw byte stream to a terminal server, `socat`, or a modem's network
//! port. Bytes only: no modem control lines, no line speed.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::fd;
use super::{Port, PortError};

/// How long connecting may take, over all addresses the name resolves to.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a raw TCP port refuses modem control.
const NO_CONTROL: &str = "a raw TCP port has no modem control lines; use rfc2217:// for a \
                          server that offers them (e.g. ser2net)";

/// A connected TCP port.
pub struct TcpPort {
    name: String,
    stream: TcpStream,
}

impl TcpPort {
    /// Connects to `host:port` within [`CONNECT_TIMEOUT`]; the port is called `name` in
    /// messages.
    pub fn connect(host: &str, port: u16, name: &str) -> Result<TcpPort, PortError> {
        let stream = connect_stream(host, port, name, CONNECT_TIMEOUT)?;
        Ok(TcpPort { name: name.to_string(), stream })
    }

    /// Wraps an already connected stream (a test's or another port's).
    pub fn from_stream(stream: TcpStream, name: &str) -> Result<TcpPort, PortError> {
        configure(&stream, name)?;
        Ok(TcpPort { name: name.to_string(), stream })
    }

    fn unsupported(&self, op: &'static str) -> PortError {
        PortError::Unsupported { port: self.name.clone(), op, reason: NO_CONTROL.into() }
    }
}

/// Resolves `host` and connects to the first address that answers within `timeout` overall,
/// with the socket set up for a chat: no Nagle delay, bounded writes.
pub(crate) fn connect_stream(host: &str, port: u16, name: &str, timeout: Duration) -> Result<TcpStream, PortError> {
    let open_err = |source| PortError::Open { port: name.to_string(), source };
    let addrs: Vec<_> = (host, port).to_socket_addrs().map_err(open_err)?.collect();
    let deadline = Instant::now() + timeout;
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("`{host}` has no address"));
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => {
                configure(&stream, name)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {
                last = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer from {addr} within {} s", timeout.as_secs()),
                );
            }
            Err(e) => last = io::Error::new(e.kind(), format!("{addr}: {e}")),
        }
    }
    Err(open_err(last))
}

fn configure(stream: &TcpStream, name: &str) -> Result<(), PortError> {
    // Chat scripts send short commands and wait for the answer; Nagle would delay them.
    stream
        .set_nodelay(true)
        .and_then(|()| stream.set_write_timeout(Some(fd::WRITE_STALL_LIMIT)))
        .map_err(|source| PortError::Open { port: name.to_string(), source })
}

/// Writes through the socket API rather than `write(2)`: std sends with MSG_NOSIGNAL, so a
/// peer that went away is an EPIPE error and not a SIGPIPE even in a host without Rust's
/// SIGPIPE handling.
pub(crate) fn stream_write_all(stream: &mut TcpStream, bytes: &[u8], name: &str) -> Result<(), PortError> {
    use io::Write;
    stream.write_all(bytes).map_err(|e| match e.kind() {
        io::ErrorKind::BrokenPipe => PortError::Closed { port: name.to_string() },
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => PortError::Io {
            port: name.to_string(),
            op: "write",
            source: io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the other end accepted nothing for {} s", fd::WRITE_STALL_LIMIT.as_secs()),
            ),
        },
        _ => PortError::Io { port: name.to_string(), op: "write", source: e },
    })
}

impl Port for TcpPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        stream_write_all(&mut self.stream, bytes, &self.name)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        fd::read_timeout(self.stream.as_raw_fd(), buf, timeout, &self.name)
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        Err(self.unsupported(if on { "raise DTR" } else { "drop DTR" }))
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        Err(self.unsupported(if on { "raise RTS" } else { "drop RTS" }))
    }

    fn send_break(&mut self, _duration: Duration) -> Result<(), PortError> {
        Err(self.unsupported("send a break"))
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        Err(self.unsupported("read carrier (DCD)"))
    }

    fn set_baud(&mut self, _baud: u32) -> Result<(), PortError> {
        Err(PortError::Unsupported {
            port: self.name.clone(),
            op: "set the line speed",
            reason: "a raw TCP port has no line speed; use rfc2217:// for a server that \
                     offers it (e.g. ser2net)"
                .into(),
        })
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        fd::drain(self.stream.as_raw_fd(), &self.name)
    }
}
