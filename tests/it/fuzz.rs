//! The fuzz targets' bodies (`fuzz/src/`, run by `fuzz/run.sh` under libFuzzer), run here on
//! every input a fuzzer ever found a fault with (`tests/data/fuzz/TARGET/NAME`, named after
//! what broke) and on the inputs the repository ships. A target panics on a finding, so each
//! case passing means: no panic, and every property the target checks holds.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod targets;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs `target` on every file of `tests/data/fuzz/NAME/`.
#[track_caller]
fn regressions(name: &str, target: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(name);
    for case in files(&dir) {
        let data = std::fs::read(&case).unwrap();
        eprintln!("fuzz {name}: {}", case.display());
        target(&data);
    }
}

#[test]
fn check_regressions() {
    regressions("check", targets::check);
}

#[test]
fn bytecode_regressions() {
    regressions("bytecode", targets::bytecode);
}

#[test]
fn chat_regressions() {
    regressions("chat", targets::chat);
}

#[test]
fn import_regressions() {
    regressions("import", targets::import);
}

#[test]
fn matcher_regressions() {
    regressions("matcher", targets::matcher);
}

#[test]
fn sim_regressions() {
    regressions("sim", targets::sim);
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
            targets::import(&std::fs::read(&script).unwrap());
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
                targets::check(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 50, "only {n} scripts found");
}
