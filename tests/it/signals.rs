//! SIGINT, SIGTERM and SIGHUP stop a run at once, whatever it is doing (exit 2), and leave
//! the device as it was found; durations past the language's limit are refused everywhere.

use std::time::{Duration, Instant};

use crate::support::cli::{Output, Running, Test};
use crate::support::sim::Sim;

/// Sends `signal` to `running` once its stderr shows `ready`; returns what it did and how
/// long it took to stop after the signal.
#[track_caller]
pub fn stop_with(mut running: Running, signal: libc::c_int, ready: &str) -> (Output, Duration) {
    running.wait_for_stderr(ready);
    running.signal(signal);
    let sent = Instant::now();
    let out = running.finish();
    (out, sent.elapsed())
}

#[test]
fn a_paced_send_stops_at_once_on_sigterm_sigint_or_sighup() {
    // Eight bytes ten seconds apart: the send alone would take 80 s.
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT"), (libc::SIGHUP, "SIGHUP")] {
        let running = Test::new()
            .file("script.atc", "send pace 10s \"ATATATAT\"\nexpect OK\n")
            .args(["run", "script.atc", "--port", "sim:hayes", "-v"])
            .status(2)
            .stderr_has(&format!("stopped by {name}"))
            .stderr_has("> ATATATAT\\r")
            .spawn();
        // The line is announced before its first byte is written, then a byte every 10 s:
        // the signal comes during the first pause.
        let (out, took) = stop_with(running, signal, "> ATATATAT\\r");
        // Stopped in the middle of the line, not after it.
        assert!(!out.stderr.contains("waiting for OK"), "{}", out.stderr);
        // Not a timing assertion: the send had 70 s and more to go.
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
        eprintln!("{name} during a paced send: exit 2 after {took:?}");
    }
}

#[test]
fn a_long_break_stops_at_once_on_sigterm() {
    // RFC 2217 sends break on, waits, then break off: the hour is atchat's own wait. (A pty
    // takes no break at all, and the in-process simulator's break takes no time.)
    let sim = Sim::start(&["--rfc2217", "127.0.0.1:0"], 1);
    let running = Test::new()
        .file("script.atc", "say \"breaking\"\nbreak 1h\nsay \"after\"\n")
        .args(["run", "script.atc", "--port"])
        .arg(format!("rfc2217://{}", sim.lines[0]))
        .status(2)
        .stderr("breaking\natchat: stopped by SIGTERM\n")
        .spawn();
    let (_, took) = stop_with(running, libc::SIGTERM, "breaking\n");
    // Not a timing assertion: the break had an hour to go.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_duration_variable_past_a_year_is_an_error_not_a_crash() {
    for value in ["18446744073709551615", "400d", "-5s", "1e30s"] {
        Test::new()
            .file("script.atc", "param limit\nsleep limit\n")
            .args(["run", "script.atc", "--port", "sim:hayes", "-D"])
            .arg(format!("limit={value}"))
            .status(1)
            // Caught before the first byte, as every param used as a duration is.
            .stderr_has("param `limit` is a duration (used as one at script.atc:2), but was given")
            .run();
    }
}

/// A compiled `send pace 10ms "AT"` whose pace is replaced by `secs` seconds.
fn bytecode_with_pace(secs: u64) -> Vec<u8> {
    use atchat::bytecode::{encoding, Op};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.atc");
    std::fs::write(&path, "send pace 10ms \"AT\"\n").unwrap();
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
    let year = atchat::lang::literal::MAX_DURATION.as_secs();
    Test::new()
        .file("pace.atcb", bytecode_with_pace(4_611_686_018_427_387_904))
        .args(["run", "pace.atcb", "--port", "sim:hayes"])
        .status(1)
        .stderr_has("is longer than a script may wait (at most a year, 366 days)")
        .stderr_has("at pc 1")
        .run();
    // A year exactly is the language's own limit, and fine.
    Test::new()
        .file("pace.atcb", bytecode_with_pace(year))
        .args(["disasm", "pace.atcb"])
        .stdout_has("Send pace 527040m")
        .run();
    Test::new()
        .file("pace.atcb", bytecode_with_pace(year + 1))
        .args(["disasm", "pace.atcb"])
        .status(1)
        .stderr_has("is longer than a script may wait")
        .run();
}
