//! Every scenario example in `docs/sim.md` parses, so the documentation cannot drift.

use atchat::sim::Scenario;

use crate::support::layer::run_all;

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
    run_all("scenario example(s) in docs/sim.md", &blocks, |b| b.lines().next().unwrap_or("").to_string(), 1, |block| {
        Scenario::parse(block).map(|_| ()).map_err(|e| format!("does not parse: {e}\n{block}"))
    });
}
