//! `atchat repl` as a person uses it: through a pipe, and on a real pseudo-terminal where
//! rustyline edits the line and Ctrl-C is a signal from the terminal.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::support::cli::Test;
use crate::support::pty::{poll_in, Pty};

const ATCHAT: &str = env!("CARGO_BIN_EXE_atchat");

#[test]
fn piped_lines_run_one_by_one() {
    // Replies are timestamped and classified; no colours on a pipe.
    let out = Test::new()
        .args(["repl", "--port", "sim:hayes"])
        .stdin("ATI3\nlet who = \"bench\"\nsay \"hello {who}\"\non RING {\n  say \"ring\"\n}\nAT+NOSUCH\n:vars\n:pending\n")
        .stdout(
            "[..] > ATI3
[..] < echo  ATI3
[..] < info  atchat simulated Hayes modem [..]
[..] < final OK
[..] ! hello bench
[..] > AT+NOSUCH
[..] < echo  AT+NOSUCH
[..] < final ERROR
who = \"bench\"
nothing awaited
handlers in force: RING
",
        )
        .run();
    let stamp = out.stdout.lines().find(|l| l.contains("< final OK")).unwrap_or_default();
    assert!(stamp.trim_start().split(' ').next().is_some_and(|t| t.parse::<f64>().is_ok()), "{stamp}");
}

#[test]
fn piped_mistakes_and_failures_are_reported_and_the_repl_goes_on() {
    Test::new()
        .args(["repl", "--port", "sim:hayes"])
        .stdin("say \"{nope}\"\nexpect BUSY within 100ms\n:frobnicate\n:term\nsay \"still here\"\n")
        .stdout(
            "atchat::unknown-name

  × unknown name `nope`
   ╭─[<input>:1:7]
 1 │ say \"{nope}\"
   ·       ──┬─
   ·         ╰── not assigned anywhere visible
   ╰────
  help: assign it first (`let nope = ...`), capture it in a pattern (`\"{nope}\"`) or declare it
        (`param nope`)
<input>:1: timed out after 100ms waiting for BUSY; last bytes received: \"\" (exit 3; the entry is not kept in the session)
error: no command `:frobnicate`; :help lists them
error: :term needs a terminal (stdin and stdout)
[..] ! still here
",
        )
        .run();
}

#[test]
fn the_saved_session_checks_and_replays() {
    let saved = Test::new()
        .args(["repl", "--port", "sim:hayes"])
        .stdin("ATE1\nlet secs = \"45\"\nsend \"ATS7={secs}\"\nexpect OK\nAT+NOSUCH\n:save session.atc\n")
        .stdout_has("saved")
        .run();
    let script = std::fs::read_to_string(saved.dir.path().join("session.atc")).expect("saved");
    assert!(script.contains("port \"sim:hayes\""), "{script}");
    Test::new().file("session.atc", &script).args(["check", "session.atc"]).stderr("ok: 1 file\n").run();
    Test::new().file("session.atc", &script).args(["run", "-v", "session.atc"]).stderr_has("> ATS7=45\\r").run();
}

#[test]
fn run_debug_stops_before_the_first_line() {
    Test::new()
        .file("dial.atc", "# a script to debug\nsay \"first\"\nsend \"AT\"\nexpect OK\nsay \"last\"\n")
        .args(["run", "--debug", "--port", "sim:hayes", "dial.atc"])
        .stdin(":vars\n:step\n:next\n:pending\n:continue\n")
        // Nothing runs before the first stop.
        .stdout(
            "stopped at dial.atc:2: say \"first\"
no variables
[..] ! first
stopped at dial.atc:3: send \"AT\"
[..] > AT
stopped at dial.atc:4: expect OK
nothing awaited
[..] < echo  AT
[..] < final OK
[..] ! last
script ended with exit 0
",
        )
        .run();
}

/// `atchat` on a pseudo-terminal: the test types on the master side and reads the screen.
struct Terminal {
    pty: Pty,
    child: Child,
    /// Everything shown so far, ANSI escapes removed.
    screen: String,
    /// How much of `screen` the last `expect` consumed.
    seen: usize,
}

