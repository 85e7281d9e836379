//! Golden files: compare, or rewrite with `ATCHAT_BLESS=1`.
//!
//! A golden file's first line is a `#` comment saying what it holds and the command that
//! regenerates it ([`first_line`]); the runner writes that line, so it cannot go stale.

use std::path::Path;

use super::diff;

/// Whether goldens are being rewritten (`ATCHAT_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os("ATCHAT_BLESS").is_some()
}

/// `# WHAT; regenerate with ATCHAT_BLESS=1 cargo test --test it FILTER`, with its newline.
pub fn first_line(what: &str, filter: &str) -> String {
    format!("# {what}; regenerate with ATCHAT_BLESS=1 cargo test --test it {filter}\n")
}

/// Compares `actual` with the golden file at `path`; with `ATCHAT_BLESS=1`, writes it.
/// The error shows the difference line by line.
pub fn compare(path: &Path, actual: &str) -> Result<(), String> {
    let shown = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display();
    if blessing() {
        if std::fs::read_to_string(path).ok().as_deref() != Some(actual) {
            std::fs::write(path, actual).map_err(|e| format!("cannot write {shown}: {e}"))?;
        }
        return Ok(());
    }
    let expected =
        std::fs::read_to_string(path).map_err(|e| format!("no golden {shown} ({e}); ATCHAT_BLESS=1 writes it"))?;
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{shown} differs (- golden, + actual; ATCHAT_BLESS=1 accepts the actual):\n{}",
        diff::lines(&expected, actual)
    ))
}

/// Every golden file under `tests/data/` (`*.out`, `*.stderr`, `*.dis`) says in its first line
/// how to regenerate it.
#[test]
fn every_golden_says_how_to_regenerate_it() {
    fn walk(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "out" || e == "stderr" || e == "dis") {
                found.push(path);
            }
        }
    }
    let mut goldens = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"), &mut goldens);
    assert!(goldens.len() >= 60, "only {} goldens found", goldens.len());
    let stale: Vec<String> = goldens
        .iter()
        .filter(|g| {
            let text = std::fs::read_to_string(g).unwrap_or_default();
            let first = text.lines().next().unwrap_or_default();
            !(first.starts_with("# ") && first.contains("; regenerate with ATCHAT_BLESS=1 cargo test --test it "))
        })
        .map(|g| g.display().to_string())
        .collect();
    assert!(stale.is_empty(), "goldens without the regenerate line:\n{}", stale.join("\n"));
}
