//! The real ports against real peers: pseudo-terminals for the serial and stdio ports,
//! socket pairs for stdio as a pipe-like connect program, loopback TCP listeners.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use atchat::port::serial::SerialPort;
use atchat::port::stdio::StdioPort;
use atchat::port::{self, Port, PortError, PortSpec, SerialOptions};

use crate::support::pty::{read_until, Pty};

/// Reads through `port` until `want` arrived or two seconds passed.
#[track_caller]
fn port_expect(port: &mut dyn Port, want: &[u8]) {
    let got = read_until(&mut |buf: &mut [u8]| port.read(buf, Duration::from_millis(100)).expect("port read"), want);
    assert_eq!(got, want, "the port got {:?}", String::from_utf8_lossy(&got));
}

fn lock_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp lock dir")
}

#[track_caller]
fn open_serial(pty: &Pty, locks: &Path) -> SerialPort {
    SerialPort::open(&pty.path, &SerialOptions::default(), locks)
        .unwrap_or_else(|e| panic!("open {}: {e}", pty.path.display()))
}

/// `AT\r` out, `OK\r\n` back: the exchange every script starts with.
#[track_caller]
fn round_trip(port: &mut dyn Port, pty: &mut Pty) {
    port.write_all(b"AT\r").expect("write");
    pty.expect(b"AT\r");
    pty.master.write_all(b"\r\nOK\r\n").expect("modem reply");
    port_expect(port, b"\r\nOK\r\n");
}

/// A read that times out returns `Ok(0)`, and not before its timeout.
#[track_caller]
fn assert_read_times_out(port: &mut dyn Port) {
    let start = Instant::now();
    let n = port.read(&mut [0u8; 16], Duration::from_millis(150)).expect("read");
    let took = start.elapsed();
    assert_eq!(n, 0);
    assert!(took >= Duration::from_millis(150), "returned after {took:?}");
    assert!(took < Duration::from_secs(2), "returned after {took:?}");
}

/// Closes the modem side while `port` is blocked in a long read; the read must fail with
/// an error naming the port instead of waiting out its timeout. Returns the delay from the
/// close to the error, and the error's message.
#[track_caller]
fn assert_dies_with_peer(port: &mut dyn Port, close_peer: impl FnOnce() + Send + 'static) -> (Duration, String) {
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        close_peer();
        Instant::now()
    });
    let result = port.read(&mut [0u8; 16], Duration::from_secs(10));
    let failed_at = Instant::now();
    let closed_at = closer.join().expect("closer thread");
    let err = match result {
        Err(e) => e,
        Ok(n) => panic!("read returned Ok({n}) after the other end closed"),
    };
    assert!(matches!(err, PortError::Closed { .. } | PortError::Io { .. }), "unexpected error kind: {err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("`{}`", port.name())), "{message}");
    // Later reads keep failing: a dead port never turns into silence.
    assert!(port.read(&mut [0u8; 16], Duration::from_millis(10)).is_err());
    (failed_at.saturating_duration_since(closed_at), message)
}

#[test]
fn serial_round_trip_on_a_pty() {
    let mut pty = Pty::new();
    let locks = lock_dir();
    let mut port = open_serial(&pty, locks.path());
    assert_eq!(port.name(), pty.path.display().to_string());
    round_trip(&mut port, &mut pty);
    // Bytes the modem sent before a discard are gone; later ones arrive.
    pty.master.write_all(b"RING\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    port.discard_input().expect("discard input");
    pty.master.write_all(b"OK\r\n").unwrap();
    port_expect(&mut port, b"OK\r\n");
    port.set_baud(9600).expect("a pty keeps a line speed in its termios");
}

#[test]
fn serial_read_without_data_times_out() {
    let pty = Pty::new();
    let locks = lock_dir();
    let mut port = open_serial(&pty, locks.path());
    assert_read_times_out(&mut port);
    assert_eq!(port.read(&mut [], Duration::from_secs(5)).expect("empty buffer"), 0);
}

#[test]
fn serial_read_fails_promptly_when_the_pty_master_closes() {
    let pty = Pty::new();
    let locks = lock_dir();
    let mut port = open_serial(&pty, locks.path());
    let master = pty.master;
    let (delay, message) = assert_dies_with_peer(&mut port, move || drop(master));
    eprintln!("serial: pty master closed → read error after {delay:?}");
    // A hang-up, not a generic "closed": the user must learn the device went away.
    assert!(message.contains("hung up (POLLHUP"), "{message}");
    let err = port.write_all(b"AT\r").expect_err("write to a dead pty");
    assert!(err.to_string().contains(&format!("`{}`", pty.path.display())), "{err}");
}

#[test]
fn modem_control_on_a_pty_is_unsupported_and_names_the_port() {
    let pty = Pty::new();
    let locks = lock_dir();
    let mut port = open_serial(&pty, locks.path());
    let name = pty.path.display().to_string();
    let results = [
        ("DTR", port.set_dtr(false).err()),
        ("RTS", port.set_rts(true).err()),
        ("break", port.send_break(Duration::from_millis(10)).err()),
        ("carrier", port.carrier().err()),
    ];
    for (what, err) in results {
        match err {
            Some(PortError::Unsupported { port, op, reason }) => {
                assert_eq!(port, name, "{what}");
                assert!(op.contains(what), "{what}: op {op:?}");
                assert!(reason.contains("ENOTTY"), "{what}: {reason}");
            }
            other => panic!("{what}: expected Unsupported, got {other:?}"),
        }
    }
}

#[test]
fn serial_lock_file_lives_as_long_as_the_port() {
    let pty = Pty::new();
    let locks = lock_dir();
    let lock = locks.path().join(atchat::port::lock::lock_name(&pty.path));
    assert!(lock.file_name().unwrap().to_string_lossy().starts_with("LCK..pts_"));
    let port = open_serial(&pty, locks.path());
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), format!("{:>10}\n", std::process::id()));
    drop(port);
    assert!(!lock.exists(), "lock file left behind");
}

