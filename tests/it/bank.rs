//! `atchat run` on a bank of ports (docs/bank.md): per-port params and results, a summary
//! table, the exit status rule, `--fail-fast`, signals, globs and ports files, and ports that
//! fail or vanish among healthy ones. Healthy modems are `sim:hayes`; the ones that misbehave
//! are ptys the test plays.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use crate::support::cli::{repo, Running, Test};
use crate::support::pty::Pty;

/// Answers `ATI` on a pty and waits for the session to say it is done.
const ASK: &str = "send \"ATI\"\nexpect OK within 10s\nsay \"answered\"\n";

/// Asks, then waits a minute for what never comes: a session that is stopped, not ended.
const WAIT: &str = "send \"ATI\"\nexpect \"NEVER\" within 60s\n";

fn lock_dir(test: Test, dir: &Path) -> Test {
    test.env("ATCHAT_LOCK_DIR", dir.as_os_str())
}

/// The summary row of `port`.
fn row<'a>(stderr: &'a str, port: &str) -> &'a str {
    stderr
        .lines()
        .find(|l| l.starts_with(port) && l[port.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no summary row for {port} in:\n{stderr}"))
}

/// The exit code column of a summary row.
fn code(row: &str, port: &str) -> u8 {
    row[port.len()..].split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn each_port_runs_with_its_own_params_and_the_first_failure_sets_the_exit_status() {
    let ports = "# two good modems and one that rejects its init string\n\
                 sim:hayes number=5551234\n\
                 sim:hayes number=5550001 init=\"AT&F &BOGUS\"\n\
                 sim:hayes number=5550002 init=ATZ\n";
    let out = Test::new()
        .file("bank.ports", ports)
        .arg("run")
        .arg(repo("examples/hayes-dial.atc"))
        .args(["--ports", "bank.ports"])
        .status(8)
        .stderr_has("2 of 3 ports succeeded")
        .run();
    let rows: Vec<&str> = out.stderr.lines().skip_while(|l| !l.starts_with("PORT")).skip(1).take(3).collect();
    let codes: Vec<u8> = rows.iter().map(|r| code(r, "sim:hayes")).collect();
    assert_eq!(codes, [0, 8, 0], "{}", out.stderr);
    assert!(rows[1].contains("rejected the init string"), "{}", rows[1]);
    assert!(out.stderr.contains("sim:hayes: connected at "), "say lines carry the port:\n{}", out.stderr);
}

#[test]
fn a_port_that_cannot_open_fails_alone() {
    let out = Test::new()
        .in_repo()
        .args([
            "run",
            "examples/hayes-dial.atc",
            "-D",
            "number=1",
            "--port",
            "/nonexistent/ttyUSB9",
            "--port",
            "sim:hayes",
        ])
        .status(2)
        .stderr_has("1 of 2 ports succeeded")
        .run();
    let bad = row(&out.stderr, "/nonexistent/ttyUSB9");
    assert!(bad.contains("cannot open"), "{bad}");
    assert_eq!(code(row(&out.stderr, "sim:hayes"), "sim:hayes"), 0);
}

#[test]
fn a_pty_that_vanishes_mid_run_does_not_disturb_the_others() {
    let locks = tempfile::tempdir().unwrap();
    let mut dying = Pty::new();
    let dying_path = dying.path.display().to_string();
    let mut healthy = Pty::new();
    let healthy_path = healthy.path.display().to_string();
    let running = lock_dir(Test::new(), locks.path())
        .file("ask.atc", format!("{ASK}expect OK within 10s\nsay \"twice\"\n"))
        .args(["run", "ask.atc", "-v", "--port", &dying_path, "--port", &healthy_path, "--port", "sim:hayes"])
        .status(2)
        .stderr_has("1 of 3 ports succeeded")
        .spawn();
    dying.expect(b"ATI\r");
    healthy.expect(b"ATI\r");
    // The modem on one pty goes away in the middle of its session...
    drop(dying);
    // ... while the other answers both waits.
    healthy.master.write_all(b"\r\nOK\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    healthy.master.write_all(b"\r\nOK\r\n").unwrap();
    let out = running.finish();
    assert_eq!(code(row(&out.stderr, &dying_path), &dying_path), 2, "{}", out.stderr);
    assert_eq!(code(row(&out.stderr, &healthy_path), &healthy_path), 0, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("{healthy_path}: twice")), "{}", out.stderr);
    // The simulated modem does not answer the second `expect OK`: its own timeout, exit 3.
    assert_eq!(code(row(&out.stderr, "sim:hayes"), "sim:hayes"), 3, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("{healthy_path}: ")), "-v lines carry the port");
}

/// `wait.atc` on two ptys (with `options`), both of which failing makes exit 2; returns once
/// each pty has been sent `ATI`, so both sessions are waiting for an answer.
fn two_waiting_sessions(locks: &Path, options: &[&str]) -> (Pty, Pty, Running) {
    let mut first = Pty::new();
    let mut second = Pty::new();
    let (a, b) = (first.path.display().to_string(), second.path.display().to_string());
    let running = lock_dir(Test::new(), locks)
        .file("wait.atc", WAIT)
        .args(["run", "wait.atc"])
        .args(options)
        .args(["--port", &a, "--port", &b])
        .status(2)
        .stderr_has("0 of 2 ports succeeded")
        .spawn();
    first.expect(b"ATI\r");
    second.expect(b"ATI\r");
    (first, second, running)
}

#[test]
fn fail_fast_hangs_up_the_others_at_the_first_failure() {
    let locks = tempfile::tempdir().unwrap();
    let (first, second, running) = two_waiting_sessions(locks.path(), &["--fail-fast"]);
    let (a, b) = (first.path.display().to_string(), second.path.display().to_string());
    drop(first);
    let out = running.finish();
    assert!(row(&out.stderr, &b).contains("stopped: another session failed"), "{}", out.stderr);
    assert!(!row(&out.stderr, &a).contains("stopped"), "{}", out.stderr);
}

#[test]
fn sigterm_stops_every_session_cleanly() {
    let locks = tempfile::tempdir().unwrap();
    let (first, second, running) = two_waiting_sessions(locks.path(), &[]);
    let (a, b) = (first.path.display().to_string(), second.path.display().to_string());
    // SAFETY: signalling the child we started.
    unsafe { libc::kill(running.id() as i32, libc::SIGTERM) };
    let out = running.finish();
    for port in [&a, &b] {
        assert!(row(&out.stderr, port).contains("stopped by SIGTERM"), "{}", out.stderr);
    }
    // Both UUCP locks were released.
    assert_eq!(std::fs::read_dir(locks.path()).unwrap().count(), 0);
    let _ = (first.master.as_raw_fd(), second.master.as_raw_fd());
}

#[test]
fn a_quoted_glob_is_expanded_by_atchat_in_sorted_order() {
    let locks = tempfile::tempdir().unwrap();
    let links = tempfile::tempdir().unwrap();
    let mut ptys = [Pty::new(), Pty::new()];
    for (i, pty) in ptys.iter().enumerate() {
        std::os::unix::fs::symlink(&pty.path, links.path().join(format!("ttyBANK{i}"))).unwrap();
    }
    std::os::unix::fs::symlink("/nonexistent", links.path().join("ttyOTHER0")).unwrap();
    let glob = format!("{}/ttyBANK*", links.path().display());
    let running = lock_dir(Test::new(), locks.path())
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--log", "log.json", "--port", &glob])
        .stderr_has("2 of 2 ports succeeded")
        .spawn();
    for pty in &mut ptys {
        pty.expect(b"ATI\r");
        pty.master.write_all(b"\r\nOK\r\n").unwrap();
    }
    let out = running.finish();
    let first = format!("{}/ttyBANK0", links.path().display());
    let second = format!("{}/ttyBANK1", links.path().display());
    let summary: Vec<&str> = out.stderr.lines().skip_while(|l| !l.starts_with("PORT")).collect();
    assert!(summary[1].starts_with(&first) && summary[2].starts_with(&second), "{}", out.stderr);
    // Every JSON line names its port; both ports are in the log.
    let log = std::fs::read_to_string(out.dir.path().join("log.json")).unwrap();
    let ports: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["port"].as_str().unwrap().to_string())
        .collect();
    assert!(ports.contains(&first) && ports.contains(&second), "{log}");
}

