//! Secret params never reach a transcript (`-v`), a log (`--log`), a message, the debugger or
//! a `.atcb` file, whatever their bytes and however the modem echoes them; and masking never
//! garbles text that only looks like a secret. Each case is a reproducer from issue 11.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::time::Duration;

use atchat::lang::literal::escape_bytes;

use crate::support::cli::Test;
use crate::support::pty::{poll_in, Pty};

/// Fails if any three bytes in a row of `secret` appear in `text`, as they are or escaped
/// the way transcripts and messages write bytes.
#[track_caller]
fn assert_no_part_of(secret: &[u8], text: &str, what: &str) {
    for piece in secret.windows(3) {
        let mut forms = vec![escape_bytes(piece)];
        if let Ok(raw) = std::str::from_utf8(piece) {
            forms.push(raw.to_string());
        }
        for form in forms {
            assert!(!text.contains(&form), "{what} shows {form:?} of the secret:\n{text}");
        }
    }
}

const TIMEOUT_SCRIPT: &str = "secret param pin\nsend \"AT{pin}\"\nexpect \"NEVER\" within 300ms\n";

#[test]
fn secrets_with_quotes_backslashes_control_bytes_or_non_ascii_stay_out_of_timeout_messages() {
    for pin in ["SEK\"RET9876", "SEK\\RET9876", "SEK\x07RET9876", "SEKRÉT9876"] {
        let r = Test::new()
            .file("script.atc", TIMEOUT_SCRIPT)
            .args(["run", "script.atc", "--port", "sim:hayes", "-D"])
            .arg(format!("pin={pin}"))
            .status(3)
            // The echo is there, masked: the message still says what came back.
            .stderr_has("last bytes received: \"AT***\\r")
            .run();
        assert_no_part_of(pin.as_bytes(), &r.stderr, "the timeout message");
    }
}

#[test]
fn the_last_bytes_window_never_shows_part_of_a_secret() {
    // The echo `AT` + secret + Zs + `\r`, then `\r\nERROR\r\n`: with 61 to 69 Zs the 80-byte
    // window of the message starts inside the secret.
    let secret = "SEKRET9876";
    for zs in [61, 63, 65, 67, 69] {
        let script = format!("secret param pin\nsend \"AT{{pin}}{}\"\nexpect \"NEVER\" within 300ms\n", "Z".repeat(zs));
        let r = Test::new()
            .file("script.atc", script)
            .args(["run", "script.atc", "--port", "sim:hayes", "-D"])
            .arg(format!("pin={secret}"))
            .status(3)
            .stderr_has("ZZZZ\\r\\r\\nERROR\\r\\n\"")
            .run();
        assert_no_part_of(secret.as_bytes(), &r.stderr, "the timeout message");
    }
}

/// Plays a modem that echoes what it is sent three bytes at a time, each piece on its own,
/// then answers OK: `read` takes what atchat wrote, `write` sends a piece to it.
fn echo_in_pieces(read: &mut dyn FnMut(&mut [u8]) -> usize, write: &mut dyn FnMut(&[u8])) {
    let mut line = Vec::new();
    let mut buf = [0u8; 256];
    while !line.ends_with(b"\r") {
        let n = read(&mut buf);
        line.extend_from_slice(&buf[..n]);
    }
    for piece in line.chunks(3) {
        write(piece);
        // Long enough that atchat reads each piece by itself.
        std::thread::sleep(Duration::from_millis(30));
    }
    write(b"\r\nOK\r\n");
}

const PIECES_SCRIPT: &str = "secret param pin\nsend \"AT+CPIN={pin}\"\nexpect OK within 5s\nsay \"done\"\n";
/// Letters only, so no timestamp can contain a piece of it by chance; and a quote.
const PIECES_SECRET: &str = "QZX\"JWKVY";

