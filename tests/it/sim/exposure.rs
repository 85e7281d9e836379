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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sim/peers").join(script);
    let output = Command::new("python3").arg(&path).arg(arg).output().expect("run python3");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("No module named 'serial'"), "these tests need pyserial: pip install pyserial");
    assert!(output.status.success(), "{script} failed: {stderr}{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
}

/// A raw TCP client of `atchat sim --tcp`.
struct Dte(TcpStream);

impl Dte {
    #[track_caller]
    fn connect(addr: &str) -> Dte {
        let stream = TcpStream::connect(addr).expect("connect to the sim");
        stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        Dte(stream)
    }

    fn send(&mut self, bytes: &str) {
        self.0.write_all(bytes.as_bytes()).expect("write to the sim");
    }

    /// Reads until `wanted` arrives (or 10 s pass) and returns everything read.
    #[track_caller]
    fn expect(&mut self, wanted: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains(wanted) {
            assert!(Instant::now() < deadline, "waited for {wanted:?}, got {:?}", String::from_utf8_lossy(&got));
            match self.0.read(&mut buf) {
                Ok(0) => panic!("the sim closed the connection; got {:?}", String::from_utf8_lossy(&got)),
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
    let mut pty = std::fs::OpenOptions::new().read(true).write(true).open(&sim.lines[0]).expect("open the pty");
    pty.write_all(b"ATE0+CMEE=2;+CPIN?\r").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(b"OK\r\n") {
        let n = pty.read(&mut buf).expect("read the pty");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8_lossy(&got), "ATE0+CMEE=2;+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
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
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--scenario", scenario.to_str().unwrap()], 1);
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
    assert_eq!(a.expect("CONNECT 115200\r\n"), "\r\nRING\r\n\r\nCONNECT 115200\r\n");
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

/// A TCP service on loopback for the sim to dial, as a BBS or an ISP would be: each
/// connection echoes what it reads, prefixed once with `hello\r\n`; `bye` makes it close.
/// It reports each connection's end on `closed` (true: the sim hung up first).
struct Service {
    addr: String,
    closed: std::sync::mpsc::Receiver<bool>,
}

impl Service {
    fn start() -> Service {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap().to_string();
        let (tx, closed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let _ = stream.write_all(b"hello\r\n");
                let mut buf = [0u8; 4096];
                let by_sim = loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break true,
                        Ok(n) if &buf[..n] == b"bye" => break false,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).is_err() {
                                break true;
                            }
                        }
                        Err(_) => break false,
                    }
                };
                drop(stream);
                if tx.send(by_sim).is_err() {
                    return;
                }
            }
        });
        Service { addr, closed }
    }

    /// How the last connection ended (true: the sim closed it).
    #[track_caller]
    fn ended(&self) -> bool {
        self.closed.recv_timeout(Duration::from_secs(10)).expect("the service's connection did not end")
    }
}

/// A closed loopback port: bound, then released.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

#[test]
fn a_phonebook_number_dials_a_tcp_service() {
    let service = Service::start();
    let phonebook = format!("5551234=tcp:{}", service.addr);
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--phonebook", &phonebook], 1);
    let mut dte = Dte::connect(&sim.lines[0]);
    dte.send("ATE0S12=5\r");
    dte.expect("OK\r\n");
    dte.send("ATDT5551234\r");
    // CONNECT as soon as the TCP connection is up, then the service's own bytes.
    assert_eq!(dte.expect("hello\r\n"), "\r\nCONNECT 115200\r\nhello\r\n");
    let all_bytes: String = (1u8..128).map(char::from).collect();
    dte.send(&all_bytes);
    assert_eq!(dte.expect("\x7f"), all_bytes);
    // +++ reaches the service as data (and comes back), then the modem says OK; ATO
    // goes back online, the call still up.
    std::thread::sleep(Duration::from_millis(200));
    dte.send("+++");
    assert_eq!(dte.expect("OK\r\n"), "+++\r\nOK\r\n");
    dte.send("ATO\r");
    assert_eq!(dte.expect("CONNECT 115200\r\n"), "\r\nCONNECT 115200\r\n");
    dte.send("still here");
    dte.expect("still here");
    // The service hanging up is NO CARRIER.
    dte.send("bye");
    assert_eq!(dte.expect("NO CARRIER\r\n"), "\r\nNO CARRIER\r\n");
    assert!(!service.ended(), "the service, not the sim, closed");
    // ATH hangs up: the service sees the connection close.
    dte.send("ATDT5551234\r");
    dte.expect("hello\r\n");
    std::thread::sleep(Duration::from_millis(200));
    dte.send("+++");
    dte.expect("OK\r\n");
    dte.send("ATH\r");
    dte.expect("OK\r\n");
    assert!(service.ended(), "ATH did not close the TCP connection");
    // The DTE going away (DTR drop, &D2) hangs up too.
    dte.send("ATDT5551234\r");
    dte.expect("hello\r\n");
    drop(dte);
    assert!(service.ended(), "DTR drop did not close the TCP connection");
}

