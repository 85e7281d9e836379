//! `atchat sim` checked from outside the process: the pty and RFC 2217 with pyserial (an
//! independent client), raw TCP, and two sims calling each other over loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::Test;
use crate::support::sim::Sim;

/// Runs a pyserial peer script from `tests/data/sim/peers`; pyserial must be installed
/// (`pip install pyserial`).
#[track_caller]
fn pyserial(script: &str, arg: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sim/peers")
        .join(script);
    let output = Command::new("python3")
        .arg(&path)
        .arg(arg)
        .output()
        .expect("run python3");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'serial'"),
        "these tests need pyserial: pip install pyserial"
    );
    assert!(
        output.status.success(),
        "{script} failed: {stderr}{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
}

/// A raw TCP client of `atchat sim --tcp`.
struct Dte(TcpStream);

impl Dte {
    #[track_caller]
    fn connect(addr: &str) -> Dte {
        let stream = TcpStream::connect(addr).expect("connect to the sim");
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Dte(stream)
    }

    fn send(&mut self, bytes: &str) {
        self.0
            .write_all(bytes.as_bytes())
            .expect("write to the sim");
    }

    /// Reads until `wanted` arrives (or 10 s pass) and returns everything read.
    #[track_caller]
    fn expect(&mut self, wanted: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains(wanted) {
            assert!(
                Instant::now() < deadline,
                "waited for {wanted:?}, got {:?}",
                String::from_utf8_lossy(&got)
            );
            match self.0.read(&mut buf) {
                Ok(0) => panic!(
                    "the sim closed the connection; got {:?}",
                    String::from_utf8_lossy(&got)
                ),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }
}

#[test]
fn pty_serves_a_hayes_modem_to_pyserial() {
    let sim = Sim::start(&["--pty"], 1);
    assert!(sim.lines[0].starts_with("/dev/pts/"), "{:?}", sim.lines);
    pyserial("pyserial_pty.py", &sim.lines[0]);
}

#[test]
fn pty_serves_a_gsm_modem() {
    let sim = Sim::start(&["--profile", "gsm", "--pin", "1234", "--pty"], 1);
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&sim.lines[0])
        .expect("open the pty");
    pty.write_all(b"ATE0+CMEE=2;+CPIN?\r").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(b"OK\r\n") {
        let n = pty.read(&mut buf).expect("read the pty");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        "ATE0+CMEE=2;+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    );
}

#[test]
fn rfc2217_carries_baud_dtr_break_and_carrier() {
    let sim = Sim::start(&["--rfc2217", "127.0.0.1:0"], 1);
    pyserial("pyserial_rfc2217.py", &sim.lines[0]);
}

#[test]
fn tcp_serves_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("busy.scenario");
    std::fs::write(&scenario, "busy 1\nring-delay 100ms\n").unwrap();
    let sim = Sim::start(
        &[
            "--tcp",
            "127.0.0.1:0",
            "--scenario",
            scenario.to_str().unwrap(),
        ],
        1,
    );
    let mut dte = Dte::connect(&sim.lines[0]);
    dte.send("ATE0\r");
    dte.expect("OK\r\n");
    dte.send("ATD1\r");
    assert_eq!(dte.expect("BUSY\r\n"), "\r\nBUSY\r\n");
    dte.send("ATD1\r");
    assert_eq!(dte.expect("CONNECT 115200\r\n"), "\r\nCONNECT 115200\r\n");
}

#[test]
fn two_sims_carry_a_call_over_loopback() {
    let callee = Sim::start(&["--tcp", "127.0.0.1:0", "--listen", "127.0.0.1:0"], 2);
    let phonebook = format!("5551234={}", callee.lines[1]);
    let caller = Sim::start(&["--tcp", "127.0.0.1:0", "--phonebook", &phonebook], 1);
    let mut a = Dte::connect(&callee.lines[0]);
    let mut b = Dte::connect(&caller.lines[0]);
    a.send("ATE0S0=1\r");
    a.expect("OK\r\n");
    b.send("ATE0S12=5\r");
    b.expect("OK\r\n");

    // Dialing the listen address directly: it rings, S0=1 answers, both see CONNECT.
    b.send(&format!("ATDT{}\r", callee.lines[1]));
    assert_eq!(
        a.expect("CONNECT 115200\r\n"),
        "\r\nRING\r\n\r\nCONNECT 115200\r\n"
    );
    assert_eq!(b.expect("CONNECT 115200\r\n"), "\r\nCONNECT 115200\r\n");
    // Data passes both ways unchanged.
    let all_bytes: String = (1u8..128).map(char::from).collect();
    b.send(&all_bytes);
    assert_eq!(a.expect("\x7f"), all_bytes);
    a.send("from a");
    assert_eq!(b.expect("from a"), "from a");
    // +++ then ATH on one side: NO CARRIER on the other.
    std::thread::sleep(Duration::from_millis(200));
    b.send("+++");
    assert_eq!(b.expect("OK\r\n"), "\r\nOK\r\n");
    b.send("ATH\r");
    assert_eq!(b.expect("OK\r\n"), "\r\nOK\r\n");
    assert_eq!(a.expect("NO CARRIER\r\n"), "+++\r\nNO CARRIER\r\n");

    // Through the phonebook, answered by hand with ATA.
    a.send("ATS0=0\r");
    a.expect("OK\r\n");
    b.send("ATDT5551234\r");
    assert_eq!(a.expect("RING\r\n"), "\r\nRING\r\n");
    a.send("ATA\r");
    a.expect("CONNECT 115200\r\n");
    b.expect("CONNECT 115200\r\n");
}

#[test]
fn a_second_caller_gets_busy() {
    let callee = Sim::start(&["--tcp", "127.0.0.1:0", "--listen", "127.0.0.1:0"], 2);
    let first = Sim::start(&["--tcp", "127.0.0.1:0"], 1);
    let second = Sim::start(&["--tcp", "127.0.0.1:0"], 1);
    let mut a = Dte::connect(&callee.lines[0]);
    a.send("ATE0\r");
    a.expect("OK\r\n");
    let mut b = Dte::connect(&first.lines[0]);
    b.send(&format!("ATE0DT{}\r", callee.lines[1]));
    a.expect("RING\r\n");
    let mut c = Dte::connect(&second.lines[0]);
    c.send("ATE0\r");
    c.expect("OK\r\n");
    c.send(&format!("ATDT{}\r", callee.lines[1]));
    assert_eq!(c.expect("BUSY\r\n"), "\r\nBUSY\r\n");
}

#[test]
fn nothing_listens_beyond_loopback_unless_asked() {
    Test::new()
        .args(["sim", "--tcp", "0.0.0.0:0"])
        .status(1)
        .stderr("atchat sim: `0.0.0.0:0` is not a loopback address; add --allow-remote to use it\n")
        .run();
}
