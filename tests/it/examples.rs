//! Every example runs against the simulated modem (virtual time) with its outcome asserted:
//! success and at least one failure each. Scenario files are in `tests/data/examples/`.
//!
//! The stdlib procs are exercised by the cases in `tests/data/examples/stdlib/`: each is a
//! script whose header says the port (`# port: gsm?scenario=pin.scenario`), params
//! (`# param: name=value`), the exit code (`# exit: 7`, default 0) and, in order, every
//! `say` line (`# say: ...`). A test checks that every proc of the stdlib is called by some
//! case that succeeds.

use std::path::Path;
use std::time::Duration;

use atchat::driver::{self, Transcript};
use atchat::port::sim::{SimClock, SimPort};
use atchat::port::{Port, PortError};
use atchat::syntax::Sources;
use atchat::vm::{ExitStatus, Machine};
use indexmap::IndexMap;

use crate::support::case::Case;
use crate::support::diff;
use crate::support::layer::Layer;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `PROFILE?scenario=<absolute path of tests/data/examples/FILE>`.
fn with_scenario(profile: &str, file: &str) -> String {
    let path = root().join("tests/data/examples").join(file);
    assert!(path.exists(), "{} is missing", path.display());
    format!("{profile}?scenario={}", path.display())
}

/// Checks, compiles and runs the script at `path` on `port`; returns the outcome and `say` lines.
fn run_on(path: &Path, port: &mut dyn Port, params: &[(&str, &str)]) -> (ExitStatus, Vec<String>) {
    let sources = Sources::load(path).unwrap();
    let given: IndexMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let errors =
        atchat::check::check(&sources, &atchat::check::CheckOptions { params: Some(given.keys().cloned().collect()) });
    assert!(errors.is_empty(), "{}", atchat::diagnostics::render_plain(&sources, &errors));
    let program = atchat::bytecode::compiler::compile(&sources).unwrap();
    let mut vm = Machine::new(program, &given).unwrap();
    let mut transcript = Transcript::capturing();
    let outcome = driver::run(&mut vm, port, &mut transcript);
    (outcome, transcript.capture.unwrap())
}

/// Checks, compiles and runs `examples/NAME` on `sim:SPEC`; returns the outcome and `say` lines.
pub fn run_example(name: &str, spec: &str, params: &[(&str, &str)]) -> (ExitStatus, Vec<String>) {
    let mut port = SimPort::open(spec, SimClock::Virtual).unwrap();
    run_on(&root().join("examples").join(name), &mut port, params)
}

#[track_caller]
fn assert_exit(result: &(ExitStatus, Vec<String>), code: u8) {
    assert_eq!(result.0.code, code, "{:?} says {:?}", result.0, result.1);
}

#[track_caller]
fn assert_message(result: &(ExitStatus, Vec<String>), part: &str) {
    let message = result.0.message.clone().unwrap_or_default();
    assert!(message.contains(part), "message {message:?} lacks {part:?}");
}

// ------------------------------------------------------------------ quickstart

