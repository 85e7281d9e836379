//! The `atchat` binary end to end: exit codes, messages, and the real serial, stdio and TCP
//! paths with the test playing the modem.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::pty::Pty;

pub fn atchat() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("ATCHAT_number");
    cmd
}

/// A script in a fresh temporary folder.
pub fn script(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.atc");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

#[track_caller]
pub fn run(cmd: &mut Command) -> Ran {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn readme_main_job_runs_on_the_simulator() {
    let r = run(atchat().args(["run", "examples/quickstart.atc", "--port", "sim:hayes"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("modem: "), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "nothing but modem bytes may go to stdout: {}", r.stdout);
}

#[test]
fn check_reports_every_mistake_with_codes_and_exit_1() {
    let (_d, path) = script("send \"AT{nope}\"\nexpect OKK\non BUSY retry\n");
    let r = run(atchat().arg("check").arg(&path));
    assert_eq!(r.code, 1);
    for code in ["atchat::unknown-name", "atchat::unknown-result-code", "atchat::retry-outside-block"] {
        assert!(r.stderr.contains(code), "missing {code} in {}", r.stderr);
    }
    assert!(r.stderr.contains("script.atc:1:"), "{}", r.stderr);
}

#[test]
fn check_accepts_the_shipped_examples() {
    let r = run(atchat().args(["check", "examples/quickstart.atc", "examples/hayes-dial.atc", "examples/gsm-sms.atc"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn params_come_from_d_and_the_environment_and_bad_ones_exit_1() {
    let (_d, path) = script("param number\nsend \"ATDT{number}\"\nexpect CONNECT within 2m\nsay \"dialed {number}\"\n");
    let missing = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]));
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("number"), "{}", missing.stderr);

    let unknown = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes", "-D", "number=1", "-D", "nubmer=2"]));
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("nubmer"), "{}", unknown.stderr);

    let from_env = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]).env("ATCHAT_number", "5551234"));
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert!(from_env.stderr.contains("dialed 5551234"), "{}", from_env.stderr);
}

