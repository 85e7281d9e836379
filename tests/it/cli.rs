//! The `atchat` binary end to end: exit codes, messages, and the real serial, stdio and TCP
//! paths with the test playing the modem.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::cli::{run_on_device, Test};
use crate::support::pty::{answer_at, Pty};

const DIAL: &str = "param number\nsend \"ATDT{number}\"\nexpect CONNECT within 2m\nsay \"dialed {number}\"\n";

#[test]
fn readme_main_job_runs_on_the_simulator() {
    // Nothing but modem bytes may go to stdout.
    Test::new()
        .in_repo()
        .args(["run", "examples/quickstart.atc", "--port", "sim:hayes"])
        .stderr("modem: 56000\n")
        .run();
}

#[test]
fn check_reports_every_mistake_with_codes_and_exit_1() {
    Test::new()
        .file("script.atc", "send \"AT{nope}\"\nexpect OKK\non BUSY retry\n")
        .args(["check", "script.atc"])
        .status(1)
        .stderr(
            "atchat::unknown-name

  × unknown name `nope`
   ╭─[script.atc:1:10]
 1 │ send \"AT{nope}\"
   ·          ──┬─
   ·            ╰── not assigned anywhere visible
 2 │ expect OKK
   ╰────
  help: assign it first (`let nope = ...`), capture it in a pattern
        (`\"{nope}\"`) or declare it (`param nope`)

atchat::unknown-result-code

  × unknown result code `OKK`
   ╭─[script.atc:2:8]
 1 │ send \"AT{nope}\"
 2 │ expect OKK
   ·        ─┬─
   ·         ╰── not a result code
 3 │ on BUSY retry
   ╰────
  help: did you mean `OK`?

atchat::retry-outside-block

  × `retry` outside a retry block
   ╭─[script.atc:3:9]
 2 │ expect OKK
 3 │ on BUSY retry
   ·         ──┬──
   ·           ╰── not inside a retry block
   ╰────
  help: put the handler inside the retry block: `retry 3 times { on BUSY
        retry ... }`

",
        )
        .run();
}

#[test]
fn check_accepts_the_shipped_examples() {
    Test::new()
        .in_repo()
        .args(["check", "examples/quickstart.atc", "examples/hayes-dial.atc", "examples/gsm-sms.atc"])
        .stderr("ok: 3 files\n")
        .run();
}

#[test]
fn a_missing_param_exits_1_naming_it() {
    Test::new()
        .file("script.atc", DIAL)
        .args(["run", "script.atc", "--port", "sim:hayes"])
        .status(1)
        .stderr(
            "atchat::missing-param

  × missing required param `number`
   ╭─[script.atc:1:7]
 1 │ param number
   ·       ───┬──
   ·          ╰── required, no default
 2 │ send \"ATDT{number}\"
   ╰────
  help: give it with `-D number=VALUE` or the environment, or declare a
        default (`param number = \"...\"`)

",
        )
        .run();
}

#[test]
fn an_unknown_param_exits_1_with_a_suggestion() {
    Test::new()
        .file("script.atc", DIAL)
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "number=1", "-D", "nubmer=2"])
        .status(1)
        .stderr("atchat::unknown-param\n\n  × unknown param `nubmer`\n  help: did you mean `number`?\n\n")
        .run();
}

#[test]
fn params_come_from_d_and_the_environment() {
    Test::new()
        .file("script.atc", DIAL)
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "number=5551234"])
        .stderr("dialed 5551234\n")
        .run();
    Test::new()
        .file("script.atc", DIAL)
        .args(["run", "script.atc", "--port", "sim:hayes"])
        .env("ATCHAT_number", "5551234")
        .stderr("dialed 5551234\n")
        .run();
}

#[test]
fn bad_options_exit_1() {
    Test::new()
        .in_repo()
        .args(["run", "examples/quickstart.atc", "--port", "sim:hayes", "--parity", "sideways"])
        .status(1)
        .stderr(
            "error: invalid value 'sideways' for '--parity <PARITY>': `sideways` is not a valid --parity; expected none, odd or even\n\nFor more information, try '--help'.\n",
        )
        .run();
    Test::new()
        .arg("frobnicate")
        .status(1)
        .stderr("error: unrecognized subcommand 'frobnicate'\n\nUsage: atchat <COMMAND>\n\nFor more information, try '--help'.\n")
        .run();
    Test::new()
        .in_repo()
        .args(["run", "examples/quickstart.atc"])
        .status(1)
        .stderr("atchat: no port given: use --port (a device, `-`, tcp://host:port, or sim:hayes)\n")
        .run();
    Test::new()
        .args(["run", "no-such-file.atc", "--port", "sim:hayes"])
        .status(1)
        .stderr(
            "atchat::load\n\n  × cannot read `no-such-file.atc`: No such file or directory (os error 2)\n  help: check the path of the script and that it is readable\n\n",
        )
        .run();
}

#[test]
fn without_a_command_the_usage_goes_to_stderr_and_exits_1() {
    Test::new().status(1).stderr_has("Usage: atchat <COMMAND>").stderr_has("  run ").run();
}

#[test]
fn a_port_that_cannot_open_exits_2_naming_it() {
    Test::new()
        .in_repo()
        .args(["run", "examples/quickstart.atc", "--port", "/dev/no-such-modem"])
        .status(2)
        .stderr("atchat: cannot open `/dev/no-such-modem`: No such file or directory\n")
        .run();
}

