//! A builder for tests of the `atchat` binary, after casey/just's `Test`:
//!
//! ```ignore
//! Test::new()
//!     .file("script.atc", "say \"hi\"\n")
//!     .args(["run", "script.atc", "--port", "sim:hayes"])
//!     .stderr("hi\n")
//!     .run();
//! ```
//!
//! By default the command must exit 0 and print nothing: every expectation is exact unless
//! it says otherwise. In an exact expectation, `[..]` matches any text within its line (a
//! time, a temporary path). A partial expectation says so: [`Test::stdout_has`] and
//! [`Test::stderr_has`] (each call adds a part that must appear).
//!
//! The command runs in a fresh temporary folder (or the repository with [`Test::in_repo`]),
//! with stdin empty and every `ATCHAT_*` variable of the test's environment removed.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::diff;
use super::pty::poll_in;

/// How long [`Running::wait_for_stderr`] waits before the test fails: far more than any
/// wait needs, so only a hang reaches it.
const STDERR_PATIENCE: Duration = Duration::from_secs(20);

/// What a stream must show.
#[derive(Debug, Clone)]
enum Expect {
    /// Exactly this text, `[..]` matching within a line.
    Exact(String),
    /// Contains each of these.
    Parts(Vec<String>),
}

impl Expect {
    fn has(&mut self, part: &str) {
        match self {
            Expect::Parts(parts) => parts.push(part.to_string()),
            Expect::Exact(_) => *self = Expect::Parts(vec![part.to_string()]),
        }
    }

    /// `None` when `actual` is as expected, else what is wrong.
    fn check(&self, stream: &str, actual: &str) -> Option<String> {
        match self {
            Expect::Exact(expected) if matches(expected, actual) => None,
            Expect::Exact(expected) => Some(format!(
                "{stream} differs (- expected, + actual):\n{}",
                diff::lines(&resolve(expected, actual), actual)
            )),
            Expect::Parts(parts) => {
                let missing: Vec<String> = parts
                    .iter()
                    .filter(|p| !actual.contains(p.as_str()))
                    .map(|p| format!("{stream} lacks {p:?}"))
                    .collect();
                (!missing.is_empty()).then(|| missing.join("\n"))
            }
        }
    }
}

/// Whether `line` matches `pattern`, where `[..]` in the pattern matches any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Whether `actual` is `expected`, line by line with `[..]`, final newline included.
fn matches(expected: &str, actual: &str) -> bool {
    expected.ends_with('\n') == actual.ends_with('\n')
        && expected.lines().count() == actual.lines().count()
        && expected.lines().zip(actual.lines()).all(|(e, a)| line_matches(e, a))
}

/// `expected` with each `[..]` line that matches its counterpart in `actual` replaced by it,
/// so a diff shows only the lines that really differ.
fn resolve(expected: &str, actual: &str) -> String {
    let actual: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for (i, line) in expected.lines().enumerate() {
        match actual.get(i) {
            Some(a) if line.contains("[..]") && line_matches(line, a) => out.push_str(a),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    if !expected.ends_with('\n') {
        out.pop();
    }
    out
}

/// The path of `relative` in the repository.
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One run of `atchat`, and what it must do.
pub struct Test {
    dir: tempfile::TempDir,
    in_repo: bool,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Vec<u8>,
    status: i32,
    stdout: Expect,
    stderr: Expect,
}

/// What the command did, for checks the builder does not make.
#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The folder the command ran in (kept until the `Output` is dropped).
    pub dir: tempfile::TempDir,
}

impl Default for Test {
    fn default() -> Test {
        Test::new()
    }
}

impl Test {
    /// `atchat` in a fresh temporary folder, expected to exit 0 printing nothing.
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().expect("temporary folder"),
            in_repo: false,
            args: Vec::new(),
            env: Vec::new(),
            stdin: Vec::new(),
            status: 0,
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
        }
    }

    /// Runs in the repository instead, so `examples/...` paths work and are printed as given.
    pub fn in_repo(mut self) -> Test {
        self.in_repo = true;
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Test {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> Test {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Writes `text` to `name` in the temporary folder.
    pub fn file(self, name: &str, text: impl AsRef<[u8]>) -> Test {
        std::fs::write(self.dir.path().join(name), text).expect("write a test file");
        self
    }

    pub fn stdin(mut self, text: impl AsRef<[u8]>) -> Test {
        self.stdin = text.as_ref().to_vec();
        self
    }

    /// The exit code (default 0).
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// Stdout is exactly `text` (`[..]` matches within a line).
    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout = Expect::Exact(text.to_string());
        self
    }

    /// Stderr is exactly `text` (`[..]` matches within a line).
    pub fn stderr(mut self, text: &str) -> Test {
        self.stderr = Expect::Exact(text.to_string());
        self
    }

    /// Partial: stdout contains `part` (instead of being exact).
    pub fn stdout_has(mut self, part: &str) -> Test {
        self.stdout.has(part);
        self
    }

    /// Partial: stderr contains `part` (instead of being exact).
    pub fn stderr_has(mut self, part: &str) -> Test {
        self.stderr.has(part);
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
        cmd.args(&self.args);
        cmd.current_dir(if self.in_repo { Path::new(env!("CARGO_MANIFEST_DIR")) } else { self.dir.path() });
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ATCHAT_") {
                cmd.env_remove(name);
            }
        }
        cmd.env_remove("NO_COLOR");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs the command to its end and checks everything expected; all that is wrong is
    /// reported at once.
    #[track_caller]
    pub fn run(self) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start atchat");
        let mut stdin = child.stdin.take().expect("stdin");
        // A command may exit without reading all of it.
        let _ = stdin.write_all(&self.stdin);
        drop(stdin);
        self.finish(child, Vec::new())
    }

    /// Starts the command for a test that talks to it (a pty, a socket) while it runs; its
    /// stdin and stdout are `stdin` and `stdout`, stderr is captured. [`Running::finish`]
    /// checks the expectations.
    pub fn spawn_with(self, stdin: Stdio, stdout: Stdio) -> Running {
        let child = self.command().stdin(stdin).stdout(stdout).stderr(Stdio::piped()).spawn().expect("start atchat");
        Running { test: self, child, seen: Vec::new() }
    }

    /// [`Test::spawn_with`] with stdin empty and stdout captured.
    pub fn spawn(self) -> Running {
        self.spawn_with(Stdio::null(), Stdio::piped())
    }

    /// Waits for `child` and checks it; `seen` is what of its stderr was already read.
    #[track_caller]
    fn finish(self, child: Child, mut seen: Vec<u8>) -> Output {
        let out = child.wait_with_output().expect("wait for atchat");
        seen.extend_from_slice(&out.stderr);
        let output = Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&seen).into_owned(),
            dir: self.dir,
        };
        let mut wrong = Vec::new();
        if output.status != self.status {
            wrong.push(format!("exit code {} (expected {})", output.status, self.status));
        }
        wrong.extend(self.stdout.check("stdout", &output.stdout));
        wrong.extend(self.stderr.check("stderr", &output.stderr));
        if !wrong.is_empty() {
            let args: Vec<_> = self.args.iter().map(|a| a.to_string_lossy()).collect();
            panic!(
                "atchat {}:\n{}\n--- stdout\n{}--- stderr\n{}",
                args.join(" "),
                wrong.join("\n"),
                output.stdout,
                output.stderr
            );
        }
        output
    }
}