#[test]
fn bad_options_exit_1() {
    assert_eq!(run(atchat().args(["run", "examples/quickstart.atc", "--port", "sim:hayes", "--parity", "sideways"])).code, 1);
    assert_eq!(run(atchat().args(["frobnicate"])).code, 1);
    let r = run(atchat().args(["run", "examples/quickstart.atc"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--port"), "{}", r.stderr);
    let r = run(atchat().args(["run", "no-such-file.atc", "--port", "sim:hayes"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no-such-file.atc"), "{}", r.stderr);
}

#[test]
fn a_port_that_cannot_open_exits_2_naming_it() {
    let r = run(atchat().args(["run", "examples/quickstart.atc", "--port", "/dev/no-such-modem"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/dev/no-such-modem"), "{}", r.stderr);
}

#[test]
fn compiled_programs_run_and_corrupt_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.atcb");
    let r = run(atchat().args(["compile", "examples/quickstart.atc", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(atchat().arg("run").arg(&out).args(["--port", "sim:hayes"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("modem: "), "{}", r.stderr);

    let mut bytes = std::fs::read(&out).unwrap();
    let middle = bytes.len() / 2;
    bytes.truncate(middle);
    let bad = dir.path().join("bad.atcb");
    std::fs::write(&bad, &bytes).unwrap();
    let r = run(atchat().arg("run").arg(&bad).args(["--port", "sim:hayes"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bad.atcb"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn disasm_lists_the_opcodes() {
    let r = run(atchat().args(["disasm", "examples/quickstart.atc"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for op in ["Send", "Expect", "AddHandler", "Halt"] {
        assert!(r.stdout.contains(op), "no {op} in\n{}", r.stdout);
    }
}

#[test]
fn verbose_transcript_shows_control_bytes_and_masks_secrets() {
    let (_d, path) = script("secret param pin\nsend \"AT+CPIN={pin}\"\nexpect OK\nsay \"pin {pin} accepted\"\n");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let r = run(atchat()
        .arg("run")
        .arg(&path)
        .args(["--port", "sim:gsm?pin=9876", "-D", "pin=9876", "-v", "--log"])
        .arg(&log));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("> AT+CPIN=***\\r"), "{}", r.stderr);
    assert!(r.stderr.contains("pin *** accepted"), "{}", r.stderr);
    assert!(!r.stderr.contains("9876"), "the secret leaked:\n{}", r.stderr);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("9876"), "the secret leaked into the log:\n{log}");
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["t"].is_number() && v["kind"].is_string(), "{line}");
    }
}

/// The test plays the modem on a pty: answers `AT\r` with OK.
pub fn answer_at(pty: &mut Pty) {
    pty.expect(b"AT\r");
    pty.master.write_all(b"\r\nOK\r\n").unwrap();
}

/// Starts `atchat run SCRIPT --port DEVICE` with its lock files in `lock_dir`.
pub fn run_on_device(script: &Path, device: &Path, lock_dir: &Path) -> std::process::Child {
    atchat()
        .arg("run")
        .arg(script)
        .arg("--port")
        .arg(device)
        .env("ATCHAT_LOCK_DIR", lock_dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn serial_path_on_a_real_pty() {
    let mut pty = Pty::new();
    let (_d, path) = script("send \"AT\"\nexpect OK\nsay \"got OK\"\n");
    let lock_dir = tempfile::tempdir().unwrap();
    let child = run_on_device(&path, &pty.path, lock_dir.path());
    answer_at(&mut pty);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("got OK"));
    assert_eq!(std::fs::read_dir(lock_dir.path()).unwrap().count(), 0, "the lock file was left behind");
}

#[test]
fn a_vanishing_port_exits_2_naming_the_port_and_the_error() {
    let mut pty = Pty::new();
    let (_d, path) = script("send \"AT\"\nexpect OK within 30s\n");
    let lock_dir = tempfile::tempdir().unwrap();
    let child = run_on_device(&path, &pty.path, lock_dir.path());
    pty.expect(b"AT\r");
    let port = pty.path.display().to_string();
    drop(pty);
    let closed = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = closed.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&port), "{stderr}");
    assert!(stderr.contains("script.atc:2"), "{stderr}");
    // Reported, not asserted: timing belongs to benchmarks.
    eprintln!("port vanished → exit 2 after {took:?}");
}

#[test]
fn stdio_path_as_pppd_runs_a_connect_program() {
    // pppd hands the tty over as stdin and stdout; messages go to stderr.
    let mut pty = Pty::new();
    let (_d, path) = script("send \"AT\"\nexpect OK\nsay \"connect script done\"\n");
    let slave: OwnedFd = pty.open_slave();
    let stdin = Stdio::from(slave.try_clone().unwrap());
    let stdout = Stdio::from(slave);
    let child = atchat()
        .arg("run")
        .arg(&path)
        .args(["--port", "-"])
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    answer_at(&mut pty);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("connect script done"), "{stderr}");
}

#[test]
fn a_flooding_modem_leaves_memory_bounded_and_exits_3_at_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let flooder = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let garbage: Vec<u8> = (0..64 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x20).collect();
        let mut sent = 0usize;
        while sent < 100 * 1024 * 1024 {
            if stream.write_all(&garbage).is_err() {
                break;
            }
            sent += garbage.len();
        }
        // Keep the connection open until atchat gives up and closes it.
        let mut sink = [0u8; 64];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        sent
    });
    // The flood is read at full speed; an unoptimised build needs a longer deadline to
    // read 100 MB before it.
    let deadline = if cfg!(debug_assertions) { 45 } else { 10 };
    let (_d, path) = script(&format!("send \"AT\"\nexpect OK within {deadline}s\n"));
    // Reaped with wait4 below, which also reports its exit status.
    #[allow(clippy::zombie_processes)]
    let child = atchat()
        .arg("run")
        .arg(&path)
        .arg("--port")
        .arg(format!("tcp://{addr}"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // VmHWM is the peak resident memory of the program after exec (ru_maxrss would count the
    // forked copy of this test process too). It only grows, so the last reading is the peak.
    let watcher = std::thread::spawn(move || {
        let mut peak = 0i64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if status.contains("State:\tZ") {
                break;
            }
            if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak = kb.trim().trim_end_matches(" kB").trim().parse().unwrap_or(peak);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    });
    let mut stderr = String::new();
    child.stderr.unwrap().read_to_string(&mut stderr).unwrap();
    let max_rss_kb = watcher.join().unwrap();
    let (status, _) = wait4(pid);
    let sent = flooder.join().unwrap();
    assert_eq!(status, 3, "{stderr}");
    assert!(stderr.contains(&format!("timed out after {deadline}s")), "{stderr}");
    assert!(sent >= 100 * 1024 * 1024, "the flooder sent only {sent} bytes");
    assert!(max_rss_kb < 30 * 1024, "peak memory {max_rss_kb} KiB");
    eprintln!("flood of {} MB: peak RSS {max_rss_kb} KiB", sent >> 20);
}

#[test]
fn sigterm_stops_a_wait_with_exit_2() {
    let (_d, path) = script("send \"AT\"\nsleep 60s\n");
    let mut child = atchat()
        .arg("run")
        .arg(&path)
        .args(["--port", "sim:hayes"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let started = Instant::now();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Waits for `pid`; returns its exit code and peak resident memory in KiB.
fn wait4(pid: libc::pid_t) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

