//! `print` (a result on stdout, for `$(atchat run ...)`) and scripts without a file:
//! `run -e 'STATEMENTS'` and `run -` (stdin), with the rules docs/cli.md states for them.

use std::fs::File;
use std::process::Stdio;

use crate::support::cli::Test;

const CSQ: &str =
    "send \"AT+CSQ\"\nexpect \"+CSQ: {rssi},{ber}\"\nexpect OK\nsay \"read the signal\"\nprint \"{rssi} {ber}\"\n";

#[test]
fn print_writes_the_result_alone_on_stdout_and_say_stays_on_stderr() {
    Test::new()
        .file("csq.atc", CSQ)
        .args(["run", "csq.atc", "--port", "sim:gsm"])
        .stdout("20 99\n")
        .stderr("read the signal\n")
        .run();
}

#[test]
fn print_is_an_action_of_handlers_and_arms() {
    let script = "on RING print \"rang\"\nsend \"AT\"\nexpect {\n  OK => print \"ok arm\"\n}\n";
    Test::new().file("p.atc", script).args(["run", "p.atc", "--port", "sim:hayes"]).stdout("ok arm\n").run();
}

#[test]
fn a_printed_secret_is_masked_as_say_masks_it() {
    let script = "secret param pin\nprint \"pin {pin} end\"\nsay \"pin {pin} end\"\n";
    Test::new()
        .file("s.atc", script)
        .args(["run", "s.atc", "--port", "sim:hayes", "-D", "pin=4321"])
        .stdout("pin *** end\n")
        .stderr("pin *** end\n")
        .run();
}

#[test]
fn print_under_the_stdio_port_goes_to_stderr_never_to_the_modem_line() {
    // stdout is the modem line under `--port -` (pppd's connect program): the peer must see
    // only the command, and the result is on stderr.
    let script = "send \"AT\"\nexpect OK\nprint \"a result the modem must not see\"\n";
    Test::new()
        .file("s.atc", script)
        .args(["run", "s.atc", "--port", "-"])
        .stdin("OK\r\n")
        .stdout("AT\r")
        .stderr("a result the modem must not see\n")
        .run();
}

#[test]
fn each_printed_line_of_a_bank_is_led_by_its_port_and_a_tab() {
    let out = Test::new()
        .file("csq.atc", CSQ)
        .args(["run", "csq.atc", "--port", "sim:gsm", "--port", "sim:zte"])
        .stdout_has("sim:gsm\t20 99\n")
        .stdout_has("sim:zte\t20 99\n")
        .stderr_has("sim:gsm: read the signal\n")
        .run();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
}

#[test]
fn verbose_shows_a_print_in_the_transcript() {
    Test::new()
        .file("csq.atc", CSQ)
        .args(["run", "csq.atc", "--port", "sim:gsm", "-v"])
        .stdout("20 99\n")
        .stderr_has("read the signal\n")
        .stderr_has(" ! print: 20 99\n")
        .run();
}