/// Runs [`PIECES_SCRIPT`] on `port` with `-v` and `--log`; returns stderr and the log.
fn run_with_transcript(port: &str, peer: impl FnOnce() + Send + 'static) -> (String, String) {
    let locks = tempfile::tempdir().unwrap();
    let modem = std::thread::spawn(peer);
    let out = Test::new()
        .file("script.atc", PIECES_SCRIPT)
        .args(["run", "script.atc", "--port", port, "-v", "--log", "log.jsonl", "-D"])
        .arg(format!("pin={PIECES_SECRET}"))
        .env("ATCHAT_LOCK_DIR", locks.path())
        .stderr_has("done\n")
        .run();
    modem.join().unwrap();
    let log = std::fs::read_to_string(out.dir.path().join("log.jsonl")).unwrap();
    (out.stderr, log)
}

#[track_caller]
fn assert_masked_transcript(stderr: &str, log: &str) {
    assert!(stderr.contains("> AT+CPIN=***\\r"), "{stderr}");
    // The echo of the secret shows as one `***`, however it was split.
    let received: String =
        stderr.lines().filter(|l| l.contains(" < ")).map(|l| l.split(" < ").nth(1).unwrap()).collect();
    assert_eq!(received, "AT+CPIN=***\\r\\r\\nOK\\r\\n", "{stderr}");
    // The pieces were read apart (`AT+`, `CPI`, `N=`, then the held secret with `\r`, then
    // OK: five reads shown when each piece is read by itself; a loaded machine may merge a
    // few, and the split itself is covered exactly by `redactor::` below).
    assert!(stderr.lines().filter(|l| l.contains(" < ")).count() >= 3, "{stderr}");
    assert_no_part_of(PIECES_SECRET.as_bytes(), stderr, "-v");
    assert_no_part_of(PIECES_SECRET.as_bytes(), log, "--log");
    assert!(log.contains("AT+CPIN=***"), "{log}");
}

#[test]
fn a_tcp_modem_echoing_in_small_pieces_never_shows_the_secret() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = format!("tcp://{}", listener.local_addr().unwrap());
    let (stderr, log) = run_with_transcript(&port, move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut reader = stream.try_clone().unwrap();
        let mut writer = stream;
        echo_in_pieces(&mut |buf| reader.read(buf).unwrap(), &mut |piece| writer.write_all(piece).unwrap());
        // Hold the connection until atchat closes it.
        let _ = reader.read(&mut [0u8; 64]);
    });
    assert_masked_transcript(&stderr, &log);
}

#[test]
fn a_pty_modem_echoing_in_small_pieces_never_shows_the_secret() {
    let pty = Pty::new();
    let device = pty.path.display().to_string();
    let (stderr, log) = run_with_transcript(&device, move || {
        let mut master = pty.master;
        let fd = master.as_raw_fd();
        let mut writer = master.try_clone().unwrap();
        echo_in_pieces(
            &mut |buf| {
                if poll_in(fd, Duration::from_millis(50)) {
                    master.read(buf).unwrap_or(0)
                } else {
                    0
                }
            },
            &mut |piece| writer.write_all(piece).unwrap(),
        );
        // Keep the master open until atchat has read the reply and closed the device.
        std::thread::sleep(Duration::from_millis(500));
    });
    assert_masked_transcript(&stderr, &log);
}

#[test]
fn masking_leaves_text_that_only_looks_like_the_secret_alone() {
    // A PIN `1` once turned `100` into `***00` and `until 10.000` into `until ***0.000`; a
    // PIN `1234` turned `+15551234` into `+1555***`.
    let script = "secret param pin\nsend \"AT+CPIN={pin}\"\nexpect OK\nsay \"100 bytes to +15551234, pin {pin}\"\n\
         send \"AT+CSCA=\\\"+15551234\\\"\"\nsleep 300ms\n";
    for pin in ["1", "1234"] {
        let r = Test::new()
            .file("script.atc", script)
            .args(["run", "script.atc", "-v", "--port"])
            .arg(format!("sim:gsm?pin={pin}&clock=virtual"))
            .arg("-D")
            .arg(format!("pin={pin}"))
            .stderr_has("> AT+CPIN=***\\r")
            .stderr_has("< AT+CPIN=***\\r")
            // Virtual time: the deadline is exactly 10 s after the start.
            .stderr_has("waiting for OK until 10.000\n")
            .stderr_has("100 bytes to +15551234, pin ***")
            .stderr_has("> AT+CSCA=\\\"+15551234\\\"\\r")
            .stderr_has("< AT+CSCA=\\\"+15551234\\\"\\r")
            .run();
        assert!(!r.stderr.contains("***0"), "{pin}: {}", r.stderr);
    }
}

