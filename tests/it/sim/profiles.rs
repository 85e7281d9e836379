//! Modem profiles: every bundled one opens as a `sim:` port, a user's file is read at the
//! edge and overrides what it names, and a bad file is a clear error (line, field), never a
//! panic. The quirks themselves are the cases under `tests/data/sim/profiles/`.

use std::process::{Command, Stdio};
use std::time::Duration;

use atchat::port::sim::{load_profile, SimClock, SimPort};
use atchat::port::Port;
use atchat::sim::{ModemProfile, MAX_PROFILE_BYTES};

/// Sends `line` and reads until a final result code ends the answer (or 10 s of port time).
#[track_caller]
fn command(port: &mut SimPort, line: &str) -> String {
    port.write_all(line.as_bytes()).unwrap();
    port.write_all(b"\r").unwrap();
    let deadline = port.now() + Duration::from_secs(10);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    let finals = ["OK\r\n", "ERROR\r\n", "ERROR: 11\r\n", "NOT SUPPORT\r\n"];
    while !finals.iter().any(|f| String::from_utf8_lossy(&got).ends_with(f)) && port.now() < deadline {
        let left = deadline.saturating_sub(port.now());
        let n = port.read(&mut buf, left).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn every_bundled_profile_opens_as_a_sim_port_and_names_its_sources() {
    let names: Vec<&str> = ModemProfile::names().collect();
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        let profile = ModemProfile::bundled(name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(profile.name, name);
        assert!(!profile.description.is_empty(), "{name} has no description");
        assert!(!profile.sources.is_empty(), "{name} cites no source");
        let mut port = SimPort::open(name, SimClock::Virtual).unwrap_or_else(|e| panic!("{e}"));
        let echo_off = command(&mut port, "ATE0");
        assert!(echo_off.ends_with("\r\nOK\r\n"), "{name}: ATE0 -> {echo_off:?}");
        let id = command(&mut port, "AT+GMI");
        assert!(id.ends_with("\r\nOK\r\n") && id.len() > 8, "{name}: AT+GMI -> {id:?}");
    }
}

#[test]
fn a_users_profile_file_inherits_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-stick.toml");
    std::fs::write(
        &path,
        "inherit = \"zte\"\ndescription = \"my stick\"\nsources = [\"my own log\"]\n\n\
         [identity]\nmodel = \"MF-TEST\"\n",
    )
    .unwrap();
    let spec = format!("{}?pin=1234", path.display());
    let mut port = SimPort::open(&spec, SimClock::Virtual).unwrap();
    // Inherited from zte: everything but +CPIN refused while the SIM is locked.
    assert!(command(&mut port, "AT+CGMM").ends_with("\r\n+CME ERROR: 11\r\n"));
    assert!(command(&mut port, "AT+CPIN=\"1234\"").ends_with("\r\nOK\r\n"));
    assert!(command(&mut port, "ATE0").ends_with("\r\nOK\r\n"));
    assert_eq!(command(&mut port, "AT+CGMM"), "\r\nMF-TEST\r\n\r\nOK\r\n");
    assert_eq!(command(&mut port, "AT+CGMI"), "\r\nZTE INCORPORATED\r\n\r\nOK\r\n");
    let profile = load_profile(path.to_str().unwrap()).unwrap();
    assert_eq!(profile.name, "my-stick");
    assert_eq!(profile.sources, ["my own log"]);
}

#[track_caller]
fn file_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    load_profile(path.to_str().unwrap()).unwrap_err().to_string()
}

#[test]
fn bad_profile_files_name_the_line_and_the_field() {
    let e = file_error("inherit = \"gsm\"\n\n[voice]\nok = \"later\"\n");
    assert!(e.contains("bad.toml") && e.contains("line 4") && e.contains("voice.ok"), "{e}");
    let e = file_error("inherit = \"gsm\"\n[identity]\nmodle = \"X\"\n");
    assert!(e.contains("line 3") && e.contains("modle"), "{e}");
    let e = file_error("inherit = \"gsm\"\n[defaults]\necho = \"yes\"\n");
    assert!(e.contains("line 3") && e.contains("defaults.echo") && e.contains("bool"), "{e}");
    let e = file_error("inherit = \"gsm\"\n[[reply]]\ncommand = \"ATE0 V1\"\n");
    assert!(e.contains("line 3") && e.contains("reply.command"), "{e}");
    let e = file_error("engine = \"gsm\"\n[identity.ati]\nzero = \"x\"\n");
    assert!(e.contains("line 3") && e.contains("identity.ati"), "{e}");
    let e = file_error("[identity]\nmodel = \"X\"\n");
    assert!(e.contains("inherit"), "{e}");
    let e = file_error("inherit = \"gsm\"\n[voice]\nanswered = [\"two\\r\\nlines\"]\n");
    assert!(e.contains("voice.answered"), "{e}");
    let e = file_error("not toml at all [");
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn oversized_missing_and_unknown_profiles_are_errors() {
    let big = format!("inherit = \"gsm\"\n#{}\n", "x".repeat(MAX_PROFILE_BYTES));
    let e = file_error(&big);
    assert!(e.contains("larger than"), "{e}");
    let e = load_profile("/nonexistent/modem.toml").unwrap_err().to_string();
    assert!(e.contains("cannot read profile") && e.contains("/nonexistent/modem.toml"), "{e}");
    let e = load_profile("huawei-e9999").unwrap_err().to_string();
    assert!(e.contains("unknown profile `huawei-e9999`") && e.contains("`huawei-e1752`"), "{e}");
    let e = SimPort::open("nokia?pin=12x", SimClock::Virtual).unwrap_err().to_string();
    assert!(e.contains("not a PIN"), "{e}");
}

fn atchat() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).stdin(Stdio::null());
    cmd
}

#[test]
fn atchat_sim_refuses_a_bad_profile_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "inherit = \"gsm\"\n[sim]\nlocked_error = \"ERROR\"\n").unwrap();
    let out = atchat().args(["sim", "--tcp", "127.0.0.1:0", "--profile"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 3") && stderr.contains("sim.locked_allow"), "{stderr}");
    let out = atchat().args(["sim", "--tcp", "127.0.0.1:0", "--profile", "nosuch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile `nosuch`"));
}

#[test]
fn a_script_runs_against_a_vendor_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.atc");
    std::fs::write(
        &path,
        "timeout 5s\nsend \"AT+CPROT=?\"\nexpect \"COMMAND NOT SUPPORT\"\nsay \"vendor final seen\"\n",
    )
    .unwrap();
    let out = atchat().arg("run").arg(&path).args(["--port", "sim:huawei-e1752"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("vendor final seen"), "{stderr}");
}