#[test]
fn serial_second_open_of_the_same_device_fails() {
    let pty = Pty::new();
    let locks = lock_dir();
    let _first = open_serial(&pty, locks.path());
    // Same process, same lock dir: the lock file is ours, so the exclusive open must refuse.
    match SerialPort::open(&pty.path, &SerialOptions::default(), locks.path()) {
        Err(PortError::Locked { port, holder }) => {
            assert_eq!(port, pty.path.display().to_string());
            assert!(holder.contains("exclusive"), "{holder}");
        }
        Err(e) => panic!("expected Locked, got {e:?}"),
        Ok(_) => panic!("second open succeeded"),
    }
}

#[test]
fn serial_open_refuses_a_device_locked_by_another_process() {
    let pty = Pty::new();
    let locks = lock_dir();
    let lock = locks.path().join(atchat::port::lock::lock_name(&pty.path));
    std::fs::write(&lock, "         1\n").unwrap(); // PID 1 is always alive
    match SerialPort::open(&pty.path, &SerialOptions::default(), locks.path()) {
        Err(e @ PortError::Locked { .. }) => {
            let message = e.to_string();
            assert!(message.contains("process 1 "), "{message}");
            assert!(message.contains(&lock.display().to_string()), "{message}");
        }
        Err(e) => panic!("expected Locked, got {e:?}"),
        Ok(_) => panic!("opened a locked device"),
    }
    // The refused open must not have left the device open (exclusively) behind the lock.
    std::fs::remove_file(&lock).unwrap();
    open_serial(&pty, locks.path());
}

#[test]
fn serial_open_of_a_missing_device_names_it() {
    let locks = lock_dir();
    let path = locks.path().join("ttyNOPE");
    let err = SerialPort::open(&path, &SerialOptions::default(), locks.path()).err().expect("opened a missing device");
    assert!(matches!(err, PortError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("`{}`", path.display())), "{err}");
    // A failed open leaves no lock behind.
    assert_eq!(std::fs::read_dir(locks.path()).unwrap().count(), 0);
}

#[test]
fn serial_settings_reach_the_tty() {
    let pty = Pty::new();
    let locks = lock_dir();
    let opts = SerialOptions {
        baud: 9600,
        flow: "rtscts".parse().unwrap(),
        parity: "even".parse().unwrap(),
        data_bits: "7".parse().unwrap(),
        stop_bits: "2".parse().unwrap(),
    };
    let port = SerialPort::open(&pty.path, &opts, locks.path()).expect("open");
    let slave = std::fs::File::open(&pty.path).expect("second look at the slave");
    // SAFETY: tcgetattr fills the zeroed termios.
    let tio = unsafe {
        let mut tio = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut tio), 0);
        tio
    };
    // Linux ptys force CS8 and clear PARENB in every tcsetattr (pty_set_termios), so data
    // bits and parity cannot be checked here; the rest sticks.
    assert_ne!(tio.c_cflag & libc::CSTOPB, 0);
    assert_ne!(tio.c_cflag & libc::CRTSCTS, 0);
    // serialport sets the speed with termios2 (BOTHER), so read it back the same way.
    // SAFETY: TCGETS2 fills the zeroed termios2.
    let speed = unsafe {
        let mut tio2 = std::mem::zeroed::<libc::termios2>();
        assert_eq!(libc::ioctl(slave.as_raw_fd(), libc::TCGETS2, &mut tio2), 0);
        tio2.c_ospeed
    };
    assert_eq!(speed, 9600);
    drop(port);
}