#[test]
fn a_secret_default_is_never_compiled_into_a_bytecode_file() {
    let r = Test::new()
        .file("script.atc", "secret param pin = \"SEKRET\"\nsend \"AT+CPIN={pin}\"\nexpect OK\n")
        .args(["compile", "script.atc", "-o", "script.atcb"])
        .status(1)
        .stderr_has("secret param `pin` has a default")
        .stderr_has("-D pin=VALUE")
        .run();
    assert!(!r.dir.path().join("script.atcb").exists(), "a file was written");

    // Without a default (or an empty one) it compiles; the value comes when it runs, and a
    // program read from a file masks it as a script does.
    for declaration in ["secret param pin", "secret param pin = \"\""] {
        let r = Test::new()
            .file("script.atc", format!("{declaration}\nsend \"AT+CPIN={{pin}}\"\nexpect OK\nsay \"pin {{pin}}\"\n"))
            .args(["compile", "script.atc", "-o", "script.atcb"])
            .run();
        let program = std::fs::read(r.dir.path().join("script.atcb")).unwrap();
        let r = Test::new()
            .file("script.atcb", program)
            .args(["run", "script.atcb", "--port", "sim:gsm?pin=4321", "-D", "pin=4321", "-v"])
            .stderr_has("< AT+CPIN=***\\r")
            .stderr_has("pin ***")
            .run();
        assert!(!r.stderr.contains("4321"), "{declaration}: {}", r.stderr);
    }
}

#[test]
fn the_debugger_shows_secrets_as_stars() {
    let r = Test::new()
        .file(
            "script.atc",
            "secret param pin\nlet line = \"AT+CPIN={pin}\"\nsend line\nexpect ERROR\nsay \"sent {line}\"\n",
        )
        .args(["run", "--debug", "script.atc", "--port", "sim:hayes", "-D", "pin=QZXJWKVY"])
        .stdin(":step\n:step\n:vars\n:continue\n:quit\n")
        .stdout_has("pin = \"***\"")
        .stdout_has("line = \"AT+CPIN=***\"")
        .stdout_has("> AT+CPIN=***")
        .stdout_has("sent AT+CPIN=***")
        .stderr_has("")
        .run();
    assert_no_part_of(b"QZXJWKVY", &r.stdout, "the debugger");
    assert_no_part_of(b"QZXJWKVY", &r.stderr, "the debugger's stderr");
}

#[test]
fn a_recording_masks_the_secret_and_its_echo_and_a_replay_divergence_shows_neither() {
    let recorded = Test::new()
        .file("script.atc", "secret param pin\nsend \"AT+CPIN={pin}\"\nexpect OK\n")
        .args(["run", "script.atc", "--port", "sim:gsm?pin=4321", "-D", "pin=4321"])
        .args(["--record", "pin.transcript"])
        .run();
    let transcript = std::fs::read_to_string(recorded.dir.path().join("pin.transcript")).unwrap();
    assert_no_part_of(b"4321", &transcript, "the recording");
    assert!(transcript.contains("port sim:gsm?pin=***\n"), "{transcript}");
    assert!(transcript.contains("> \"AT+CPIN=***\\r\""), "{transcript}");
    // The modem's echo too: what the secret produced, and only that.
    assert!(transcript.contains("< \"AT+CPIN=***\\r\\r\\nOK\\r\\n\""), "{transcript}");

    // A script that writes its secret where the recording has other bytes: the divergence
    // message says what the script wrote, with the secret as `***`.
    let replayed = Test::new()
        .file("pin.transcript", &transcript)
        .file("other.atc", "secret param pin\nsend \"AT+CPIX={pin}\"\nexpect OK\n")
        .args(["run", "other.atc", "--port", "replay:pin.transcript", "-D", "pin=QZXJWKVY"])
        .status(2)
        .stderr_has("the script wrote \"AT+CPIX=***\\r\" where the recording has")
        .run();
    assert_no_part_of(b"QZXJWKVY", &replayed.stderr, "the divergence message");
}

