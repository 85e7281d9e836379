//! The progress line of `atchat run` while a wait runs: shown on a real terminal (stderr on
//! a pty the test reads), erased when the wait ends and before any other line; never on a
//! pipe, with `--no-progress`, `ATCHAT_NO_PROGRESS`, `TERM=dumb` or `--port -`.

use std::io::Read as _;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::Test;
use crate::support::pty::{open_pair, poll_in};

/// A scenario whose dial takes 2.5 s to answer: a wait long enough to be shown.
const SLOW_DIAL: &str = "ring-delay 2500ms\n";
const DIAL: &str = "send \"ATD5551234\"\nexpect \"CONNECT {rate}\" within 10s\nsay \"connected at {rate}\"\n";

/// What `atchat ARGS` wrote to its stderr, a terminal (a pty with `TERM=xterm` unless `env`
/// says otherwise), in folder `dir`; with its exit code. Stdin is `stdin`.
#[track_caller]
fn on_terminal(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: Stdio) -> (i32, String) {
    shown_on_terminal(dir, args, env, stdin, false)
}

/// [`on_terminal`], with stdout on the same terminal too when `stdout_too`, as in a shell.
#[track_caller]
fn shown_on_terminal(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Stdio,
    stdout_too: bool,
) -> (i32, String) {
    let (master, slave) = open_pair();
    let stdout = if stdout_too {
        Stdio::from(slave.try_clone().expect("a second descriptor of the pty"))
    } else {
        Stdio::null()
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
    cmd.args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ATCHAT_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("TERM", "xterm").envs(env.iter().copied());
    let mut child = cmd.stdin(stdin).stdout(stdout).stderr(Stdio::from(slave)).spawn().expect("start atchat");
    drop(cmd);
    // Until atchat closes its end (EIO), or 20 s: far more than any run here takes.
    let mut master = std::fs::File::from(master);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        if !poll_in(master.as_raw_fd(), Duration::from_millis(100)) {
            if child.try_wait().expect("atchat's status").is_some() && !poll_in(master.as_raw_fd(), Duration::ZERO) {
                break;
            }
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let _ = child.kill();
    let status = child.wait().expect("wait for atchat").code().unwrap_or(-1);
    (status, String::from_utf8_lossy(&got).into_owned())
}

/// What a terminal shows after `output`: `\r` goes back to the line's start, `ESC [ K` erases
/// to its end, anything else is text (so a stray escape shows).
fn screen(output: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut col = 0;
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                lines.push(line.iter().collect());
                line.clear();
                col = 0;
            }
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                assert_eq!(chars.next(), Some('K'), "an escape other than erase-line in {output:?}");
                line.truncate(col);
            }
            c => {
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line.iter().collect());
    }
    lines
}

/// Whether `output` holds a progress line that starts with `start` (up to the elapsed
/// time's first digits) and ends with `end`: the tenths depend on how busy the machine is.
fn drawn(output: &str, start: &str, end: &str) -> bool {
    output.match_indices(start).any(|(i, _)| {
        let rest = &output[i + start.len()..];
        rest.find(end).is_some_and(|j| rest[..j].chars().all(|c| c.is_ascii_digit()))
    })
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write a test file");
    }
    dir
}

#[test]
fn a_long_wait_shows_progress_on_a_terminal_and_leaves_nothing_behind() {
    let dir = folder(&[("dial.atc", DIAL), ("slow.scn", SLOW_DIAL)]);
    let (status, output) =
        on_terminal(dir.path(), &["run", "dial.atc", "--port", "sim:hayes?scenario=slow.scn"], &[], Stdio::null());
    assert_eq!(status, 0, "{output:?}");
    // Drawn more than once as the time moves, from the first second on.
    assert!(drawn(&output, "\rwaiting for \"CONNECT {rate}\" (dial.atc:2)  1.", "s / 10s\x1b[K"), "{output:?}");
    assert!(output.matches("(dial.atc:2)  ").count() >= 3, "{output:?}");
    assert!(output.contains("(dial.atc:2)  2.") && output.contains("s / 10s"), "{output:?}");
    assert_eq!(screen(&output), ["connected at 115200"], "{output:?}");
}

/// `-v` lines and the timeout's message each erase the line first: what stays on the
/// terminal is the transcript and the message, nothing of the progress line.
#[test]
fn progress_is_erased_before_transcript_lines_and_the_message() {
    let dir = folder(&[("wait.atc", "send \"AT\"\nexpect \"NEVER\" within 1800ms\n")]);
    let (status, output) =
        on_terminal(dir.path(), &["run", "wait.atc", "--port", "sim:hayes", "-v"], &[], Stdio::null());
    assert_eq!(status, 3, "{output:?}");
    assert!(drawn(&output, "\rwaiting for \"NEVER\" (wait.atc:2)  1.", "s / 1.8s\x1b[K"), "{output:?}");
    let shown = screen(&output);
    assert!(shown.iter().all(|l| !l.contains("(wait.atc:2)  ")), "{shown:#?}");
    assert!(shown.iter().any(|l| l.ends_with("> AT\\r")), "{shown:#?}");
    assert!(shown.iter().any(|l| l.ends_with("= wait.atc:2: timed out after 1800ms")), "{shown:#?}");
    let last = shown.last().expect("a message");
    assert!(last.starts_with("atchat: wait.atc:2: timed out after 1800ms waiting for \"NEVER\""), "{shown:#?}");
}

