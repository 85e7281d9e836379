//! Every scenario example in `docs/sim.md` parses, so the documentation cannot drift.

use atchat::sim::Scenario;

#[test]
fn every_scenario_example_in_the_docs_parses() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sim.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```text\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(
        blocks.len() >= 12,
        "expected one example per fault, found {}",
        blocks.len()
    );
    for block in blocks {
        if let Err(e) = Scenario::parse(block) {
            panic!("docs/sim.md example does not parse: {e}\n{block}");
        }
    }
}