#[test]
fn a_glob_that_matches_nothing_is_a_bad_invocation() {
    Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", "/nonexistent-dir/ttyUSB*"])
        .status(1)
        .stderr_has("cannot list `/nonexistent-dir/`")
        .run();
    let dir = tempfile::tempdir().unwrap();
    Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", &format!("{}/ttyUSB*", dir.path().display())])
        .status(1)
        .stderr_has("no port matches")
        .run();
}

#[test]
fn a_missing_param_on_one_port_stops_the_bank_before_any_port_opens() {
    Test::new()
        .file("bank.ports", "sim:hayes number=1\nsim:gsm\n")
        .arg("run")
        .arg(repo("examples/hayes-dial.atc"))
        .args(["--ports", "bank.ports"])
        .status(1)
        .stderr("atchat: `sim:gsm`: param `number` needs a value: give it with `-D number=VALUE`\n")
        .run();
}

#[test]
fn a_bad_ports_file_names_its_line() {
    Test::new()
        .file("ask.atc", ASK)
        .file("bank.ports", "sim:hayes\nsim:gsm apn\n")
        .args(["run", "ask.atc", "--ports", "bank.ports"])
        .status(1)
        .stderr("atchat: bank.ports: line 2: `apn` is not NAME=VALUE\n")
        .run();
}