#[test]
fn stdio_on_a_pty_works_like_pppd_hands_it_over() {
    let mut pty = Pty::new();
    let slave = pty.open_slave();
    let write = slave.try_clone().expect("dup");
    let mut port = StdioPort::from_fds(slave, write, "stdin/stdout");
    round_trip(&mut port, &mut pty);
    assert_read_times_out(&mut port);
    port.discard_input().expect("tcflush on a tty");
    port.set_baud(57600).expect("a tty on stdin can change speed");
    match port.set_dtr(false) {
        Err(PortError::Unsupported { port, reason, .. }) => {
            assert_eq!(port, "stdin/stdout");
            assert!(reason.contains("ENOTTY"), "{reason}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let master = pty.master;
    let (delay, _) = assert_dies_with_peer(&mut port, move || drop(master));
    eprintln!("stdio: pty master closed → read error after {delay:?}");
}

#[test]
fn stdio_on_a_socket_pair_has_no_modem_control() {
    let (ours, mut modem) = UnixStream::pair().expect("socketpair");
    let read: OwnedFd = ours.try_clone().expect("dup").into();
    let mut port = StdioPort::from_fds(read, ours.into(), "stdin/stdout");

    port.write_all(b"AT\r").expect("write");
    let mut buf = [0u8; 3];
    modem.read_exact(&mut buf).expect("modem reads");
    assert_eq!(&buf, b"AT\r");
    modem.write_all(b"OK\r\n").expect("modem writes");
    port_expect(&mut port, b"OK\r\n");
    assert_read_times_out(&mut port);

    modem.write_all(b"junk").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    port.discard_input().expect("drain");
    assert_eq!(port.read(&mut [0u8; 8], Duration::ZERO).expect("read"), 0);

    for err in [
        port.set_dtr(true).err(),
        port.set_rts(false).err(),
        port.send_break(Duration::from_millis(10)).err(),
        port.carrier().err(),
        port.set_baud(9600).err(),
    ] {
        match err {
            Some(PortError::Unsupported { port, reason, .. }) => {
                assert_eq!(port, "stdin/stdout");
                assert!(reason.contains("not a terminal"), "{reason}");
            }
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }
    assert_dies_with_peer(&mut port, move || drop(modem));
}

/// A loopback listener that echoes one connection.
fn echo_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 256];
        loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    });
    (port, handle)
}

#[track_caller]
fn open_spec(spec: &str) -> Box<dyn Port> {
    let spec: PortSpec = spec.parse().expect("spec");
    port::open(&spec, &SerialOptions::default()).unwrap_or_else(|e| panic!("open {spec}: {e}"))
}

#[test]
fn tcp_echo_round_trip_and_timeout() {
    let (tcp_port, server) = echo_server();
    let mut port = open_spec(&format!("tcp://127.0.0.1:{tcp_port}"));
    assert_eq!(port.name(), format!("tcp://127.0.0.1:{tcp_port}"));
    port.write_all(b"AT\r").expect("write");
    port_expect(port.as_mut(), b"AT\r");
    assert_read_times_out(port.as_mut());
    drop(port);
    server.join().expect("echo server");
}