#[test]
fn quickstart_identifies_the_hayes_modem() {
    let (outcome, says) = run_example("quickstart.atc", "hayes", &[]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(says, ["modem: 56000"]);
}

#[test]
fn quickstart_times_out_on_a_silent_modem() {
    let r = run_example("quickstart.atc", &with_scenario("hayes", "silent.scenario"), &[]);
    assert_exit(&r, 3);
    assert_message(&r, "waiting for the answer to `AT`");
}

#[test]
fn quickstart_takes_ati_answered_with_ok_alone_as_no_identification_at_once() {
    let mut port = SimPort::open("bare-hayes", SimClock::Virtual).unwrap();
    let r = run_on(&root().join("examples/quickstart.atc"), &mut port, &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["modem: answers, with no identification text"]);
    assert_eq!(port.now(), Duration::ZERO, "no wait for an answer that came");
}

// ------------------------------------------------------------------ hayes-init

#[test]
fn hayes_init_reports_product_and_firmware() {
    let r = run_example("hayes-init.atc", "hayes", &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1.len(), 1);
    assert!(r.1[0].starts_with("ready: 56000 (atchat simulated Hayes modem"), "{:?}", r.1);
}

#[test]
fn hayes_init_fails_8_on_a_rejected_init_string() {
    let r = run_example("hayes-init.atc", "hayes", &[("init", "AT&F Q9")]);
    assert_exit(&r, 8);
    assert_message(&r, "rejected the init string `AT&F Q9`");
}

// ------------------------------------------------------------------ hayes-dial

#[test]
fn hayes_dial_connects_and_reports_the_rate() {
    let (outcome, says) = run_example("hayes-dial.atc", "hayes", &[("number", "5551234")]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(says, ["connected at 115200 bps"]);
}

#[test]
fn hayes_dial_retries_a_busy_line_once() {
    let spec = with_scenario("hayes", "busy-once.scenario");
    let r = run_example("hayes-dial.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 0);
}

#[test]
fn hayes_dial_fails_11_when_the_line_stays_busy() {
    let spec = with_scenario("hayes", "busy.scenario");
    let r = run_example("hayes-dial.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 11);
    assert_message(&r, "5551234 is busy");
    assert!(r.1.is_empty());
}

#[test]
fn hayes_dial_exits_10_without_dial_tone() {
    let spec = with_scenario("hayes", "no-dialtone.scenario");
    let r = run_example("hayes-dial.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 10);
    assert_message(&r, "no dial tone");
}

#[test]
fn hayes_dial_exits_12_when_nobody_answers() {
    let spec = with_scenario("hayes", "no-answer.scenario");
    let r = run_example("hayes-dial.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 12);
    assert_message(&r, "5551234 does not answer");
}

#[test]
fn hayes_dial_fails_8_on_a_rejected_init_string() {
    let r = run_example("hayes-dial.atc", "hayes", &[("number", "5551234"), ("init", "AT&F Q9")]);
    assert_exit(&r, 8);
    assert_message(&r, "rejected the init string `AT&F Q9`");
}

// ------------------------------------------------------------------ escape-hangup

#[test]
fn escape_hangup_ends_two_calls() {
    let r = run_example("escape-hangup.atc", "hayes", &[("number", "5551234")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["call 1 (115200 bps): escaped and hung up with ATH", "call 2: hung up by DTR drop"]);
}

#[test]
fn escape_hangup_fails_11_when_busy() {
    let spec = with_scenario("hayes", "busy.scenario");
    let r = run_example("escape-hangup.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 11);
    assert_message(&r, "5551234 is busy");
}

#[test]
fn escape_hangup_fails_7_when_the_carrier_is_lost() {
    let spec = with_scenario("hayes", "carrier-lost.scenario");
    let r = run_example("escape-hangup.atc", &spec, &[("number", "5551234")]);
    assert_exit(&r, 7);
    assert_message(&r, "the call was lost");
    assert!(r.1.is_empty(), "{:?}", r.1);
}

// ------------------------------------------------------------------ sregisters

#[test]
fn sregisters_sets_and_reads_back() {
    let r = run_example("sregisters.atc", "hayes", &[("reg", "7"), ("value", "90")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["S7: 050 -> 090; escape guard time S12 = 050/50 s"]);
}

#[test]
fn sregisters_fails_8_on_a_register_the_modem_lacks() {
    let r = run_example("sregisters.atc", "hayes", &[("reg", "99")]);
    assert_exit(&r, 8);
    assert_message(&r, "no register S99");
}

#[test]
fn sregisters_fails_8_on_a_value_above_255() {
    let r = run_example("sregisters.atc", "hayes", &[("value", "300")]);
    assert_exit(&r, 8);
    assert_message(&r, "refused S7=300");
}

// ------------------------------------------------------------------ answer

#[test]
fn answer_picks_up_by_hand() {
    let spec = with_scenario("hayes", "incoming-call.scenario");
    let r = run_example("answer.atc", &spec, &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["answered at 115200 bps"]);
}

#[test]
fn answer_lets_the_modem_pick_up_after_two_rings() {
    let spec = with_scenario("hayes", "incoming-call.scenario");
    let r = run_example("answer.atc", &spec, &[("rings", "2")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["answered at 115200 bps"]);
}

#[test]
fn answer_times_out_3_when_nobody_calls() {
    let r = run_example("answer.atc", "hayes", &[("limit", "30")]);
    assert_exit(&r, 3);
    assert_message(&r, "RING");
}

// ------------------------------------------------------------------ probe

#[test]
fn probe_lists_the_identification() {
    let r = run_example("probe.atc", "hayes", &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1.len(), 2, "{:?}", r.1);
    assert!(r.1[0].starts_with("I0 product 56000; I3 firmware atchat simulated Hayes modem"), "{:?}", r.1);
    assert!(r.1[1].starts_with("maker ATCHAT; model SIM-56K; version atchat-sim "), "{:?}", r.1);
}

#[test]
fn probe_times_out_on_a_silent_modem() {
    let r = run_example("probe.atc", &with_scenario("hayes", "silent.scenario"), &[]);
    assert_exit(&r, 3);
}

// ------------------------------------------------------------------ gsm-voice-call

#[test]
fn gsm_voice_call_rings_through_and_hangs_up() {
    let r = run_example("gsm-voice-call.atc", "gsm", &[("number", "+15551234")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["+15551234 answered", "hung up"]);
}

#[test]
fn gsm_voice_call_fails_11_on_a_busy_line() {
    let spec = with_scenario("gsm", "busy.scenario");
    let r = run_example("gsm-voice-call.atc", &spec, &[("number", "+15551234")]);
    assert_exit(&r, 11);
    assert_message(&r, "+15551234 is busy");
}

#[test]
fn gsm_voice_call_fails_7_when_a_huawei_reports_the_call_rejected() {
    // ^CEND with no ^CONN before it: the far end never answered (src/sim/profiles/huawei-e1752.toml).
    let spec = format!("huawei-e1752?scenario={}", root().join("tests/data/matrix/gsm/reject.scenario").display());
    let r = run_example("gsm-voice-call.atc", &spec, &[("number", "+15551234")]);
    assert_exit(&r, 7);
    assert_message(&r, "rejected or failed (^CEND:1,0,29,16)");
    assert!(r.1.is_empty(), "a rejected call is never said answered: {:?}", r.1);
}

#[test]
fn gsm_voice_call_fails_13_when_the_sim_wants_a_pin() {
    let spec = with_scenario("gsm", "pin.scenario");
    let r = run_example("gsm-voice-call.atc", &spec, &[("number", "+15551234")]);
    assert_exit(&r, 13);
    assert_message(&r, "-D pin=");
}

// ------------------------------------------------------------------ gsm-sms

#[test]
fn gsm_sms_is_sent_with_a_reference() {
    let (outcome, says) = run_example("gsm-sms.atc", "gsm", &[("to", "+15551234"), ("text", "hello")]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(says, ["sent, reference 0"]);
}

#[test]
fn gsm_sms_unlocks_a_pin_locked_sim() {
    let spec = with_scenario("gsm", "pin.scenario");
    let r = run_example("gsm-sms.atc", &spec, &[("to", "+15551234"), ("text", "hi"), ("pin", "1234")]);
    assert_exit(&r, 0);
}

#[test]
fn gsm_sms_fails_13_on_a_wrong_pin_and_masks_it() {
    let spec = with_scenario("gsm", "pin.scenario");
    let r = run_example("gsm-sms.atc", &spec, &[("to", "+15551234"), ("text", "hi"), ("pin", "9876")]);
    assert_exit(&r, 13);
    assert_message(&r, "wrong PIN");
    assert!(!r.0.message.unwrap().contains("9876"));
}

#[test]
fn gsm_sms_fails_14_without_a_network() {
    let spec = with_scenario("gsm", "no-network.scenario");
    let r = run_example("gsm-sms.atc", &spec, &[("to", "+15551234"), ("text", "hi")]);
    assert_exit(&r, 14);
    assert_message(&r, "+CREG status 2");
}

// ------------------------------------------------------------------ gsm-status

#[test]
fn gsm_status_reports_home_network_and_signal() {
    let r = run_example("gsm-status.atc", "gsm", &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["home network ATCHAT", "signal +CSQ 20"]);
}

#[test]
fn gsm_status_fails_4_on_a_weak_signal_while_roaming() {
    let r = run_example("gsm-status.atc", &with_scenario("gsm", "roaming-weak.scenario"), &[]);
    assert_exit(&r, 4);
    assert_eq!(r.1, ["roaming on Abroad"]);
    assert_message(&r, "signal too weak: +CSQ 3");
}

#[test]
fn gsm_status_fails_14_without_a_network() {
    let spec = with_scenario("gsm", "no-network.scenario");
    let r = run_example("gsm-status.atc", &spec, &[("budget", "10")]);
    assert_exit(&r, 14);
}

// ------------------------------------------------------------------ signal

#[test]
fn signal_prints_the_rssi_alone() {
    let r = run_example("signal.atc", "gsm", &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["print: 20"]);
    let r = run_example("signal.atc", &with_scenario("gsm", "roaming-weak.scenario"), &[]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["print: 3"]);
}

#[test]
fn signal_fails_13_and_prints_nothing_when_the_sim_wants_a_pin() {
    let r = run_example("signal.atc", "gsm?pin=1234", &[]);
    assert_exit(&r, 13);
    assert_eq!(r.1, Vec::<String>::new());
    assert_message(&r, "-D pin=");
    let r = run_example("signal.atc", "gsm?pin=1234", &[("pin", "1234")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["print: 20"]);
}

// ------------------------------------------------------------------ gprs-ppp

#[test]
fn gprs_ppp_connects_for_pppd() {
    let r = run_example("gprs-ppp.atc", "gsm", &[("apn", "internet")]);
    assert_exit(&r, 0);
    assert_eq!(r.1, ["CONNECT 115200: hand the line to pppd"]);
}

#[test]
fn gprs_ppp_fails_14_without_a_network() {
    let spec = with_scenario("gsm", "no-network.scenario");
    let r = run_example("gprs-ppp.atc", &spec, &[("apn", "internet")]);
    assert_exit(&r, 14);
}

#[test]
fn gprs_ppp_fails_8_on_a_bad_context_number() {
    let r = run_example("gprs-ppp.atc", "gsm", &[("apn", "internet"), ("cid", "99")]);
    assert_exit(&r, 8);
    assert_message(&r, "refused APN `internet`");
}

// ------------------------------------------------------------------ bbs-login

/// The far end of a data call for `bbs-login.atc`: the simulator connects the call (with
/// `online discard`, so it swallows what the script sends), and this wrapper plays the
/// host behind it — a banner and `login:` once the carrier is up, `Password:` after the
/// user name, then a shell prompt or `Login incorrect`.
struct BbsHost {
    sim: SimPort,
    password: &'static str,
    out: Vec<u8>,
    line: Vec<u8>,
    state: Host,
}

#[derive(PartialEq)]
enum Host {
    Idle,
    User,
    Password,
    Done,
}

impl BbsHost {
    fn new(password: &'static str) -> BbsHost {
        let spec = with_scenario("hayes", "host.scenario");
        BbsHost {
            sim: SimPort::open(&spec, SimClock::Virtual).unwrap(),
            password,
            out: Vec::new(),
            line: Vec::new(),
            state: Host::Idle,
        }
    }
}

impl Port for BbsHost {
    fn name(&self) -> &str {
        "bbs-host"
    }
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        let online = self.sim.carrier()?;
        self.sim.write_all(bytes)?;
        if !online {
            return Ok(());
        }
        for &b in bytes {
            if b != b'\r' {
                self.line.push(b);
                continue;
            }
            let line = std::mem::take(&mut self.line);
            match self.state {
                Host::User => {
                    self.out.extend_from_slice(b"\r\nPassword: ");
                    self.state = Host::Password;
                }
                Host::Password if line == self.password.as_bytes() => {
                    self.out.extend_from_slice(b"\r\nWelcome to the atchat BBS\r\n$ ");
                    self.state = Host::Done;
                }
                Host::Password => {
                    self.out.extend_from_slice(b"\r\nLogin incorrect\r\nlogin: ");
                    self.state = Host::User;
                }
                _ => {}
            }
        }
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        if self.state == Host::Idle && self.sim.carrier()? {
            self.out.extend_from_slice(b"\r\natchat BBS\r\nlogin: ");
            self.state = Host::User;
        }
        if self.out.is_empty() {
            return self.sim.read(buf, timeout);
        }
        let n = buf.len().min(self.out.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        Ok(n)
    }
    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        self.sim.set_dtr(on)
    }
    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        self.sim.set_rts(on)
    }
    fn send_break(&mut self, d: Duration) -> Result<(), PortError> {
        self.sim.send_break(d)
    }
    fn carrier(&mut self) -> Result<bool, PortError> {
        self.sim.carrier()
    }
    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.sim.set_baud(baud)
    }
    fn discard_input(&mut self) -> Result<(), PortError> {
        self.out.clear();
        self.sim.discard_input()
    }
    fn now(&self) -> Duration {
        self.sim.now()
    }
}

fn bbs_params(password: &'static str) -> [(&'static str, &'static str); 3] {
    [("number", "5551234"), ("user", "guest"), ("password", password)]
}

#[test]
fn bbs_login_logs_in() {
    let mut host = BbsHost::new("sesame");
    let r = run_on(&root().join("examples/bbs-login.atc"), &mut host, &bbs_params("sesame"));
    assert_exit(&r, 0);
    assert_eq!(r.1, ["connected at 115200 bps", "logged in as guest"]);
}

#[test]
fn bbs_login_fails_5_on_a_wrong_password_and_masks_it() {
    let mut host = BbsHost::new("sesame");
    let r = run_on(&root().join("examples/bbs-login.atc"), &mut host, &bbs_params("guessed"));
    assert_exit(&r, 5); // 4 + the index of `on "incorrect"`
    assert_message(&r, "login refused for guest");
}

#[test]
fn bbs_login_times_out_3_on_the_plain_simulator_whose_far_end_is_a_loopback() {
    let r = run_example("bbs-login.atc", "hayes", &bbs_params("sesame"));
    assert_exit(&r, 3);
    assert_message(&r, "ogin:");
}

#[test]
fn bbs_login_fails_11_when_the_bbs_is_busy() {
    let spec = with_scenario("hayes", "busy.scenario");
    let r = run_example("bbs-login.atc", &spec, &bbs_params("sesame"));
    assert_exit(&r, 11);
}

// ------------------------------------------------------------------ every example, README

/// The examples the README of `examples/` lists, each with a test above.
const EXAMPLES: [&str; 13] = [
    "quickstart.atc",
    "hayes-init.atc",
    "hayes-dial.atc",
    "escape-hangup.atc",
    "sregisters.atc",
    "answer.atc",
    "probe.atc",
    "gsm-voice-call.atc",
    "gsm-sms.atc",
    "gsm-status.atc",
    "signal.atc",
    "gprs-ppp.atc",
    "bbs-login.atc",
];

#[test]
fn every_example_is_tested_and_listed_with_its_command() {
    let readme = std::fs::read_to_string(root().join("examples/README.md")).unwrap();
    let tests = std::fs::read_to_string(root().join("tests/it/examples.rs")).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".atc"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "examples/ and EXAMPLES differ");
    for name in EXAMPLES {
        let command = format!("atchat run examples/{name} --port ");
        assert!(
            readme.lines().any(|l| l.contains(&command) && l.contains("sim:")),
            "examples/README.md has no command for {name}"
        );
        let calls =
            tests.matches(&format!("\"{name}\"")).count() + tests.matches(&format!("examples/{name}\"")).count();
        assert!(calls >= 3, "{name}: a success and a failure test are needed ({calls} mentions)");
        let text = std::fs::read_to_string(root().join("examples").join(name)).unwrap();
        assert!(text.starts_with(&format!("# examples/{name} — ")), "{name}: header comment");
        assert!(text.contains("# Exit 0"), "{name}: the header says the exit codes");
    }
}

// ------------------------------------------------------------------ stdlib cases

fn stdlib_cases() -> Layer {
    Layer::new("tests/data/examples/stdlib", "atc").keys(&["port", "param", "exit", "say"]).at_least(20)
}

/// Runs a stdlib case on the port its header names; an error says how the outcome differs.
fn run_stdlib_case(case: &Case) -> Result<(), String> {
    let port = case.header.one("port")?.ok_or("no `# port:` line")?;
    let port = match port.split_once("?scenario=") {
        Some((profile, file)) => with_scenario(profile, file),
        None => port.to_string(),
    };
    let mut params = Vec::new();
    for param in case.header.all("param") {
        params.push(param.split_once('=').ok_or_else(|| format!("`# param: {param}` needs name=value"))?);
    }
    let exit: u8 = match case.header.one("exit")? {
        Some(code) => code.parse().map_err(|_| format!("bad exit code `{code}`"))?,
        None => 0,
    };
    let says: Vec<&str> = case.header.all("say").collect();
    let mut port = SimPort::open(&port, SimClock::Virtual).map_err(|e| e.to_string())?;
    let (outcome, said) = run_on(&case.path, &mut port, &params);
    if outcome.code == exit && said == says {
        return Ok(());
    }
    Err(format!(
        "exit {} (want {exit}), message {:?}\n{}",
        outcome.code,
        outcome.message,
        diff::lines(&says.join("\n"), &said.join("\n"))
    ))
}

#[test]
fn stdlib_cases_run_against_the_simulator() {
    stdlib_cases().run(run_stdlib_case);
}

#[test]
fn every_stdlib_proc_has_a_header_comment_and_a_succeeding_case() {
    let succeeding: Vec<Case> = stdlib_cases()
        .cases()
        .into_iter()
        .filter(|c| c.header.one("exit").ok().flatten().unwrap_or("0") == "0")
        .collect();
    for module in ["hayes", "gsm"] {
        let lib = std::fs::read_to_string(root().join(format!("stdlib/{module}.atc"))).unwrap();
        let mut previous = "";
        for line in lib.lines() {
            if let Some(rest) = line.strip_prefix("proc ") {
                let name = &rest[..rest.find('(').unwrap()];
                assert!(previous.starts_with('#'), "{module}.{name} has no header comment");
                let call = format!("{module}.{name}(");
                assert!(
                    succeeding.iter().any(|c| c.text.contains(&call)),
                    "no succeeding stdlib case calls {call}...)"
                );
            }
            previous = line;
        }
    }
}
