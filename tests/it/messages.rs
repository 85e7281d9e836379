//! What a newcomer sees when something is wrong or done (issue 12, "Messages" and the
//! command-line comforts): exit codes of bad invocations, `check`'s word of success, the JSON
//! log, params from the environment and their checks before the first byte.

use crate::support::cli::Test;

#[test]
fn a_port_spec_wrong_in_itself_is_a_bad_invocation_exit_1() {
    Test::new()
        .file("script.atc", "send \"AT\"\nexpect OK\n")
        .args(["run", "script.atc", "--port", "tcp://localhost"])
        .status(1)
        .stderr_has("atchat: bad port `tcp://localhost`")
        .run();
    Test::new()
        .file("script.atc", "send \"AT\"\nexpect OK\n")
        .args(["run", "script.atc", "--port", "sim:"])
        .status(1)
        .stderr_has("bad port `sim:`")
        .run();
}

#[test]
fn check_says_ok_on_stderr_with_the_number_of_files() {
    Test::new().file("a.atc", "send \"AT\"\nexpect OK\n").args(["check", "a.atc"]).stderr("ok: 1 file\n").run();
    Test::new()
        .file("a.atc", "send \"AT\"\nexpect OK\n")
        .file("b.atc", "say \"hi\"\n")
        .args(["check", "a.atc", "b.atc"])
        .stderr("ok: 2 files\n")
        .run();
}

#[test]
fn the_json_log_escapes_transcript_text_once() {
    let ran = Test::new()
        .file("script.atc", "send \"AT\"\nexpect OK\nsay \"tab\\there\"\n")
        .args(["run", "script.atc", "--port", "sim:hayes", "--log", "log.jsonl"])
        .stderr("tab\there\n")
        .run();
    let log = std::fs::read_to_string(ran.dir.path().join("log.jsonl")).unwrap();
    // One JSON escaping: a carriage return is `\r` in the file, never `\\r`.
    assert!(log.contains(r#""text":"AT\r"}"#), "{log}");
    assert!(!log.contains(r"\\r"), "escaped twice:\n{log}");
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let sent: Vec<&str> = lines.iter().filter(|v| v["kind"] == "send").filter_map(|v| v["text"].as_str()).collect();
    assert_eq!(sent, ["AT\r"]);
    let received: String = lines.iter().filter(|v| v["kind"] == "recv").filter_map(|v| v["text"].as_str()).collect();
    assert!(received.contains("OK\r\n"), "{received:?}");
    assert!(lines.iter().any(|v| v["kind"] == "say" && v["text"] == "tab\there"), "{log}");
}

#[test]
fn a_param_comes_from_the_environment_in_upper_case_too() {
    let script = "param pause = 0s\nparam who = \"nobody\"\nsleep pause\nsay \"{who} {pause}\"\n";
    Test::new()
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "sim:hayes"])
        .env("ATCHAT_PAUSE", "10ms")
        .env("ATCHAT_WHO", "upper")
        .stderr("upper 10ms\n")
        .run();
    // As written in the script wins over upper case; `-D` over both.
    Test::new()
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "pause=20ms"])
        .env("ATCHAT_PAUSE", "10ms")
        .env("ATCHAT_who", "exact")
        .env("ATCHAT_WHO", "upper")
        .stderr("exact 20ms\n")
        .run();
}

#[test]
fn a_duration_param_given_text_stops_before_the_first_byte() {
    // On stdio the modem is stdout: nothing may reach it.
    let script = "param pause = 30\nsend \"ATZ\"\nsleep pause\n";
    Test::new()
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "-", "-D", "pause=abc"])
        .status(1)
        .stderr(
            "atchat: param `pause` is a duration (used as one at script.atc:3), but was given \
             `abc`: give a number of seconds or a duration such as `500ms`, `30s`, `2m`\n",
        )
        .run();
    // Through the environment, and for a param whose default is a duration though the
    // script only passes it on; a secret's value is not shown.
    let script = "secret param delay = 5s\nparam unused = 1\nsend \"ATZ\"\n";
    Test::new()
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "-"])
        .env("ATCHAT_DELAY", "soon")
        .status(1)
        .stderr_has("param `delay` is a duration (its default is `5s`), but was given `***`")
        .run();
    // Compiled programs are checked the same way.
    let ran = Test::new()
        .file("script.atc", "param limit = 30\nsend \"ATZ\"\nexpect OK within limit\n")
        .args(["compile", "script.atc"])
        .run();
    Test::new()
        .args(["run", ran.dir.path().join("script.atcb").to_str().unwrap(), "--port", "-", "-D", "limit=1x"])
        .status(1)
        .stderr("atchat: param `limit` is a duration (used as one at script.atc:3), but was given `1x`: [..]\n")
        .run();
    // Good values still run: seconds, and a duration.
    Test::new()
        .file("script.atc", "param pause = 30\nsleep pause\nsay \"slept {pause}\"\n")
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "pause=0"])
        .stderr("slept 0\n")
        .run();
}