impl Terminal {
    fn spawn(args: &[&str], state: &std::path::Path) -> Terminal {
        let pty = Pty::new();
        let slave = || std::fs::OpenOptions::new().read(true).write(true).open(&pty.path).expect("open slave");
        let mut command = Command::new(ATCHAT);
        command
            .args(args)
            .env("TERM", "xterm")
            .env("XDG_STATE_HOME", state)
            .env_remove("NO_COLOR")
            .stdin(slave())
            .stdout(slave())
            .stderr(slave());
        // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
        // controlling terminal is the pty, so Ctrl-C typed there is SIGINT for atchat.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let size = libc::winsize { ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ with a valid winsize on our master descriptor.
        unsafe { libc::ioctl(pty.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        let child = command.spawn().expect("spawn atchat on a pty");
        Terminal { pty, child, screen: String::new(), seen: 0 }
    }

    fn type_text(&mut self, text: &str) {
        self.pty.master.write_all(text.as_bytes()).expect("type");
    }

    /// Waits until `want` appears after what was seen before; returns the time it took.
    #[track_caller]
    fn expect(&mut self, want: &str, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if let Some(i) = self.screen[self.seen..].find(want) {
                self.seen += i + want.len();
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "{want:?} did not appear; the screen shows:\n{}",
                &self.screen[self.seen..]
            );
            if poll_in(self.pty.master.as_raw_fd(), Duration::from_millis(20)) {
                let mut buf = [0u8; 4096];
                match self.pty.master.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        let raw = String::from_utf8_lossy(&buf[..n]);
                        // rustyline asks where the cursor is; answer as a terminal would.
                        for _ in raw.matches("\x1b[6n") {
                            self.type_text("\x1b[1;1R");
                        }
                        self.screen.push_str(&strip_ansi(&raw));
                    }
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a REPL running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        if c != '\r' {
            out.push(c);
        }
    }
    out
}

const LONG: Duration = Duration::from_secs(10);

#[test]
fn on_a_terminal_replies_completion_blocks_and_ctrl_c() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut t = Terminal::spawn(&["repl", "--port", "sim:hayes"], state.path());
    t.expect("atchat> ", LONG);
    t.type_text("ATI3\r");
    t.expect("final OK", LONG);
    t.expect("atchat> ", LONG);

    // Tab completes what is common, Tab again lists the commands with their hints.
    t.type_text("AT+CMG\t\t");
    t.expect("AT+CMGS", LONG);
    t.expect("send an SMS", LONG);
    // The hint for a register, then the line is thrown away with Ctrl-C at the prompt.
    t.type_text("\x15ATS7");
    t.expect("wait for carrier, seconds", LONG);
    t.type_text("\x03");
    t.expect("atchat> ", LONG);

    // A block over several lines: the open `{` continues the entry.
    t.type_text("on RING {\r");
    t.type_text("say \"ring ring\"\r");
    t.type_text("}\r");
    t.expect("atchat> ", LONG);
    t.type_text(":pending\r");
    t.expect("handlers in force: RING", LONG);

    // Ctrl-C stops a 60 s wait, not the REPL.
    t.type_text("expect \"NEVER\" within 60s\r");
    std::thread::sleep(Duration::from_millis(500));
    t.type_text("\x03");
    let took = t.expect("interrupted", Duration::from_secs(5));
    eprintln!("Ctrl-C during a 60 s wait: back in {} ms", took.as_millis());
    t.expect("atchat> ", LONG);
    t.type_text("say \"alive\"\r");
    t.expect("! alive", LONG);
    t.expect("atchat> ", LONG);

    // Ctrl-D leaves cleanly, and the history was kept.
    t.type_text("\x04");
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(s)) = t.child.try_wait() {
            break s;
        }
        assert!(start.elapsed() < LONG, "atchat did not leave on Ctrl-D");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let history = std::fs::read_to_string(state.path().join("atchat/history")).expect("history file");
    assert!(history.contains("ATI3") && history.contains("say \"alive\""), "{history}");
}

#[test]
fn on_a_terminal_breakpoints_and_steps_through_a_script() {
    let state = tempfile::tempdir().expect("tempdir");
    let script = state.path().join("bring-up.atc");
    std::fs::write(&script, "let n = \"1\"\nsend \"ATE0\"\nexpect OK\nsay \"n is {n}\"\nsay \"done\"\n").unwrap();
    let mut t = Terminal::spawn(&["repl", "--port", "sim:hayes"], state.path());
    t.expect("atchat> ", LONG);
    t.type_text(&format!(":load {}\r", script.display()));
    t.expect("loaded", LONG);
    t.type_text(":break 3\r");
    t.expect("breakpoint at line 3", LONG);
    t.type_text(":run\r");
    t.expect("stopped at", LONG);
    t.expect(":3: expect OK", LONG);
    t.type_text(":vars\r");
    t.expect("n = \"1\"", LONG);
    t.type_text(":step\r");
    t.expect(":4: say \"n is {n}\"", LONG);
    t.type_text(":next\r");
    t.expect("! n is 1", LONG);
    t.type_text(":continue\r");
    t.expect("! done", LONG);
    t.expect("script ended with exit 0", LONG);
    t.type_text(":quit\r");
    let start = Instant::now();
    while t.child.try_wait().ok().flatten().is_none() {
        assert!(start.elapsed() < LONG, "atchat did not leave on :quit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