#[test]
fn tcp_peer_close_is_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    let mut port = open_spec(&format!("tcp://{addr}"));
    let (conn, _) = listener.accept().expect("accept");
    let (delay, _) = assert_dies_with_peer(port.as_mut(), move || drop(conn));
    eprintln!("tcp: peer closed → read error after {delay:?}");
    match port.read(&mut [0u8; 4], Duration::from_millis(10)) {
        Err(PortError::Closed { port }) => assert_eq!(port, format!("tcp://{addr}")),
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn tcp_has_no_modem_control() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut port = open_spec(&format!("tcp://{}", listener.local_addr().unwrap()));
    for err in [
        port.set_dtr(false).err(),
        port.set_rts(true).err(),
        port.send_break(Duration::from_millis(1)).err(),
        port.carrier().err(),
        port.set_baud(9600).err(),
    ] {
        match err {
            Some(PortError::Unsupported { reason, .. }) => {
                assert!(reason.contains("rfc2217://"), "{reason}")
            }
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }
}

#[test]
fn tcp_connection_refused_names_the_port() {
    let free = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().unwrap();
    let spec: PortSpec = format!("tcp://{free}").parse().unwrap();
    match port::open(&spec, &SerialOptions::default()) {
        Err(e @ PortError::Open { .. }) => {
            assert!(e.to_string().contains(&format!("`tcp://{free}`")), "{e}")
        }
        Err(e) => panic!("expected Open, got {e:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

#[test]
fn tcp_over_ipv6_loopback_when_available() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; the IPv4 tests cover TCP");
        return;
    };
    let addr = listener.local_addr().unwrap();
    let mut port = open_spec(&format!("tcp://[::1]:{}", addr.port()));
    let (mut conn, _) = listener.accept().expect("accept");
    conn.write_all(b"OK\r\n").unwrap();
    port_expect(port.as_mut(), b"OK\r\n");
}

#[test]
fn open_opens_the_simulator_too() {
    let mut port = open_spec("sim:hayes");
    assert_eq!(port.name(), "sim:hayes");
    port.write_all(b"AT\r").unwrap();
    port_expect(port.as_mut(), b"AT\r\r\nOK\r\n");
    let spec: PortSpec = "sim:no-such-modem".parse().unwrap();
    match port::open(&spec, &SerialOptions::default()) {
        Err(PortError::BadSpec { spec, reason }) => {
            assert_eq!(spec, "sim:no-such-modem");
            assert!(reason.contains("unknown profile"), "{reason}");
        }
        Err(e) => panic!("expected BadSpec, got {e:?}"),
        Ok(_) => panic!("opened a simulator with an unknown profile"),
    }
}

/// A scripted RFC 2217 server for one connection: agrees to COM-PORT-OPTION, acknowledges
/// every COM-PORT command the way RFC 2217 says (command + 100, same value), reports DCD on
/// when asked for modem state, and echoes data. Returns every COM-PORT command it received.
fn scripted_rfc2217_server(listener: TcpListener) -> std::thread::JoinHandle<Vec<Vec<u8>>> {
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.write_all(&[255, 253, 44, 255, 251, 0, 255, 253, 0]).expect("negotiate");
        let mut commands = Vec::new();
        let mut pending = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = match conn.read(&mut buf) {
                Ok(0) | Err(_) => return commands,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            let mut out = Vec::new();
            let mut i = 0;
            while i < pending.len() {
                match pending[i..] {
                    [255, 255, ..] => {
                        out.extend_from_slice(&[255, 255]);
                        i += 2;
                    }
                    [255, 250, 44, ..] => {
                        let Some(end) = pending[i..].windows(2).position(|w| w == [255, 240]) else {
                            break; // the rest of this subnegotiation is still on its way
                        };
                        let command = pending[i + 3..i + end].to_vec();
                        let mut reply = vec![255, 250, 44, command[0] + 100];
                        reply.extend_from_slice(&command[1..]);
                        reply.extend_from_slice(&[255, 240]);
                        if command[0] == 11 {
                            reply.extend_from_slice(&[255, 250, 44, 107, 0x80, 255, 240]);
                        }
                        out.extend_from_slice(&reply);
                        commands.push(command);
                        i += end + 2;
                    }
                    [255, 250, ..] | [255] | [255, 251..=254] => break,
                    [255, 251..=254, _, ..] => i += 3,
                    [b, ..] => {
                        out.push(b);
                        i += 1;
                    }
                    [] => break,
                }
            }
            pending.drain(..i);
            if conn.write_all(&out).is_err() {
                return commands;
            }
        }
    })
}

