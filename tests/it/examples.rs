//! Every example runs against the simulated modem (virtual time) with its outcome asserted.

use std::path::Path;

use atchat::driver::{self, Transcript};
use atchat::port::sim::{SimClock, SimPort};
use atchat::syntax::Sources;
use atchat::vm::{Machine, Outcome};
use indexmap::IndexMap;

/// Checks, compiles and runs `examples/NAME` on `sim:SPEC`; returns the outcome and `say` lines.
pub fn run_example(name: &str, spec: &str, params: &[(&str, &str)]) -> (Outcome, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let sources = Sources::load(&path).unwrap();
    let given: IndexMap<String, String> =
        params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let errors = atchat::check::check(
        &sources,
        &atchat::check::CheckOptions { params: Some(given.keys().cloned().collect()) },
    );
    assert!(errors.is_empty(), "{}", atchat::diagnostics::render_plain(&sources, &errors));
    let program = atchat::bytecode::compiler::compile(&sources).unwrap();
    let mut vm = Machine::new(program, &given).unwrap();
    let mut port = SimPort::open(spec, SimClock::Virtual).unwrap();
    let mut transcript = Transcript::capturing();
    let outcome = driver::run(&mut vm, &mut port, &mut transcript);
    (outcome, transcript.capture.unwrap())
}

#[test]
fn quickstart_identifies_the_hayes_modem() {
    let (outcome, says) = run_example("quickstart.atc", "hayes", &[]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(says.len(), 1);
    assert!(says[0].starts_with("modem: "), "{says:?}");
    assert!(says[0].len() > "modem: ".len());
}

#[test]
fn hayes_dial_connects_and_reports_the_rate() {
    let (outcome, says) = run_example("hayes-dial.atc", "hayes", &[("number", "5551234")]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert!(says.iter().any(|s| s.starts_with("connected at ") && s.ends_with(" bps")), "{says:?}");
}

#[test]
fn gsm_sms_is_sent_with_a_reference() {
    let (outcome, says) = run_example("gsm-sms.atc", "gsm", &[("to", "+15551234"), ("text", "hello")]);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert!(says.iter().any(|s| s.starts_with("sent, reference ")), "{says:?}");
}
