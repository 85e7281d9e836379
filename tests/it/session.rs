//! The library API (`atchat::Script`, `atchat::Session`): one script compiled once and run as
//! many sessions, on the blocking driver and through the step interface, with their own
//! params and outcomes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atchat::port::sim::{SimClock, SimPort};
use atchat::sim::{Modem, Profile, Scenario};
use atchat::vm::SetupError;
use atchat::{Effect, Reply, Script, ScriptError, Session, Transcript};

fn dial_script() -> Script {
    Script::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hayes-dial.atc")).unwrap()
}

#[test]
fn one_script_runs_as_many_sessions_each_with_its_own_params() {
    let script = dial_script();
    assert_eq!(script.params().collect::<Vec<_>>(), ["number", "init"]);
    // A modem that rejects the init string only matters to the session that sends it.
    let outcomes: Vec<(u8, Vec<String>)> = ["AT&F E1 V1 X4 &C1 &D2", "AT&F E1 V1 X4 &C1 &D2 &BOGUS", "ATZ"]
        .iter()
        .map(|init| {
            let mut session = Session::new(&script, [("number", "5551234"), ("init", init)]).unwrap();
            let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
            let mut transcript = Transcript::capturing();
            let outcome = session.run(&mut port, &mut transcript);
            (outcome.code, transcript.capture.unwrap())
        })
        .collect();
    assert_eq!(outcomes[0].0, 0, "{:?}", outcomes[0]);
    assert!(outcomes[0].1.iter().any(|l| l.starts_with("connected at ")), "{:?}", outcomes[0]);
    // stdlib/hayes.atc's reset fails 8 on a rejected init string.
    assert_eq!(outcomes[1].0, 8, "{:?}", outcomes[1]);
    assert_eq!(outcomes[2].0, 0, "{:?}", outcomes[2]);
}

#[test]
fn sessions_of_one_script_run_on_threads_at_once() {
    let script = Arc::new(dial_script());
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let script = Arc::clone(&script);
            std::thread::spawn(move || {
                let mut session = Session::new(&script, [("number", format!("555{i:04}"))]).unwrap();
                let mut port = SimPort::open("hayes", SimClock::Virtual).unwrap();
                session.run(&mut port, &mut Transcript::capturing()).code
            })
        })
        .collect();
    let codes: Vec<u8> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(codes, [0; 8]);
}

#[test]
fn a_missing_or_unknown_param_is_refused_before_anything_runs() {
    let script = dial_script();
    match Session::new(&script, Vec::<(String, String)>::new()) {
        Err(SetupError::MissingParam { name }) => assert_eq!(name, "number"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a session without its required param"),
    }
    match Session::new(&script, [("number", "1"), ("numbr", "2")]) {
        Err(SetupError::UnknownParam { name }) => assert_eq!(name, "numbr"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a session with an unknown param"),
    }
}

#[test]
fn a_script_with_mistakes_reports_every_one_with_its_source() {
    let err = Script::from_source("bad.atc", "send undefined_a\nsend undefined_b\n").unwrap_err();
    let ScriptError::Check { errors, .. } = &err else { panic!("not a check error: {err}") };
    assert_eq!(errors.len(), 2, "{err}");
    let text = err.to_string();
    assert!(text.contains("bad.atc"), "{text}");
}

#[test]
fn a_compiled_program_that_is_not_one_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.atcb");
    std::fs::write(&path, b"not bytecode").unwrap();
    let err = Script::load(&path).unwrap_err();
    assert!(matches!(err, ScriptError::Compiled { .. }), "{err}");
    assert!(err.to_string().contains("junk.atcb"), "{err}");
}

#[test]
fn a_script_knows_its_secret_params() {
    let script = Script::from_source("pin.atc", "secret param pin\nparam apn\nsay \"pin is {pin}\"\n").unwrap();
    assert!(script.is_secret("pin"));
    assert!(!script.is_secret("apn"));
}

#[test]
fn the_step_interface_drives_a_session_without_a_port() {
    // The simulator engine stands in for the modem; the test is the event loop.
    let script = dial_script();
    let mut session = Session::new(&script, [("number", "5551234")]).unwrap();
    let mut modem = Modem::new(Profile::Hayes, Scenario::default());
    let mut now = Duration::ZERO;
    let mut reply = Reply::Ok;
    let mut said = Vec::new();
    let mut waits = 0;
    let outcome = loop {
        match session.resume(now, std::mem::replace(&mut reply, Reply::Ok)) {
            Effect::Write { bytes, .. } => modem.receive(now, &bytes),
            Effect::Wait { until } => {
                waits += 1;
                let mut out = Vec::new();
                modem.poll_output(now, &mut out);
                if out.is_empty() {
                    // Nothing yet: jump to whichever comes first, the modem or the deadline.
                    now = [until, modem.next_wakeup()].into_iter().flatten().filter(|t| *t > now).min().unwrap();
                } else {
                    session.feed(&out);
                }
            }
            Effect::QueryCarrier => reply = Reply::Carrier(modem.carrier()),
            Effect::Control(atchat::Control::Dtr(on)) => modem.set_dtr(now, on),
            Effect::Control(_) => {}
            Effect::Say(text) | Effect::Print(text) => said.push(text),
            Effect::Done(outcome) => break outcome,
        }
        assert!(waits < 10_000, "the session never ended");
    };
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert!(said.iter().any(|s| s.starts_with("connected at ")), "{said:?}");
    assert!(waits > 2, "the session waited for the modem only {waits} times");
}

#[test]
fn a_stop_flag_ends_a_waiting_session_with_a_hang_up() {
    // A modem that never answers: the session waits out `expect OK` (5 s) unless stopped.
    let script = Script::from_source("wait.atc", "send \"AT\"\nexpect \"NEVER\" within 60s\n").unwrap();
    let mut session = Session::new(&script, Vec::<(String, String)>::new()).unwrap();
    let mut port = SimPort::open("hayes", SimClock::Real).unwrap();
    let stop = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let outcome = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            stop.store(true, Ordering::SeqCst);
            // The session is blocked in its wait, not polling the flag: wake it.
            atchat::port::wake::wake_all();
        });
        session.run_until(&mut port, &mut Transcript::capturing(), &stop)
    });
    assert_eq!(outcome.code, 2, "{outcome:?}");
    assert!(outcome.message.as_deref().unwrap_or("").contains("stopped"), "{outcome:?}");
    // Not a timing assertion on performance: only that the 60 s wait did not run out.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_burst_larger_than_the_first_read_buffer_is_read_whole_and_matched_at_its_end() {
    // The driver's read buffer starts small and doubles when a read fills it: a burst of
    // several KiB arriving at once must still reach the script byte for byte.
    let burst = format!("{}READY-MARK\\r\\n", "0123456789abcdef".repeat(600));
    let scenario = Scenario::parse(&format!("boot-garbage \"{burst}\"\n")).unwrap();
    let mut port = SimPort::with_modem("sim:burst".into(), Modem::new(Profile::Hayes, scenario), SimClock::Virtual);
    let script = Script::from_source("burst.atc", "expect \"READY-MARK\" within 5s\nsay \"seen\"\n").unwrap();
    let mut session = Session::new(&script, Vec::<(String, String)>::new()).unwrap();
    let mut transcript = Transcript::capturing();
    let outcome = session.run(&mut port, &mut transcript);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(transcript.capture.unwrap(), ["seen"]);
}
