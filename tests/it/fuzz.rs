//! The fuzz targets' bodies (`fuzz/src/`, run by `fuzz/run.sh` under libFuzzer), run here on
//! every input that once broke a target (`tests/data/fuzz/TARGET/NAME`, named after
//! what broke) and on the inputs the repository ships. A target panics on a finding, so each
//! case passing means: no panic, and every property the target checks holds.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod bodies;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The target a folder of `tests/data/fuzz/` is for.
fn target(name: &str) -> fn(&[u8]) {
    match name {
        "check" => bodies::check,
        "bytecode" => bodies::bytecode,
        "chat" => bodies::chat,
        "import" => bodies::import,
        "matcher" => bodies::matcher,
        "sim" => bodies::sim,
        other => panic!("tests/data/fuzz/{other}: no fuzz target of that name"),
    }
}

#[test]
fn every_past_finding_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut n = 0;
    for dir in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
        let run = target(&dir.file_name().unwrap().to_string_lossy());
        for case in files(&dir) {
            eprintln!("fuzz regression: {}", case.display());
            run(&std::fs::read(&case).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no cases under {}", root.display());
}

/// The import round trip on every chat script of the corpora: it checks, and behaves as
/// chat does on the simulated modem.
#[test]
fn every_corpus_chat_script_survives_the_import_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat");
    let mut n = 0;
    for dir in ["corpus", "wild"] {
        for script in files(&root.join(dir)).into_iter().filter(|p| p.extension().is_some_and(|e| e == "chat")) {
            eprintln!("import target: {}", script.display());
            bodies::import(&std::fs::read(&script).unwrap());
            n += 1;
        }
    }
    assert!(n > 20, "only {n} chat scripts found");
}

/// Every script the repository ships goes through the check target: checked scripts compile
/// and survive encode → decode.
#[test]
fn every_shipped_script_survives_the_check_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    let mut dirs = vec![root.join("stdlib"), root.join("examples"), root.join("tests/data")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "atc") {
                bodies::check(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 50, "only {n} scripts found");
}