#[test]
fn rfc2217_speaks_com_port_control() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    let server = scripted_rfc2217_server(listener);
    let spec: PortSpec = format!("rfc2217://{addr}").parse().unwrap();
    let opts = SerialOptions {
        baud: 9600,
        flow: "rtscts".parse().unwrap(),
        parity: "even".parse().unwrap(),
        data_bits: "7".parse().unwrap(),
        stop_bits: "2".parse().unwrap(),
    };
    let mut port = port::open(&spec, &opts).expect("open rfc2217");
    // Data with an IAC byte in it survives the escaping both ways.
    port.write_all(b"AT\xff\r").expect("write");
    port_expect(port.as_mut(), b"AT\xff\r");
    port.set_dtr(false).expect("drop DTR");
    port.set_dtr(true).expect("raise DTR");
    port.set_rts(false).expect("drop RTS");
    port.set_rts(true).expect("raise RTS");
    port.send_break(Duration::from_millis(10)).expect("break");
    assert!(port.carrier().expect("carrier"), "the server reported DCD on");
    port.set_baud(0xFF00).expect("a speed with an IAC byte in it");
    port.discard_input().expect("purge");
    drop(port);
    let commands = server.join().expect("server");
    let expected: Vec<Vec<u8>> = vec![
        vec![1, 0, 0, 0x25, 0x80],  // SET-BAUDRATE 9600
        vec![2, 7],                 // SET-DATASIZE 7
        vec![3, 3],                 // SET-PARITY even
        vec![4, 2],                 // SET-STOPSIZE 2
        vec![5, 3],                 // SET-CONTROL hardware flow control
        vec![11, 255, 255],         // SET-MODEMSTATE-MASK all (IAC doubled on the wire)
        vec![5, 9],                 // DTR off
        vec![5, 8],                 // DTR on
        vec![5, 12],                // RTS off
        vec![5, 11],                // RTS on
        vec![5, 5],                 // break on
        vec![5, 6],                 // break off
        vec![1, 0, 0, 255, 255, 0], // SET-BAUDRATE 0xFF00, IAC doubled
        vec![12, 1],                // PURGE-DATA receive buffer
    ];
    assert_eq!(commands, expected);
}

#[test]
fn rfc2217_against_a_plain_tcp_server_fails_clearly() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        // A Telnet server without COM-PORT-OPTION refuses it.
        let _ = conn.write_all(&[255, 254, 44]);
        let _ = conn.read(&mut [0u8; 64]);
    });
    let spec: PortSpec = format!("rfc2217://{addr}").parse().unwrap();
    match port::open(&spec, &SerialOptions::default()) {
        Err(e @ PortError::Open { .. }) => {
            let message = e.to_string();
            assert!(message.contains("refused RFC 2217"), "{message}");
            assert!(message.contains(&format!("`rfc2217://{addr}`")), "{message}");
        }
        Err(e) => panic!("expected Open, got {e:?}"),
        Ok(_) => panic!("opened a server without COM-PORT-OPTION"),
    }
    server.join().expect("server");
}

/// ser2net serving a pty over RFC 2217 on loopback, killed on drop.
struct Ser2net {
    child: std::process::Child,
    port: u16,
}

impl Ser2net {
    /// Starts ser2net for `device`, or `None` when it is not installed.
    fn start(device: &Path) -> Option<Ser2net> {
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let config = format!(
            "connection: &atchat#  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}#  \
             connector: serialdev,{},115200n81,local#  options:#    kickolduser: true",
            device.display()
        );
        let child = match std::process::Command::new("ser2net")
            .args(["-n", "-u", "-Y", &config])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => panic!("ser2net: {e}"),
        };
        let ser2net = Ser2net { child, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(5), "ser2net did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(ser2net)
    }
}

impl Drop for Ser2net {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rfc2217_through_ser2net_to_a_pty() {
    let mut pty = Pty::new();
    // .ci/test installs ser2net; a run without it must not pass silently.
    let ser2net =
        Ser2net::start(&pty.path).expect("ser2net is not installed: `apt-get install ser2net` (bash .ci/test does it)");
    // ser2net may still be closing the probe connection; kickolduser lets us in regardless.
    let spec: PortSpec = format!("rfc2217://127.0.0.1:{}", ser2net.port).parse().unwrap();
    let opts = SerialOptions { baud: 9600, ..SerialOptions::default() };
    let mut port = port::open(&spec, &opts).unwrap_or_else(|e| panic!("open {spec}: {e}"));
    port.write_all(b"AT\r").expect("write");
    pty.expect(b"AT\r");
    pty.master.write_all(b"\r\nOK\xff\r\n").expect("modem reply");
    port_expect(port.as_mut(), b"\r\nOK\xff\r\n");
    // ser2net set the pty's line speed as asked.
    let slave = std::fs::File::open(&pty.path).expect("look at the slave");
    // SAFETY: TCGETS2 fills the zeroed termios2.
    let speed = unsafe {
        let mut tio2 = std::mem::zeroed::<libc::termios2>();
        assert_eq!(libc::ioctl(slave.as_raw_fd(), libc::TCGETS2, &mut tio2), 0);
        tio2.c_ospeed
    };
    assert_eq!(speed, 9600);
    port.set_baud(19200).expect("set baud through ser2net");
    assert_read_times_out(port.as_mut());
}