#[test]
fn a_tcp_dial_string_reaches_a_service_and_a_refusal_is_no_carrier() {
    let service = Service::start();
    let sim = Sim::start(&["--tcp", "127.0.0.1:0"], 1);
    let mut dte = Dte::connect(&sim.lines[0]);
    dte.send("ATE0\r");
    dte.expect("OK\r\n");
    dte.send(&format!("ATDtcp:{}\r", service.addr));
    assert_eq!(dte.expect("hello\r\n"), "\r\nCONNECT 115200\r\nhello\r\n");
    dte.send("bye");
    dte.expect("NO CARRIER\r\n");
    // Nothing listens: NO CARRIER at once, as tcpser answers.
    dte.send(&format!("ATDTtcp:{}\r", closed_port()));
    assert_eq!(dte.expect("NO CARRIER\r\n"), "\r\nNO CARRIER\r\n");
    // Beyond loopback a dial string needs --allow-remote (the phonebook does not).
    dte.send("ATDtcp:192.0.2.1:23\r");
    assert_eq!(dte.expect("NO CARRIER\r\n"), "\r\nNO CARRIER\r\n");
}

#[test]
fn gsm_packet_data_connects_to_the_configured_endpoint() {
    // Packet data belongs to the GSM engine: the bare profile and a vendor's built on it.
    for profile in ["gsm", "huawei-e1752"] {
        let service = Service::start();
        let endpoint = format!("tcp:{}", service.addr);
        let sim = Sim::start(&["--profile", profile, "--tcp", "127.0.0.1:0", "--packet-data", &endpoint], 1);
        let mut dte = Dte::connect(&sim.lines[0]);
        dte.send("ATE0S12=5\r");
        dte.expect("OK\r\n");
        for dial in ["ATD*99#", "ATD*99***1#", "AT+CGDATA=\"PPP\",1"] {
            dte.send(&format!("{dial}\r"));
            let connect = dte.expect("hello\r\n");
            assert_eq!(connect, "\r\nCONNECT 115200\r\nhello\r\n", "{profile} {dial}");
            dte.send("ppp frames");
            dte.expect("ppp frames");
            std::thread::sleep(Duration::from_millis(200));
            dte.send("+++");
            dte.expect("OK\r\n");
            dte.send("ATH\r");
            dte.expect("OK\r\n");
            assert!(service.ended(), "{profile} {dial}: ATH did not close the connection");
        }
        // A voice call is not packet data: it stays with the built-in network.
        dte.send("ATD5551234;\r");
        let answer = dte.expect("OK\r\n");
        assert!(answer.starts_with("\r\nOK\r\n"), "{profile}: {answer:?}");
    }
}

