//! `SimPort`: the simulated modem as an in-process port, on virtual and real time.

use std::time::{Duration, Instant};

use atchat::port::sim::{SimClock, SimPort};
use atchat::port::{Port, PortError};

/// Reads until `wanted` has arrived or `timeout` (port time) passes; returns all read.
#[track_caller]
fn read_until(port: &mut SimPort, wanted: &str, timeout: Duration) -> String {
    let deadline = port.now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !String::from_utf8_lossy(&got).contains(wanted) && port.now() < deadline {
        let left = deadline.saturating_sub(port.now());
        let n = port.read(&mut buf, left).expect("read");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn a_60_second_wait_on_virtual_time_takes_no_real_time() {
    let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
    let started = Instant::now();
    let before = port.now();
    let mut buf = [0u8; 16];
    assert_eq!(port.read(&mut buf, Duration::from_secs(60)).unwrap(), 0);
    assert_eq!(port.now() - before, Duration::from_secs(60));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn virtual_read_jumps_to_the_connect() {
    let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
    port.write_all(b"ATE0\r").unwrap();
    assert_eq!(read_until(&mut port, "OK\r\n", Duration::from_secs(1)), "ATE0\r\r\nOK\r\n");
    assert!(!port.carrier().unwrap());
    port.write_all(b"ATD5551234\r").unwrap();
    let got = read_until(&mut port, "CONNECT", Duration::from_secs(60));
    assert_eq!(got, "\r\nCONNECT 115200\r\n");
    // The default ring delay is one second, and the read returned right then.
    assert_eq!(port.now(), Duration::from_secs(1));
    assert!(port.carrier().unwrap());
}

#[test]
fn lines_reach_the_modem() {
    let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
    port.set_baud(9600).unwrap();
    port.write_all(b"ATE0D1\r").unwrap();
    assert!(read_until(&mut port, "CONNECT 9600", Duration::from_secs(5)).ends_with("CONNECT 9600\r\n"));
    port.set_dtr(false).unwrap();
    assert_eq!(read_until(&mut port, "NO CARRIER", Duration::from_secs(1)), "\r\nNO CARRIER\r\n");
    assert!(!port.carrier().unwrap());
    port.set_dtr(true).unwrap();
    port.set_rts(false).unwrap();
    port.send_break(Duration::from_millis(300)).unwrap();
    assert_eq!(port.modem().breaks(), 1);
    assert!(!port.modem().rts());
}

#[test]
fn discard_input_drops_unread_output() {
    let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
    port.write_all(b"AT\r").unwrap();
    port.discard_input().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(port.read(&mut buf, Duration::from_millis(10)).unwrap(), 0);
}

#[test]
fn spec_options_set_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("busy.scenario");
    std::fs::write(&file, "busy 1\n").unwrap();
    let mut port = SimPort::open(&format!("hayes?scenario={}", file.display()), SimClock::Virtual).unwrap();
    port.write_all(b"ATE0D1\r").unwrap();
    assert!(read_until(&mut port, "BUSY", Duration::from_secs(60)).ends_with("\r\nBUSY\r\n"));

    let mut port = SimPort::open("gsm?pin=4321", SimClock::Virtual).unwrap();
    port.write_all(b"AT+CPIN?\r").unwrap();
    assert!(read_until(&mut port, "OK", Duration::from_secs(1)).contains("+CPIN: SIM PIN"));
    assert_eq!(port.name(), "sim:gsm?pin=4321");
}

#[test]
fn bad_specs_are_clear_errors() {
    for (spec, message) in [
        (
            "modem",
            "bad port `sim:modem`: unknown profile `modem`; the bundled profiles are `hayes`, \
             `gsm`, `bare-hayes`, `wavecom`, `huawei-e1752`, `huawei-e3372`, `zte`, `qualcomm`, \
             `quectel-ec25`, `simcom-sim800`, `simcom-sim7600`, `ublox`, `telit`, `sierra`, \
             `nokia`, or give a .toml file",
        ),
        ("hayes?speed=9", "bad port `sim:hayes?speed=9`: unknown option `speed=9`; use `scenario=FILE`, `pin=DIGITS` or `clock=virtual`"),
        ("gsm?pin=abc", "bad port `sim:gsm?pin=abc`: `abc` is not a PIN"),
    ] {
        let err = SimPort::open(spec, SimClock::Virtual).unwrap_err();
        assert!(matches!(err, PortError::BadSpec { .. }));
        assert_eq!(err.to_string(), message);
    }
    let err = SimPort::open("hayes?scenario=/nonexistent/x", SimClock::Virtual).unwrap_err();
    assert!(err.to_string().contains("cannot read scenario `/nonexistent/x`"), "{err}");
}

#[test]
fn real_clock_waits_for_the_ring_delay() {
    let mut port = SimPort::open("hayes", SimClock::Real).unwrap();
    port.write_all(b"ATE0S7=5\r").unwrap();
    assert_eq!(read_until(&mut port, "OK\r\n", Duration::from_secs(2)), "ATE0S7=5\r\r\nOK\r\n");
    let started = Instant::now();
    port.write_all(b"ATD1\r").unwrap();
    assert!(read_until(&mut port, "CONNECT", Duration::from_secs(5)).contains("CONNECT"));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(990) && took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn the_in_process_sim_refuses_a_tcp_dial_and_says_why() {
    let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
    port.write_all(b"ATE0\r").unwrap();
    read_until(&mut port, "OK\r\n", Duration::from_secs(1));
    port.write_all(b"ATDTtcp:127.0.0.1:5300\r").unwrap();
    assert_eq!(
        read_until(&mut port, "NO CARRIER\r\n", Duration::from_secs(60)),
        "\r\ntcp:127.0.0.1:5300: the in-process sim does not dial TCP; serve it with \
         `atchat sim --pty` (docs/sim.md)\r\n\r\nNO CARRIER\r\n"
    );
    // A sim address still reaches the built-in far end, as before.
    port.write_all(b"ATD127.0.0.1:4000\r").unwrap();
    assert_eq!(read_until(&mut port, "CONNECT", Duration::from_secs(60)), "\r\nCONNECT 115200\r\n");
}