#[test]
fn a_param_only_passed_on_to_a_proc_is_checked_before_the_first_byte() {
    // The param's default is text, and the script never uses it as a duration itself: only
    // the stdlib's `hayes.dial` does, as its back-off pause. `-v` would show the `ATZ` sent
    // first; stderr holds nothing but the refusal.
    let script = "use hayes\nparam number = \"5551234\"\nparam pause = \"2s\"\nsend \"ATZ\"\n\
                  hayes.dial(number, 3m, pause)\n";
    Test::new()
        .file("dial.atc", script)
        .args(["run", "dial.atc", "--port", "sim:hayes", "-v", "-D", "pause=abc"])
        .status(1)
        .stderr(
            "atchat: param `pause` is a duration (passed to `hayes.dial` at dial.atc:5, which uses \
             it as one at stdlib/hayes.atc:58), but was given `abc`: give a number of seconds or a \
             duration such as `500ms`, `30s`, `2m`\n",
        )
        .run();
    // Through two procedures of the script's own module; the modem (stdout) sees nothing.
    let module = "proc settle(d) {\n    sleep d\n}\nproc init(d, command) {\n    send command\n    settle(d)\n}\n";
    let script = "use local\nparam gap = \"fast\"\nsend \"ATZ\"\nlocal.init(gap, \"AT\")\n";
    Test::new()
        .file("local.atc", module)
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "-", "-D", "gap=1y"])
        .status(1)
        .stderr(
            "atchat: param `gap` is a duration (passed to `local.init` at script.atc:4, which uses \
             it as one at local.atc:2), but was given `1y`: [..]\n",
        )
        .run();
    // A good value runs; so does the text default, which is never used as a duration.
    Test::new()
        .file("local.atc", module)
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "gap=10ms"])
        .run();
    // A procedure that assigns its parameter before using it does not make the argument a
    // duration: the value passed is never read as one.
    let module = "proc settle(d) {\n    let d = 10ms\n    sleep d\n}\n";
    let script = "use local\nparam gap = \"x\"\nlocal.settle(gap)\nsay \"gap {gap}\"\n";
    Test::new()
        .file("local.atc", module)
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "sim:hayes", "-D", "gap=abc"])
        .stderr("gap abc\n")
        .run();
    // Passed inside a string, the value is not claimed early: the bytes before the call go
    // out, and the sleep refuses it when it runs.
    let module = "proc settle(d) {\n    sleep d\n}\n";
    let script = "use local\nparam gap = \"1s\"\nsend \"ATZ\"\nlocal.settle(\"{gap}\")\n";
    Test::new()
        .file("local.atc", module)
        .file("script.atc", script)
        .args(["run", "script.atc", "--port", "-", "-D", "gap=abc"])
        .status(1)
        .stdout("ATZ\r")
        .stderr_has("local.atc:2: `d` does not hold a duration")
        .run();
}

#[test]
fn a_latin1_byte_is_located_and_a_byte_order_mark_skipped() {
    // An old chat-era script saved in Latin-1: refused, naming the byte's line and column.
    Test::new()
        .file("old.atc", b"send \"AT\"\n# caf\xe9 modem\nexpect OK\n")
        .args(["check", "old.atc"])
        .status(1)
        .stderr(
            "atchat::load

  × cannot read `old.atc`: line 2, column 6 has the byte 0xe9, which is not
  │ UTF-8 (`é` in Latin-1)
  help: scripts are UTF-8; convert this one, e.g. `iconv -f latin1 -t utf-8
        OLD.atc > NEW.atc`

",
        )
        .run();
    Test::new()
        .file("bom.atc", b"\xef\xbb\xbfsend \"AT\"\nexpect OK\nsay \"fine\"\n")
        .args(["run", "bom.atc", "--port", "sim:hayes"])
        .stderr("fine\n")
        .run();
}