/// A command started by [`Test::spawn`].
pub struct Running {
    test: Test,
    pub child: Child,
    /// Stderr read by [`Running::wait_for_stderr`]; [`Running::finish`] counts it.
    seen: Vec<u8>,
}

impl Running {
    /// The process id, to signal it.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the command.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: a signal to our own child, not yet reaped (so the pid is still its own).
        unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
    }

    /// Reads the command's stderr until it shows `text`, so a test acts on an event rather
    /// than after a fixed sleep. Fails the test if stderr ends without it, or after
    /// [`STDERR_PATIENCE`]. What was read still counts for [`Running::finish`].
    #[track_caller]
    pub fn wait_for_stderr(&mut self, text: &str) {
        let mut stderr = self.child.stderr.take().expect("stderr is captured");
        let deadline = Instant::now() + STDERR_PATIENCE;
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&self.seen).contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {text:?} on stderr after {STDERR_PATIENCE:?}:\n{}",
                String::from_utf8_lossy(&self.seen)
            );
            if !poll_in(stderr.as_raw_fd(), left.min(Duration::from_millis(100))) {
                continue;
            }
            match stderr.read(&mut buf) {
                Ok(0) | Err(_) => panic!("stderr ended without {text:?}:\n{}", String::from_utf8_lossy(&self.seen)),
                Ok(n) => self.seen.extend_from_slice(&buf[..n]),
            }
        }
        self.child.stderr = Some(stderr);
    }

    /// Waits for the end and checks everything expected, as [`Test::run`] does.
    #[track_caller]
    pub fn finish(self) -> Output {
        self.test.finish(self.child, self.seen)
    }
}

/// Waits until process `pid` catches `signal` (its handler is installed, as
/// /proc/PID/status shows), so a test that signals it tests the handler rather than the
/// default action. Fails the test after [`STDERR_PATIENCE`].
#[track_caller]
pub fn wait_until_catching(pid: u32, signal: libc::c_int) {
    let bit = 1u64 << (signal - 1);
    let start = Instant::now();
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        if caught & bit != 0 {
            return;
        }
        assert!(start.elapsed() < STDERR_PATIENCE, "process {pid} never caught signal {signal}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts `atchat run script.atc --port DEVICE` with its lock files in `lock_dir`.
pub fn run_on_device(test: Test, device: &Path, lock_dir: &Path) -> Running {
    test.args(["run", "script.atc", "--port"]).arg(device).env("ATCHAT_LOCK_DIR", lock_dir).spawn()
}

#[test]
fn exact_output_allows_marked_gaps_only() {
    assert!(matches("a\n", "a\n"));
    assert!(!matches("a\n", "a"));
    assert!(!matches("a\n", "a\nb\n"));
    assert!(matches("    [..] > AT\\r\n", "    0.001 > AT\\r\n"));
    assert!(matches("x [..] y [..] z\n", "x 1 y 2 z\n"));
    assert!(!matches("x [..] y\n", "x 1 z\n"));
    assert!(!matches("[..]ab[..]ba\n", "aba\n"), "parts may not overlap");
    assert_eq!(resolve("t [..] ok\nb\n", "t 1 ok\nc\n"), "t 1 ok\nb\n");
}
