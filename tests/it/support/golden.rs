//! Golden files: compare, or rewrite with `ATCHAT_BLESS=1`.

use std::path::Path;

/// Compares `actual` with the golden file at `path`; with `ATCHAT_BLESS=1` rewrites it.
#[track_caller]
pub fn check(path: &Path, actual: &str) {
    if std::env::var_os("ATCHAT_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing golden {} (run with ATCHAT_BLESS=1)", path.display()));
    if expected != actual {
        panic!(
            "{} differs from the golden file (ATCHAT_BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Every file in `dir` with extension `ext`, sorted.
pub fn cases(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}