#[test]
fn the_repl_shows_secrets_as_stars() {
    // A session that declares a secret, sends it, says it and lists it: the REPL's
    // transcript (what it sent, the echo it labels) and `:vars` go through the same masking.
    let r = Test::new()
        .args(["repl", "--port", "sim:gsm?pin=4321"])
        .stdin("secret param pin = \"4321\"\nsend \"AT+CPIN={pin}\"\nexpect OK\nsay \"pin {pin}\"\n:vars\n:quit\n")
        .stdout_has("> AT+CPIN=***\n")
        .stdout_has("< echo  AT+CPIN=***\n")
        .stdout_has("< final OK\n")
        .stdout_has("! pin ***\n")
        .stdout_has("pin = \"***\"\n")
        .stderr_has("")
        .run();
    assert_no_part_of(b"4321", &r.stdout, "the REPL");
    assert_no_part_of(b"4321", &r.stderr, "the REPL's stderr");
}

// ---------------------------------------------------------------- the redactor, by property

mod redactor {
    use atchat::vm::{Redactor, Spans};
    use proptest::prelude::*;

    /// What `stream` shows in pieces of `sizes` (cycled) after `line` was sent with the
    /// secret in `spans`, to the end of the run.
    fn shown(line: &[u8], spans: &Spans, stream: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut r = Redactor::new();
        r.sent(line, spans);
        let mut out = Vec::new();
        let mut rest = stream;
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
            out.extend_from_slice(&r.received(piece));
            rest = tail;
        }
        out.extend(r.flush());
        out
    }

    /// `AT+X=` + secret + CR, and the secret's span.
    fn command(secret: &[u8]) -> (Vec<u8>, Spans) {
        let mut line = b"AT+X=".to_vec();
        line.extend_from_slice(secret);
        line.push(b'\r');
        let mut spans = Spans::default();
        spans.push(5..5 + secret.len());
        (line, spans)
    }

    proptest! {
        /// However the modem splits what it sends, the same is shown.
        #[test]
        fn what_is_shown_does_not_depend_on_how_reads_split(
            secret in proptest::collection::vec(any::<u8>(), 1..12),
            stream in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'A'), Just(b'\r')], 0..200),
            echo_at in 0usize..200,
            sizes in proptest::collection::vec(1usize..9, 1..6),
        ) {
            let (line, spans) = command(&secret);
            let mut stream = stream;
            let at = echo_at.min(stream.len());
            stream.splice(at..at, line.iter().copied());
            prop_assert_eq!(shown(&line, &spans, &stream, &sizes), shown(&line, &spans, &stream, &[stream.len()]));
        }

        /// Text around the echo that holds no byte of the secret is shown exactly as it came,
        /// and the echo with its secret as `***`, whatever comes before and after it.
        #[test]
        fn the_echo_is_masked_and_nothing_else(
            secret in proptest::collection::vec(prop_oneof![b'0'..=b'9', Just(b'Q'), Just(b'"'), Just(0x07u8), Just(0xC3u8)], 1..12),
            before in proptest::collection::vec(prop_oneof![Just(b'A'), Just(b'T'), Just(b'+'), Just(b'X'), Just(b'='), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..150),
            after in proptest::collection::vec(prop_oneof![Just(b'A'), Just(b'T'), Just(b'='), Just(b'\r'), Just(b'\n'), Just(b'k')], 0..150),
            sizes in proptest::collection::vec(1usize..9, 1..6),
        ) {
            let (line, spans) = command(&secret);
            let stream = [before.clone(), line.clone(), after.clone()].concat();
            let want = [before, b"AT+X=***\r".to_vec(), after].concat();
            prop_assert_eq!(shown(&line, &spans, &stream, &sizes), want);
        }
    }
}