#[test]
fn without_an_endpoint_gsm_packet_data_is_the_built_in_far_end() {
    let sim = Sim::start(&["--profile", "gsm", "--tcp", "127.0.0.1:0"], 1);
    let mut dte = Dte::connect(&sim.lines[0]);
    dte.send("ATE0\r");
    dte.expect("OK\r\n");
    dte.send("ATD*99#\r");
    assert_eq!(dte.expect("CONNECT 115200\r\n"), "\r\nCONNECT 115200\r\n");
    dte.send("echoed");
    dte.expect("echoed");
}

#[test]
fn sim_targets_and_bad_entries_are_told_apart() {
    // `sim:` is the explicit form of a call to another sim; unknown forms are refused.
    let callee = Sim::start(&["--tcp", "127.0.0.1:0", "--listen", "127.0.0.1:0"], 2);
    let phonebook = format!("77=sim:{}", callee.lines[1]);
    let caller = Sim::start(&["--tcp", "127.0.0.1:0", "--phonebook", &phonebook], 1);
    let mut a = Dte::connect(&callee.lines[0]);
    a.send("ATE0S0=1\r");
    a.expect("OK\r\n");
    let mut b = Dte::connect(&caller.lines[0]);
    b.send("ATE0D77\r");
    a.expect("CONNECT 115200\r\n");
    b.expect("CONNECT 115200\r\n");
    Test::new()
        .args(["sim", "--pty", "--phonebook", "5551234=udp:127.0.0.1:1"])
        .status(1)
        .stderr(
            "atchat sim: bad phonebook entry: `udp:127.0.0.1:1` is not tcp:HOST:PORT, \
             sim:IP:PORT or IP:PORT\n",
        )
        .run();
    Test::new()
        .args(["sim", "--pty", "--packet-data", "tcp:127.0.0.1:1"])
        .status(1)
        .stderr(
            "atchat sim: --packet-data needs a GSM profile (gsm or one built on it); \
             `hayes` is a Hayes modem\n",
        )
        .run();
    Test::new()
        .args(["sim", "--pty", "--profile", "bare-hayes", "--packet-data", "tcp:127.0.0.1:1"])
        .status(1)
        .stderr(
            "atchat sim: --packet-data needs a GSM profile (gsm or one built on it); \
             `bare-hayes` is a Hayes modem\n",
        )
        .run();
}

/// Runs tests/data/sim/peers/hang-up.atc against the pty with `-v`; returns the transcript.
#[track_caller]
fn hang_up_over(pty: &str, dial: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sim/peers/hang-up.atc");
    let output = Command::new(env!("CARGO_BIN_EXE_atchat"))
        .arg("run")
        .arg(&script)
        .args(["--port", pty, "-v", "-D", &format!("dial={dial}")])
        .output()
        .expect("run atchat");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "hang-up.atc failed: {stderr}");
    assert!(stderr.contains("on hook"), "{stderr}");
    stderr
}

/// A pty has no DTR: hayes.hang_up() escapes only when the modem is online. In command
/// state it used to wait 10 s for an OK to a `+++` the modem never answers.
#[test]
fn hang_up_escapes_only_when_online() {
    let sim = Sim::start(&["--pty"], 1);
    let idle = hang_up_over(&sim.lines[0], "no");
    assert!(!idle.contains("> +++"), "escape in command state:\n{idle}");
    let online = hang_up_over(&sim.lines[0], "yes");
    assert!(online.contains("> +++"), "no escape online:\n{online}");
}

/// `atchat run --baud` sets the speed with TCSETS2 and BOTHER (through the serialport
/// crate): the sim used to read only the old Bxxx field, saw no speed, and kept answering
/// CONNECT at the pty's default 38400.
#[test]
fn pty_connects_at_the_speed_atchat_run_sets() {
    let sim = Sim::start(&["--pty"], 1);
    for baud in ["9600", "115200"] {
        Test::new()
            .file(
                "dial.atc",
                "send \"ATD5551234\"\nexpect \"CONNECT {rate}\" within 10s\nsay \"rate {rate}\"\nhangup\n",
            )
            .args(["run", "dial.atc", "--port", &sim.lines[0], "--baud", baud])
            .stderr(&format!("rate {baud}\n"))
            .run();
    }
}