#[test]
fn compiled_programs_run_and_corrupt_ones_are_refused() {
    let compiled = Test::new()
        .file("q.atc", std::fs::read(crate::support::cli::repo("examples/quickstart.atc")).unwrap())
        .args(["compile", "q.atc", "-o", "q.atcb"])
        .run();
    let program = std::fs::read(compiled.dir.path().join("q.atcb")).unwrap();
    Test::new().file("q.atcb", &program).args(["run", "q.atcb", "--port", "sim:hayes"]).stderr("modem: 56000\n").run();
    // Where the cut lands depends on the encoding; the message names the file, never panics.
    Test::new()
        .file("bad.atcb", &program[..program.len() / 2])
        .args(["run", "bad.atcb", "--port", "sim:hayes"])
        .status(1)
        .stderr("atchat: `bad.atcb` is not a valid atchat program: [..]\n")
        .run();
}

#[test]
fn disasm_lists_the_opcodes() {
    Test::new()
        .file("s.atc", "send \"AT\"\nexpect OK\n")
        .args(["disasm", "s.atc"])
        .stdout(
            "files:
  0  s.atc
globals: none
procs: none
code:
   0  s.atc:1  Const \"AT\"
   1           Send
   2  s.atc:2  Await 0  handlers watched
                 OK → 3
                 timeout → on timeout handler, else exit 3
   3           Halt
",
        )
        .run();
}

#[test]
fn verbose_transcript_shows_control_bytes_and_masks_secrets() {
    let ran = Test::new()
        .file("script.atc", "secret param pin\nsend \"AT+CPIN={pin}\"\nexpect OK\nsay \"pin {pin} accepted\"\n")
        // On virtual time the times are exact, however busy the machine: the transcript's
        // times and the deadline (10 s, the default timeout) are checked too.
        .args([
            "run",
            "script.atc",
            "--port",
            "sim:gsm?pin=9876&clock=virtual",
            "-D",
            "pin=9876",
            "-v",
            "--log",
            "log.jsonl",
        ])
        .stderr(
            "    0.000 > AT+CPIN=***\\r
    0.000 = script.atc:3: waiting for OK until 10.000
    0.000 < AT+CPIN=***\\r\\r\\nOK\\r\\n
    0.000 = script.atc:3: matched OK
pin *** accepted
",
        )
        .run();
    let log = std::fs::read_to_string(ran.dir.path().join("log.jsonl")).unwrap();
    assert!(!log.contains("9876"), "the secret leaked into the log:\n{log}");
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["t"].is_number() && v["kind"].is_string(), "{line}");
    }
}

#[test]
fn serial_path_on_a_real_pty() {
    let mut pty = Pty::new();
    let lock_dir = tempfile::tempdir().unwrap();
    let test = Test::new().file("script.atc", "send \"AT\"\nexpect OK\nsay \"got OK\"\n").stderr("got OK\n");
    let running = run_on_device(test, &pty.path, lock_dir.path());
    answer_at(&mut pty);
    running.finish();
    assert_eq!(std::fs::read_dir(lock_dir.path()).unwrap().count(), 0, "the lock file was left behind");
}

#[test]
fn a_vanishing_port_exits_2_naming_the_port_and_the_error() {
    let mut pty = Pty::new();
    let lock_dir = tempfile::tempdir().unwrap();
    let port = pty.path.display().to_string();
    let test = Test::new()
        .file("script.atc", "send \"AT\"\nexpect OK within 30s\n")
        .status(2)
        .stderr(&format!("atchat: script.atc:2: read on `{port}` failed: [..]\n"));
    let running = run_on_device(test, &pty.path, lock_dir.path());
    pty.expect(b"AT\r");
    drop(pty);
    let closed = Instant::now();
    running.finish();
    // Reported, not asserted: timing belongs to benchmarks.
    eprintln!("port vanished → exit 2 after {:?}", closed.elapsed());
}

#[test]
fn stdio_path_as_pppd_runs_a_connect_program() {
    // pppd hands the tty over as stdin and stdout; messages go to stderr.
    let mut pty = Pty::new();
    let slave: OwnedFd = pty.open_slave();
    let running = Test::new()
        .file("script.atc", "send \"AT\"\nexpect OK\nsay \"connect script done\"\n")
        .args(["run", "script.atc", "--port", "-"])
        .stderr("connect script done\n")
        .spawn_with(Stdio::from(slave.try_clone().unwrap()), Stdio::from(slave));
    answer_at(&mut pty);
    running.finish();
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
    let running = Test::new()
        .file("script.atc", format!("send \"AT\"\nexpect OK within {deadline}s\n"))
        .args(["run", "script.atc", "--port"])
        .arg(format!("tcp://{addr}"))
        .status(3)
        .stderr(&format!(
            "atchat: script.atc:2: timed out after {deadline}s waiting for OK; last bytes received: \"[..]\"\n"
        ))
        .spawn();
    let pid = running.id();
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
    running.finish();
    let max_rss_kb = watcher.join().unwrap();
    let sent = flooder.join().unwrap();
    assert!(sent >= 100 * 1024 * 1024, "the flooder sent only {sent} bytes");
    assert!(max_rss_kb < 30 * 1024, "peak memory {max_rss_kb} KiB");
    eprintln!("flood of {} MB: peak RSS {max_rss_kb} KiB", sent >> 20);
}

#[test]
fn sigterm_stops_a_wait_with_exit_2() {
    let running = Test::new()
        .file("script.atc", "send \"AT\"\nsleep 60s\n")
        .args(["run", "script.atc", "--port", "sim:hayes"])
        .status(2)
        .stderr("atchat: stopped by SIGTERM\n")
        .spawn();
    crate::support::cli::wait_until_catching(running.id(), libc::SIGTERM);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(running.id() as libc::pid_t, libc::SIGTERM) };
    let started = Instant::now();
    running.finish();
    assert!(started.elapsed() < Duration::from_secs(10));
}
