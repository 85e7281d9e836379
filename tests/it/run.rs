//! Run cases: `tests/data/run/NAME.atc` runs against the scripted modem described by its
//! `# modem:` lines (see support/fake_modem.rs) on virtual time; the outcome, `say` output,
//! bytes written and modem-control operations are compared with `NAME.out`
//! (`ATCHAT_BLESS=1` rewrites them). `# param: name=value` lines give params.

use std::path::Path;

use atchat::driver::{self, Transcript};
use atchat::syntax::Sources;
use atchat::lang::literal::escape_bytes;
use atchat::vm::Machine;
use indexmap::IndexMap;

use crate::support::fake_modem::FakeModem;
use crate::support::golden;

/// Compiles and runs `path` against its fake modem; returns the transcript text.
pub fn run_case(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let sources = Sources::from_text(&path.file_name().unwrap().to_string_lossy(), &text, path.parent());
    let program = atchat::bytecode::compiler::compile(&sources).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut params = IndexMap::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# param:") {
            let (k, v) = p.trim().split_once('=').unwrap();
            params.insert(k.to_string(), v.to_string());
        }
    }
    let mut out = String::new();
    let mut vm = match Machine::new(program, &params) {
        Ok(vm) => vm,
        Err(e) => return format!("setup error: {e}\n"),
    };
    let mut modem = FakeModem::from_script(&text);
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
    out
}

#[test]
fn run_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run");
    let cases = golden::cases(&dir, "atc");
    assert!(!cases.is_empty());
    for case in cases {
        let actual = run_case(&case);
        golden::check(&case.with_extension("out"), &actual);
    }
}
