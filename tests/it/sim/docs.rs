//! Every scenario and profile example in `docs/sim.md` parses, and the worked profile
//! example does what the text says, so the documentation cannot drift.

use std::time::Duration;

use atchat::sim::{Modem, ModemProfile, Scenario};

use crate::support::layer::run_all;

#[test]
fn every_scenario_example_in_the_docs_parses() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sim.md")).unwrap();
    let blocks: Vec<&str> = doc.split("```text\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert!(blocks.len() >= 12, "expected one example per fault, found {}", blocks.len());
    run_all(
        "scenario example(s) in docs/sim.md",
        &blocks,
        |b| b.lines().next().unwrap_or("").to_string(),
        1,
        |block| Scenario::parse(block).map(|_| ()).map_err(|e| format!("does not parse: {e}\n{block}")),
    );
}

#[test]
fn the_profile_examples_in_the_docs_parse_and_behave() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sim.md")).unwrap();
    let blocks: Vec<&str> = doc.split("```toml\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert!(!blocks.is_empty(), "docs/sim.md shows no profile");
    for block in &blocks {
        if let Err(e) = ModemProfile::parse("my-stick.toml", block) {
            panic!("docs/sim.md profile example does not parse: {e}\n{block}");
        }
    }
    // The worked example: a ZTE that names itself MF190 and answers AT+ZSNT?.
    let profile = ModemProfile::parse("my-stick.toml", blocks[0]).unwrap();
    assert_eq!(profile.name, "my-stick");
    let mut modem = Modem::with_profile(profile, Scenario::default());
    let mut out = Vec::new();
    modem.receive(Duration::ZERO, b"ATE0\rAT+CGMM\rAT+ZSNT?\r");
    modem.poll_output(Duration::ZERO, &mut out);
    assert_eq!(String::from_utf8_lossy(&out), "ATE0\r\r\nOK\r\n\r\nMF190\r\n\r\nOK\r\n\r\n+ZSNT: 0,0,0\r\n\r\nOK\r\n");
    // ... and the quoted error message is the one a bad `ok` gets, line and all.
    let bad = blocks[0].replace("[voice]\n", "[voice]\nok = \"later\"\n");
    let e = ModemProfile::parse("my-stick.toml", &bad).unwrap_err().to_string();
    let quoted = doc.lines().find(|l| l.starts_with("atchat sim: profile")).expect("the error example");
    assert_eq!(format!("atchat sim: {e}"), quoted);
}