#[test]
fn record_with_port_in_the_name_writes_one_replayable_recording_per_port() {
    let out = Test::new()
        .file("ask.atc", "send \"ATI\"\nexpect OK within 10s\nsay \"answered\"\n")
        .args(["run", "ask.atc", "--port", "sim:hayes", "--port", "/nonexistent/ttyUSB9", "--port", "sim:bare-hayes"])
        .args(["--record", "{port}.rec"])
        .status(2)
        .stderr_has("2 of 3 ports succeeded")
        .run();
    for (file, port) in [("sim_hayes.rec", "sim:hayes"), ("sim_bare-hayes.rec", "sim:bare-hayes")] {
        let text = std::fs::read_to_string(out.dir.path().join(file)).unwrap();
        assert!(text.contains(&format!("port {port}")), "{file}:\n{text}");
        assert!(text.contains("ATI"), "{file}:\n{text}");
        // Each is a whole recording of its own session: it replays.
        Test::new()
            .file("ask.atc", "send \"ATI\"\nexpect OK within 10s\nsay \"answered\"\n")
            .file("r.rec", &text)
            .args(["run", "ask.atc", "--port", "replay:r.rec"])
            .stderr("answered\n")
            .run();
    }
    // The port that could not open has its (empty) file, created before any port opened.
    assert!(out.dir.path().join("_nonexistent_ttyUSB9.rec").exists());
}

#[test]
fn record_with_several_ports_needs_a_name_per_port() {
    let out = Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", "sim:hayes", "--port", "sim:gsm", "--record", "all.rec"])
        .status(1)
        .stderr("atchat: with several ports, --record needs `{port}` or `{n}` in the file name, one recording per port (e.g. --record 'rec/{port}.rec')\n")
        .run();
    assert!(!out.dir.path().join("all.rec").exists());
    // Two `sim:hayes` would share `sim_hayes.rec`: refused before anything runs; `{n}` tells them apart.
    Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", "sim:hayes", "--port", "sim:hayes", "--record", "{port}.rec"])
        .status(1)
        .stderr("atchat: `sim:hayes` and `sim:hayes` would both write `sim_hayes.rec`: put `{n}` in the name (one file per place in the bank)\n")
        .run();
    let out = Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", "sim:hayes", "--port", "sim:hayes", "--record", "bank-{n}.rec"])
        .stderr_has("2 of 2 ports succeeded")
        .run();
    for n in [1, 2] {
        let text = std::fs::read_to_string(out.dir.path().join(format!("bank-{n}.rec"))).unwrap();
        assert!(text.contains("port sim:hayes"), "{text}");
    }
}

#[test]
fn log_with_port_in_the_name_writes_one_log_per_port() {
    let out = Test::new()
        .file("ask.atc", ASK)
        .args(["run", "ask.atc", "--port", "sim:hayes", "--port", "sim:gsm", "--log", "log-{port}.jsonl"])
        .stderr_has("2 of 2 ports succeeded")
        .run();
    for (file, port) in [("log-sim_hayes.jsonl", "sim:hayes"), ("log-sim_gsm.jsonl", "sim:gsm")] {
        let text = std::fs::read_to_string(out.dir.path().join(file)).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(lines.iter().any(|l| l["kind"] == "say" && l["text"] == "answered"), "{file}:\n{text}");
        assert!(lines.iter().all(|l| l["port"] == port), "{file}: only its own port's lines:\n{text}");
    }
}
