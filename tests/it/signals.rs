//! SIGINT, SIGTERM and SIGHUP stop a run at once, whatever it is doing (exit 2), and leave
//! the device as it was found; durations past the language's limit are refused everywhere.

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cli::{atchat, run, script};

/// Sends `signal` to `child` `after` its stderr shows `ready` (`""`: at once); returns its
/// exit code, stderr and how long it took to stop.
pub fn stop_with(
    mut child: std::process::Child,
    signal: libc::c_int,
    ready: &str,
    after: Duration,
) -> (Option<i32>, String, Duration) {
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains(ready) {
        match stderr.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    std::thread::sleep(after);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let sent = Instant::now();
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    stderr.read_to_end(&mut seen).unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&seen).into_owned(),
        took,
    )
}

#[test]
fn a_paced_send_stops_at_once_on_sigterm_sigint_or_sighup() {
    // Eight bytes ten seconds apart: the send alone would take 80 s.
    let (_d, path) = script("send pace 10s \"ATATATAT\"\nexpect OK\n");
    for (signal, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        let child = atchat()
            .arg("run")
            .arg(&path)
            .args(["--port", "sim:hayes", "-v"])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The line is announced, then written a byte every 10 s: stop it after its first byte.
        let (code, stderr, took) =
            stop_with(child, signal, "> ATATATAT\\r", Duration::from_millis(300));
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(&format!("stopped by {name}")), "{stderr}");
        // Stopped in the middle of the line, not after it.
        assert!(
            stderr.contains("> ATATATAT\\r") && !stderr.contains("waiting for OK"),
            "{stderr}"
        );
        // Not a timing assertion: the send had 79 s to go.
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
        eprintln!("{name} during a paced send: exit 2 after {took:?}");
    }
}

#[test]
fn a_duration_variable_past_a_year_is_an_error_not_a_crash() {
    let (_d, path) = script("param limit\nsleep limit\n");
    for value in ["18446744073709551615", "400d", "-5s", "1e30s"] {
        let r = run(atchat()
            .arg("run")
            .arg(&path)
            .args(["--port", "sim:hayes", "-D"])
            .arg(format!("limit={value}")));
        assert_eq!(r.code, 1, "{value}: {}", r.stderr);
        assert!(
            r.stderr.contains("`limit` does not hold a duration"),
            "{value}: {}",
            r.stderr
        );
    }
}

/// A compiled `send pace 10ms "AT"` whose pace is replaced by `secs` seconds.
fn bytecode_with_pace(secs: u64) -> Vec<u8> {
    use atchat::bytecode::{encoding, Op};
    let (_d, path) = script("send pace 10ms \"AT\"\n");
    let sources = atchat::syntax::Sources::load(&path).unwrap();
    let mut program = atchat::bytecode::compiler::compile(&sources).unwrap();
    for op in &mut program.code {
        if let Op::Send { pace, .. } = op {
            *pace = Some(Duration::from_secs(secs));
        }
    }
    encoding::encode(&program)
}

#[test]
fn the_bytecode_verifier_refuses_durations_past_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let year = atchat::lang::literal::MAX_DURATION.as_secs();
    let file = dir.path().join("pace.atcb");
    std::fs::write(&file, bytecode_with_pace(4_611_686_018_427_387_904)).unwrap();
    let r = run(atchat().arg("run").arg(&file).args(["--port", "sim:hayes"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("is longer than a script may wait (at most a year, 366 days)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("at pc 1") || r.stderr.contains("at pc 0"),
        "{}",
        r.stderr
    );

    // A year exactly is the language's own limit, and fine.
    std::fs::write(&file, bytecode_with_pace(year)).unwrap();
    let r = run(atchat().arg("disasm").arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(&file, bytecode_with_pace(year + 1)).unwrap();
    assert_eq!(run(atchat().arg("disasm").arg(&file)).code, 1);
}
