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
    let shown = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display();
    if blessing() {
        if std::fs::read_to_string(path).ok().as_deref() != Some(actual) {
            std::fs::write(path, actual).map_err(|e| format!("cannot write {shown}: {e}"))?;
        }
        return Ok(());
    }
    let expected = std::fs::read_to_string(path)
        .map_err(|e| format!("no golden {shown} ({e}); ATCHAT_BLESS=1 writes it"))?;
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{shown} differs (- golden, + actual; ATCHAT_BLESS=1 accepts the actual):\n{}",
        diff::lines(&expected, actual)
    ))
}
