//! `:term`, the terminal mode: once a call is up (after `CONNECT`), or to talk to the modem
//! by hand, keys go to the modem as they are typed and what it sends goes to the screen
//! unchanged, as minicom and tio do. An escape key brings the prompt back.
//!
//! The escape is tio's: Ctrl-T, then a command key. `Ctrl-T q` leaves, `Ctrl-T Ctrl-T` sends
//! one Ctrl-T, `Ctrl-T b` sends a break, `Ctrl-T ?` lists them. Ctrl-C, Ctrl-Z and Ctrl-D are
//! bytes for the far end, not signals: the terminal is raw while the mode lasts.
//!
//! This is the one place in the REPL that changes the terminal's settings itself (rustyline
//! does so for line editing); they are put back when [`RawStdin`] is dropped, whatever ends
//! the mode.

use std::io;

/// Ctrl-T, tio's escape key.
pub const ESCAPE: u8 = 0x14;

/// What the mode's help says, one line each; the lines end in CR LF for a raw terminal.
pub const HELP: &str = "Ctrl-T q  back to the prompt\r\n\
Ctrl-T b  send a break (250 ms)\r\n\
Ctrl-T Ctrl-T  send Ctrl-T itself\r\n\
Ctrl-T ?  this list\r\n";

/// A command given with the escape key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `Ctrl-T q`: back to the prompt.
    Quit,
    /// `Ctrl-T b`: a break on the line.
    Break,
    /// `Ctrl-T ?`: the list of commands.
    Help,
}

/// What typed bytes ask for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes for the modem.
    Send(Vec<u8>),
    Command(Command),
}

/// Splits typed bytes into bytes for the modem and escape commands. The escape key may end
/// one read and its command key start the next.
#[derive(Debug, Default)]
pub struct Keys {
    escaped: bool,
}

impl Keys {
    /// What `typed` asks for, in order; nothing after `Quit`.
    pub fn feed(&mut self, typed: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        let mut send = Vec::with_capacity(typed.len());
        for &b in typed {
            if !std::mem::take(&mut self.escaped) {
                if b == ESCAPE {
                    self.escaped = true;
                } else {
                    send.push(b);
                }
                continue;
            }
            let command = match b {
                ESCAPE => {
                    send.push(ESCAPE);
                    continue;
                }
                b'q' | b'Q' | 0x11 => Command::Quit,
                b'b' | b'B' => Command::Break,
                b'?' | b'h' | b'H' => Command::Help,
                // An unknown command key is dropped, as tio does.
                _ => continue,
            };
            if !send.is_empty() {
                out.push(Action::Send(std::mem::take(&mut send)));
            }
            out.push(Action::Command(command));
            if command == Command::Quit {
                return out;
            }
        }
        if !send.is_empty() {
            out.push(Action::Send(send));
        }
        out
    }
}

/// The terminal on stdin made raw for the mode; the settings it had come back on drop.
pub struct RawStdin(libc::termios);

impl RawStdin {
    /// Makes stdin raw: no echo, no line editing, no signals from keys, no output processing.
    pub fn enter() -> io::Result<RawStdin> {
        // SAFETY: tcgetattr fills the zeroed termios for fd 0 or fails.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(0, &mut t) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let saved = RawStdin(t);
        // SAFETY: cfmakeraw changes the termios we own; tcsetattr applies it to fd 0.
        unsafe { libc::cfmakeraw(&mut t) };
        if unsafe { libc::tcsetattr(0, libc::TCSADRAIN, &t) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(saved)
    }

    /// The bytes typed so far, waiting at most `timeout_ms` for the first one; empty when
    /// none came. An error means the terminal is gone.
    pub fn read(&self, buf: &mut [u8], timeout_ms: i32) -> io::Result<usize> {
        let mut fds = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut fds, 1, timeout_ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(0) } else { Err(e) };
        }
        if ready == 0 {
            return Ok(0);
        }
        // SAFETY: reading into a buffer we own, at most its length.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the terminal closed")),
            n if n < 0 => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    Ok(0)
                } else {
                    Err(e)
                }
            }
            n => Ok(n as usize),
        }
    }
}

impl Drop for RawStdin {
    fn drop(&mut self) {
        // SAFETY: the termios saved from this descriptor. Nothing to do if it fails: the
        // terminal is gone.
        unsafe { libc::tcsetattr(0, libc::TCSADRAIN, &self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_pass_through_until_the_escape() {
        use Action::{Command as C, Send};
        let mut k = Keys::default();
        assert_eq!(k.feed(b"ATI\r\x03"), [Send(b"ATI\r\x03".to_vec())]);
        assert_eq!(k.feed(b"x\x14\x14y"), [Send(b"x\x14y".to_vec())]);
        assert_eq!(
            k.feed(b"ab\x14b cd\x14q ef"),
            [Send(b"ab".to_vec()), C(Command::Break), Send(b" cd".to_vec()), C(Command::Quit)]
        );
        // The escape key at the end of one read, its command at the start of the next.
        assert_eq!(k.feed(b"z\x14"), [Send(b"z".to_vec())]);
        assert_eq!(k.feed(b"?"), [C(Command::Help)]);
        // An unknown command key is dropped; typing goes on.
        assert_eq!(k.feed(b"\x14zok"), [Send(b"ok".to_vec())]);
    }
}