/// The same wait shows nothing where no one watches a terminal, or where asked not to; and
/// a wait shorter than a second shows nothing anywhere. The first run shows that the wait
/// is long enough to be shown.
#[test]
fn no_progress_off_a_terminal_when_asked_or_on_stdin_stdout() {
    let script = [("nap.atc", "sleep 1500ms\nsay \"done\"\n"), ("short.atc", "sleep 700ms\nsay \"done\"\n")];
    let run = |args: &[&str], env: &[(&str, &str)], stdin: Stdio| {
        let dir = folder(&script);
        on_terminal(dir.path(), args, env, stdin)
    };
    std::thread::scope(|s| {
        let shown = s.spawn(|| run(&["run", "nap.atc", "--port", "sim:hayes"], &[], Stdio::null()));
        let flag = s.spawn(|| run(&["run", "nap.atc", "--port", "sim:hayes", "--no-progress"], &[], Stdio::null()));
        let env =
            s.spawn(|| run(&["run", "nap.atc", "--port", "sim:hayes"], &[("ATCHAT_NO_PROGRESS", "1")], Stdio::null()));
        let dumb = s.spawn(|| run(&["run", "nap.atc", "--port", "sim:hayes"], &[("TERM", "dumb")], Stdio::null()));
        // pppd's connect program: stdin and stdout are the modem (a pipe nobody writes to).
        let stdio = s.spawn(|| run(&["run", "nap.atc", "--port", "-"], &[], Stdio::piped()));
        let short = s.spawn(|| run(&["run", "short.atc", "--port", "sim:hayes"], &[], Stdio::null()));
        let (status, output) = shown.join().unwrap();
        assert_eq!(status, 0);
        assert!(drawn(&output, "\rsleeping (nap.atc:1)  1.", "s / 1.5s\x1b[K"), "{output:?}");
        assert_eq!(screen(&output), ["done"]);
        for (what, handle) in [
            ("--no-progress", flag),
            ("ATCHAT_NO_PROGRESS", env),
            ("TERM=dumb", dumb),
            ("--port -", stdio),
            ("700ms", short),
        ] {
            assert_eq!(handle.join().unwrap(), (0, "done\r\n".to_string()), "{what}");
        }
    });
    // A pipe.
    Test::new()
        .file("nap.atc", script[0].1)
        .args(["run", "nap.atc", "--port", "sim:hayes"])
        .env("TERM", "xterm")
        .stderr("done\n")
        .run();
}

/// A command waiting for its answer is named as sent, a secret's bytes as `***`: the PIN
/// never reaches the terminal.
#[test]
fn progress_masks_a_secret_in_the_command_it_waits_on() {
    let dir = folder(&[
        ("pin.atc", "secret param pin\ncommand \"AT+CPIN={pin}\" within 1500ms\n"),
        ("mute.scn", "stop-answering\n"),
    ]);
    let args = ["run", "pin.atc", "--port", "sim:hayes?scenario=mute.scn", "-D", "pin=4321"];
    let (status, output) = on_terminal(dir.path(), &args, &[], Stdio::null());
    assert_eq!(status, 3, "{output:?}");
    assert!(
        drawn(&output, "\rwaiting for the answer to `AT+CPIN=***` (pin.atc:2)  1.", "s / 1.5s\x1b[K"),
        "{output:?}"
    );
    assert!(!output.contains("4321"), "{output:?}");
}

/// A `print` from a handler while a wait's progress line is drawn, stdout and stderr on one
/// terminal: the line is erased before the printed text, so no fragment of it stays.
#[test]
fn a_print_during_a_wait_erases_the_progress_line_first() {
    let dir = folder(&[
        ("ring.atc", "on RING print \"ringing\"\nsleep 2500ms\nsay \"done\"\n"),
        ("ring.scn", "incoming-call at 1500ms from \"+15551234\"\n"),
    ]);
    let args = ["run", "ring.atc", "--port", "sim:hayes?scenario=ring.scn"];
    let (status, output) = shown_on_terminal(dir.path(), &args, &[], Stdio::null(), true);
    assert_eq!(status, 0, "{output:?}");
    // The line was drawn before the RING came, then the print took its place.
    let drawn_at =
        output.find("\rsleeping (ring.atc:2)  1.").unwrap_or_else(|| panic!("no progress line in {output:?}"));
    let printed_at = output.find("ringing").unwrap_or_else(|| panic!("no print in {output:?}"));
    assert!(drawn_at < printed_at, "{output:?}");
    assert_eq!(screen(&output), ["ringing", "done"], "{output:?}");
}