#[test]
fn the_log_and_the_recording_keep_a_print() {
    let out = Test::new()
        .file("csq.atc", CSQ)
        .args(["run", "csq.atc", "--port", "sim:gsm", "--log", "log.json", "--record", "r.transcript"])
        .stdout("20 99\n")
        .stderr("read the signal\n")
        .run();
    let log = std::fs::read_to_string(out.dir.path().join("log.json")).unwrap();
    assert!(log.lines().any(|l| l.contains(r#""kind":"print""#) && l.contains(r#""text":"20 99""#)), "{log}");
    let recording = std::fs::read_to_string(out.dir.path().join("r.transcript")).unwrap();
    assert!(recording.lines().any(|l| l.starts_with('#') && l.ends_with("print: 20 99")), "{recording}");
}

#[test]
fn a_full_or_closed_stdout_stops_the_run_with_exit_2() {
    let full = File::options().write(true).open("/dev/full").unwrap();
    // A reader that went away: the pipe's read end is closed before atchat writes.
    let (read, gone) = std::io::pipe().unwrap();
    drop(read);
    let cases = [
        (Stdio::from(full), "No space left on device (os error 28)"),
        (Stdio::from(gone), "Broken pipe (os error 32)"),
    ];
    for (stdout, why) in cases {
        Test::new()
            .file("csq.atc", CSQ)
            .args(["run", "csq.atc", "--port", "sim:gsm"])
            .status(2)
            .stderr(&format!("read the signal\natchat: cannot write to standard output: {why}\n"))
            .spawn_with(Stdio::null(), stdout)
            .finish();
    }
}

#[test]
fn print_in_the_repl_shows_the_text_alone() {
    Test::new()
        .args(["repl", "--port", "sim:hayes"])
        .stdin("let x = \"forty-two\"\nprint \"result {x}\"\n")
        .stdout("result forty-two\n")
        .run();
}

// ------------------------------------------------------------------ run -e, run -

#[test]
fn run_e_runs_the_statements_given_joined_by_newlines() {
    Test::new()
        .args(["run", "-e", "send \"AT+CSQ\"", "-e", "expect \"+CSQ: {rssi},{ber}\"", "-e", "print rssi"])
        .args(["--port", "sim:gsm"])
        .stdout("20\n")
        .run();
}

#[test]
fn a_syntax_error_in_e_points_into_the_argument() {
    Test::new()
        .args(["run", "-e", "send \"AT\"", "-e", "send AT", "--port", "sim:hayes"])
        .status(1)
        .stderr_has("╭─[<-e>:2:6]")
        .stderr_has(" 2 │ send AT")
        .run();
}

#[test]
fn run_stdin_reads_the_script_with_params_from_d_and_the_environment() {
    Test::new()
        .args(["run", "-", "--port", "sim:hayes", "-D", "a=one"])
        .env("ATCHAT_B", "two")
        .stdin("param a\nparam b\nprint \"{a} {b}\"\n")
        .stdout("one two\n")
        .run();
}

#[test]
fn stdin_and_e_scripts_use_modules_from_the_current_folder_and_the_stdlib() {
    Test::new()
        .file("mine.atc", "proc hello() {\n  return \"from mine\"\n}\n")
        .args(["run", "-", "--port", "sim:gsm"])
        .stdin("use mine\nuse gsm\nprint mine.hello()\nprint gsm.signal()\n")
        .stdout("from mine\n20\n")
        .run();
    Test::new()
        .file("mine.atc", "proc hello() {\n  return \"from mine\"\n}\n")
        .args(["run", "-e", "use mine", "-e", "print mine.hello()", "--port", "sim:hayes"])
        .stdout("from mine\n")
        .run();
}

#[test]
fn a_syntax_error_on_stdin_is_named_stdin() {
    Test::new()
        .args(["run", "-", "--port", "sim:hayes"])
        .stdin("say \"ok\"\nsned \"AT\"\n")
        .status(1)
        .stderr_has("╭─[<stdin>:2:1]")
        .stderr_has("did you mean `send`?")
        .run();
}

#[test]
fn a_script_on_stdin_past_the_limit_is_refused_with_exit_1() {
    // 256 KiB of valid statements: twice the limit for scripts.
    Test::new()
        .args(["run", "-", "--port", "sim:hayes"])
        .stdin("say \"x\"\n".repeat(32 << 10))
        .status(1)
        .stderr_has("cannot read `<stdin>`: larger than 128 KiB")
        .run();
    // One argument holds at most 128 KiB (Linux's MAX_ARG_STRLEN): three of 50 KiB.
    let part = "say \"x\"".to_string() + &" ".repeat(50 << 10);
    Test::new()
        .args(["run", "-e", &part, "-e", &part, "-e", &part, "--port", "sim:hayes"])
        .status(1)
        .stderr_has("cannot read `<-e>`: larger than 128 KiB")
        .run();
}

#[test]
fn run_stdin_with_the_stdio_port_is_refused_before_reading_either() {
    Test::new()
        .args(["run", "-", "--port", "-"])
        .stdin("say \"never run\"\n")
        .status(1)
        .stderr("atchat: `run -` reads the script from stdin, so stdin cannot also be the modem (`--port -`): give the script as a file or with -e\n")
        .run();
    Test::new()
        .file("ports", "-\nsim:hayes\n")
        .args(["run", "-", "--ports", "ports"])
        .stdin("say \"never run\"\n")
        .status(1)
        .stderr("atchat: `run -` read the script from stdin, so stdin cannot also be a modem (`-` in the ports file)\n")
        .run();
    // A script's own `port` gives way to `--port`; without one, `port "-"` is refused too.
    Test::new()
        .args(["run", "-"])
        .stdin("port \"-\"\nsay \"never run\"\n")
        .status(1)
        .stderr_has("names the port `-` (stdin/stdout), which held the script")
        .run();
}

#[test]
fn a_file_and_e_together_or_neither_is_a_bad_invocation() {
    Test::new()
        .file("s.atc", "say \"x\"\n")
        .args(["run", "s.atc", "-e", "say \"y\"", "--port", "sim:hayes"])
        .status(1)
        .stderr_has("cannot be used with")
        .run();
    Test::new().args(["run", "--port", "sim:hayes"]).status(1).stderr_has("required").run();
    Test::new()
        .args(["run", "--debug", "-e", "say \"y\"", "--port", "sim:hayes"])
        .status(1)
        .stderr("atchat: --debug needs the script in a file (the debugger shows and reloads it), not `-` or -e\n")
        .run();
}

#[test]
fn check_and_compile_take_e_and_stdin_too() {
    Test::new().args(["check", "-e", "print \"x\""]).stderr("ok: 1 file\n").run();
    Test::new()
        .file("s.atc", "say \"x\"\n")
        .args(["check", "-", "s.atc"])
        .stdin("sya 1\n")
        .status(1)
        .stderr_has("╭─[<stdin>:1:1]")
        .run();
    let out = Test::new().args(["compile", "-", "-o", "p.atcb"]).stdin("print \"compiled\"\n").run();
    // The compiled program prints as the script does.
    Test::new().arg("run").arg(out.dir.path().join("p.atcb")).args(["--port", "sim:hayes"]).stdout("compiled\n").run();
    Test::new()
        .args(["compile", "-e", "print 1"])
        .status(1)
        .stderr("atchat: a script from stdin or -e has no file name to derive one from: give -o FILE\n")
        .run();
    Test::new().args(["disasm", "-e", "print 1"]).stdout_has("<-e>:1  Const 1\n").stdout_has("Print\n").run();
}
