//! atchat as pppd's connect program, over real PPP links: tests/pppd boots a QEMU guest
//! (the host kernel has no PPP) and runs every scenario in one boot; each test here checks
//! one scenario's line of results.tsv. Nothing is skipped: when QEMU, the kernel or the
//! guest is unavailable, every test fails and says why. See tests/pppd/run.sh.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every scenario of tests/pppd/scenarios.sh, in its order.
const SCENARIOS: &[&str] = &[
    "run-link",
    "chat-link",
    "run-disconnect",
    "gsm-link",
    "run-busy",
    "run-no-carrier",
    "run-timeout",
    "gsm-wrong-pin",
    "chat-busy",
    "chat-no-carrier",
    "chat-timeout",
];

struct Row {
    result: String,
    seconds: String,
    detail: String,
}

struct Run {
    out: PathBuf,
    rows: BTreeMap<String, Row>,
}

/// The one guest boot all tests share (the first test to get here starts it).
fn run() -> &'static Run {
    static RUN: OnceLock<Result<Run, String>> = OnceLock::new();
    match RUN.get_or_init(boot) {
        Ok(run) => run,
        Err(why) => panic!("{why}"),
    }
}

fn boot() -> Result<Run, String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out = tmp.join("pppd");
    // This directory is ours: the previous run's results go (run.sh keeps out of others).
    let _ = fs::remove_dir_all(&out);
    let output = Command::new("bash")
        .arg(repo.join("tests/pppd/run.sh"))
        .arg("--atchat")
        .arg(env!("CARGO_BIN_EXE_atchat"))
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(tmp.join("pppd-cache"))
        .output()
        .map_err(|e| format!("cannot run tests/pppd/run.sh: {e}"))?;
    let said = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    eprintln!("{said}");
    // 0: all passed, 1: some scenario failed (each test reports its own); anything else
    // means there are no results to trust.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Err(format!("the PPP guest did not run ({}); tests/pppd/run.sh said:\n{said}", output.status));
    }
    let tsv = fs::read_to_string(out.join("results.tsv"))
        .map_err(|e| format!("no {}: {e}\n{said}", out.join("results.tsv").display()))?;
    let mut rows = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            return Err(format!("malformed line in results.tsv: {line:?}"));
        }
        let row = Row { result: f[1].into(), seconds: f[2].into(), detail: f[3].into() };
        rows.insert(f[0].to_string(), row);
    }
    Ok(Run { out, rows })
}

fn tail(path: &Path, lines: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}

fn check(name: &str) {
    let run = run();
    let dir = run.out.join(name);
    let Some(row) = run.rows.get(name) else {
        panic!("scenario {name} did not run: see {}", run.out.join("scenarios.log").display());
    };
    assert!(
        row.result == "pass",
        "scenario {name} failed after {} s: {}\n--- {}/pppd.log (tail):\n{}\n--- scenarios.log:\n{}",
        row.seconds,
        row.detail,
        dir.display(),
        tail(&dir.join("pppd.log"), 40),
        tail(&run.out.join("scenarios.log"), 30),
    );
}

#[test]
fn every_scenario_ran_and_has_a_test() {
    let run = run();
    let ran: Vec<&str> = run.rows.keys().map(String::as_str).collect();
    let mut known = SCENARIOS.to_vec();
    known.sort_unstable();
    assert_eq!(ran, known, "results.tsv and this file's SCENARIOS differ");
}

/// (i) `connect "atchat run examples/hayes-dial.atc --port - -D number=..."`: LCP and
/// IPV6CP up, 64 KiB echoed over fe80::1%ppp0, SIGTERM ends both pppds cleanly.
#[test]
fn run_link() {
    check("run-link");
}

/// (ii) The same with `connect "atchat chat -v -f tests/pppd/dial.chat -T ..."`; chat's
/// `-v` lines (`send (ATDT5551234^M)`, `CONNECT`) in syslog.
#[test]
fn chat_link() {
    check("chat-link");
}

/// The link of run-link, ended by pppd's `disconnect` program written in atchat
/// (tests/pppd/disconnect.atc: escape and ATH on a port without DTR), which logs to syslog
/// with `--syslog`.
#[test]
fn run_disconnect() {
    check("run-disconnect");
}

/// examples/gprs-ppp.atc on a PIN-locked GSM modem (the `quectel-ec25` profile, its
/// `ATD*99***1#` connected to the ISP by `--packet-data`), with `-v`: the transcript in
/// pppd's log shows the PIN asked for, sent masked and accepted, and CONNECT; the link comes
/// up, data crosses it, and the secret PIN is in neither pppd's log nor syslog (iv).
#[test]
fn gsm_link() {
    check("gsm-link");
}

/// (iii) BUSY: pppd says "Connect script failed" and exits 8; its log has atchat's message
/// and exit status 11.
#[test]
fn run_busy() {
    check("run-busy");
}

/// (iii) NO CARRIER with `atchat run`: exit status 7 in pppd's log.
#[test]
fn run_no_carrier() {
    check("run-no-carrier");
}

/// (iii) A modem that never answers, with `atchat run`: exit status 3 in pppd's log.
#[test]
fn run_timeout() {
    check("run-timeout");
}

/// (iii) A wrong PIN with examples/gprs-ppp.atc: `+CME ERROR: 16`, exit status 13 and
/// "wrong PIN" in pppd's log, the wrong PIN itself in no log.
#[test]
fn gsm_wrong_pin() {
    check("gsm-wrong-pin");
}

/// (iii) BUSY with `atchat chat`: chat's ABORT exit status 4.
#[test]
fn chat_busy() {
    check("chat-busy");
}

/// (iii) NO CARRIER with `atchat chat`: exit status 5.
#[test]
fn chat_no_carrier() {
    check("chat-no-carrier");
}

/// (iii) A modem that never answers, with `atchat chat`: exit status 3.
#[test]
fn chat_timeout() {
    check("chat-timeout");
}
