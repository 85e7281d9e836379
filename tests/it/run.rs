//! Run cases: `tests/data/run/NAME.atc` runs on virtual time against the scripted modem its
//! header describes (`# modem:` rules, see support/fake_modem.rs; `# param: name=value`
//! gives a param). The outcome, `say` output, bytes written and modem-control operations
//! are compared with the golden `NAME.out`.

use atchat::driver::{self, Transcript};
use atchat::lang::literal::escape_bytes;
use atchat::syntax::Sources;
use atchat::vm::Machine;
use indexmap::IndexMap;

use crate::support::case::Case;
use crate::support::fake_modem::FakeModem;
use crate::support::golden;
use crate::support::layer::Layer;

/// Compiles and runs a case against its fake modem; returns the transcript text.
pub fn run_case(case: &Case) -> Result<String, String> {
    let name = case.path.file_name().unwrap().to_string_lossy();
    let sources = Sources::from_text(&name, &case.text, case.path.parent());
    let program = atchat::bytecode::compiler::compile(&sources).map_err(|e| format!("does not compile: {e}"))?;
    let mut params = IndexMap::new();
    for param in case.header.all("param") {
        let (k, v) = param.split_once('=').ok_or_else(|| format!("`# param: {param}` needs name=value"))?;
        params.insert(k.to_string(), v.to_string());
    }
    let mut out = golden::first_line(&format!("outcome of {name}"), "run::");
    let mut vm = match Machine::new(program, &params) {
        Ok(vm) => vm,
        Err(e) => return Ok(format!("{out}setup error: {e}\n")),
    };
    let mut modem = FakeModem::from_rules(case.header.all("modem"));
    let mut transcript = Transcript::capturing();
    let outcome = driver::run(&mut vm, &mut modem, &mut transcript);
    out.push_str(&format!("exit: {}\n", outcome.code));
    if let Some(m) = outcome.message {
        out.push_str(&format!("message: {m}\n"));
    }
    for s in transcript.capture.unwrap() {
        out.push_str(&format!("say: {s}\n"));
    }
    for (t, bytes) in &modem.written {
        out.push_str(&format!("sent {:>8.3}: \"{}\"\n", t.as_secs_f64(), escape_bytes(bytes)));
    }
    for c in &modem.controls {
        out.push_str(&format!("control: {c}\n"));
    }
    out.push_str(&format!("ended at {:.3}s\n", atchat::port::Port::now(&modem).as_secs_f64()));
    Ok(out)
}

#[test]
fn every_case_matches_its_golden() {
    Layer::new("tests/data/run", "atc")
        .keys(&["modem", "param"])
        .at_least(20)
        .run(|case| golden::compare(&case.path.with_extension("out"), &run_case(case)?));
}
