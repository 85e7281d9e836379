//! Runs a chat implementation on a pseudo-terminal against a scripted modem, the way pppd
//! runs a connect program: stdin and stdout are the tty (set raw), stderr is captured.
//!
//! The modem is deterministic: it answers what it receives, by rules, so the real chat(8)
//! and `atchat chat` see the same conversation and can be compared byte for byte.

use crate::support::pty::poll_in;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One modem rule: when what was received since the last rule fired ends with `trigger`
/// (or, for a `line` rule, is a line containing it), send `reply` after `delay`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub trigger: Vec<u8>,
    pub reply: Vec<u8>,
    pub delay: Duration,
    /// Fire on a whole line (ending in CR) that contains the trigger, instead.
    pub line: bool,
}

impl Rule {
    fn fires(&self, received: &[u8]) -> bool {
        if self.line {
            received.ends_with(b"\r")
                && received.windows(self.trigger.len().max(1)).any(|w| w == self.trigger.as_slice())
        } else {
            received.ends_with(&self.trigger)
        }
    }
}

/// Something the modem does at a fixed time after the start.
#[derive(Debug, Clone)]
pub enum Timed {
    Send(Vec<u8>),
    /// Close the pty master: the modem is gone.
    Close,
    /// Send the process a signal.
    Signal(i32),
}

/// The modem's script.
#[derive(Debug, Clone, Default)]
pub struct Modem {
    pub rules: Vec<Rule>,
    pub timed: Vec<(Duration, Timed)>,
    /// The tty has software flow control on (`IXON`, as pppd's `xonxoff` sets it): an XOFF
    /// from the modem stops output until XON.
    pub xonxoff: bool,
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: Option<i32>,
    pub written: Vec<u8>,
    pub stderr: Vec<u8>,
}

fn open_pty(xonxoff: bool) -> (OwnedFd, OwnedFd) {
    let (master, slave) = crate::support::pty::open_pair();
    // pppd hands chat a raw tty; do the same, so neither side sees line-discipline effects.
    // SAFETY: tcgetattr/cfmakeraw/tcsetattr on the slave just opened.
    unsafe {
        let mut t = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut t), 0);
        libc::cfmakeraw(&mut t);
        if xonxoff {
            t.c_iflag |= libc::IXON | libc::IXOFF;
        }
        assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t), 0);
    }
    (master, slave)
}

fn write_master(fd: i32, bytes: &[u8]) {
    // SAFETY: writing a live buffer to our own descriptor; a short or failed write only
    // means the other side is gone, which the comparison then shows.
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

/// Runs `program args` in `dir` with `env` (and nothing else of ours) on a pty, playing
/// `modem`; `tty: false` gives it /dev/null as stdin instead. Kills it after `limit`.
pub fn run(
    program: &Path,
    args: &[Vec<u8>],
    dir: &Path,
    env: &[(String, String)],
    modem: &Modem,
    tty: bool,
    limit: Duration,
) -> Run {
    use std::os::unix::ffi::OsStrExt;
    let (master, slave) = open_pty(modem.xonxoff);
    let mut cmd = Command::new(program);
    cmd.args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::piped());
    if tty {
        cmd.stdin(Stdio::from(slave.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave.try_clone().expect("dup slave")));
    } else {
        cmd.stdin(Stdio::null()).stdout(Stdio::from(slave.try_clone().expect("dup slave")));
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    drop(slave);
    let mut stderr = child.stderr.take().expect("stderr pipe");
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let fd = master.as_raw_fd();
    let mut master = Some(master);
    let mut written = Vec::new();
    let mut since_rule = Vec::new();
    let mut queue: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut timed: Vec<(Duration, Timed)> = modem.timed.clone();
    let mut code = None;
    let mut exited_at: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if now - start > limit {
            let _ = child.kill();
        }
        if exited_at.is_none() {
            if let Ok(Some(status)) = child.try_wait() {
                code = status.code().or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    status.signal().map(|s| 128 + s)
                });
                exited_at = Some(now);
            }
        }
        // After the exit, only collect what is still in flight.
        if exited_at.is_some_and(|t| now - t > Duration::from_millis(100)) || master.is_none() && exited_at.is_some() {
            break;
        }
        timed.retain(|(at, action)| {
            if now - start < *at {
                return true;
            }
            match action {
                Timed::Send(bytes) => queue.push((now, bytes.clone())),
                Timed::Close => master = None,
                Timed::Signal(sig) => {
                    // SAFETY: signalling our own child.
                    unsafe { libc::kill(child.id() as i32, *sig) };
                }
            }
            false
        });
        queue.sort_by_key(|(at, _)| *at);
        while queue.first().is_some_and(|(at, _)| *at <= now) {
            let (_, bytes) = queue.remove(0);
            if master.is_some() {
                write_master(fd, &bytes);
            }
        }
        if master.is_none() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        if poll_in(fd, Duration::from_millis(5)) {
            let mut buf = [0u8; 4096];
            // SAFETY: reading into a live buffer from our own descriptor.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            for &b in &buf[..n as usize] {
                written.push(b);
                since_rule.push(b);
                if let Some(rule) = modem.rules.iter().find(|r| r.fires(&since_rule)) {
                    queue.push((Instant::now() + rule.delay, rule.reply.clone()));
                    since_rule.clear();
                }
            }
        }
    }
    if code.is_none() {
        let _ = child.kill();
        code = child.wait().ok().and_then(|s| s.code());
    }
    let _ = child.wait();
    let stderr = err_reader.join().unwrap_or_default();
    Run { code, written, stderr }
}
