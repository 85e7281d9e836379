//! The one runner for data-driven cases: every case of a layer runs, every failure is
//! collected, and the test fails once at the end listing them all.
//!
//! ```ignore
//! Layer::new("tests/data/run", "atc")
//!     .keys(&["modem", "param"])
//!     .run(|case| golden::compare(&case.path.with_extension("out"), &outcome(case)?));
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::case::Case;
use super::golden;

/// The cases of one layer: the files `DIR/NAME.EXT` (and, when asked, the folders
/// `DIR/NAME/` holding `main.EXT`, and the files of subfolders).
pub struct Layer {
    dir: PathBuf,
    ext: &'static str,
    keys: &'static [&'static str],
    folders: bool,
    recursive: bool,
    threads: usize,
    at_least: usize,
}

/// `path` relative to the repository, for messages.
pub fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string()
}

impl Layer {
    /// The cases `DIR/*.EXT`, `DIR` relative to the repository.
    pub fn new(dir: &str, ext: &'static str) -> Layer {
        Layer {
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            ext,
            keys: &[],
            folders: false,
            recursive: false,
            threads: 1,
            at_least: 1,
        }
    }

    /// The header keys this layer's cases may use; any other key is a failure.
    pub fn keys(mut self, keys: &'static [&'static str]) -> Layer {
        self.keys = keys;
        self
    }

    /// A folder `NAME/` with `main.EXT` is one case too (a script with modules beside it).
    pub fn folders(mut self) -> Layer {
        self.folders = true;
        self
    }

    /// Cases in subfolders count too, named `sub/NAME`.
    pub fn recursive(mut self) -> Layer {
        self.recursive = true;
        self
    }

    /// Runs `threads` cases at a time (for cases that mostly wait on other processes).
    pub fn threads(mut self, threads: usize) -> Layer {
        self.threads = threads.max(1);
        self
    }

    /// Fails unless at least `n` cases are found (a moved folder must not pass silently).
    pub fn at_least(mut self, n: usize) -> Layer {
        self.at_least = n;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn collect(&self, dir: &Path, prefix: &str, found: &mut Vec<(String, PathBuf)>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", shown(dir)));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            let name = format!("{prefix}{stem}");
            let main = path.join(format!("main.{}", self.ext));
            if path.is_dir() && self.folders && main.exists() {
                found.push((name, main));
            } else if path.is_dir() && self.recursive {
                self.collect(&path, &format!("{name}/"), found);
            } else if path.extension().is_some_and(|e| e == self.ext) {
                found.push((name, path));
            }
        }
    }

    /// Every case's name and file, sorted by name.
    pub fn paths(&self) -> Vec<(String, PathBuf)> {
        let mut found = Vec::new();
        self.collect(&self.dir, "", &mut found);
        found.sort();
        found
    }

    /// Every case, read and split; a case whose header uses an unknown key is a failure, and
    /// all of them are listed at once.
    #[track_caller]
    pub fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        let mut failures = Vec::new();
        for (name, path) in self.paths() {
            match self.load(&name, &path) {
                Ok(case) => cases.push(case),
                Err(e) => failures.push((format!("{name} ({})", shown(&path)), e)),
            }
        }
        let total = cases.len() + failures.len();
        self.report(failures, total);
        cases
    }

    fn load(&self, name: &str, path: &Path) -> Result<Case, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
        let case = Case::new(name.to_string(), path.to_path_buf(), text);
        case.header.only(self.keys)?;
        Ok(case)
    }

    /// Runs `check` on every case (a panic in it counts as that case's failure); fails once
    /// at the end with every failing case, its header line and what went wrong.
    #[track_caller]
    pub fn run(&self, check: impl Fn(&Case) -> Result<(), String> + Sync) {
        self.run_cases(&self.cases(), check);
    }

    /// [`Layer::run`] on cases already loaded.
    #[track_caller]
    pub fn run_cases(&self, cases: &[Case], check: impl Fn(&Case) -> Result<(), String> + Sync) {
        assert!(
            cases.len() >= self.at_least,
            "{}: {} case(s) found, at least {} expected",
            shown(&self.dir),
            cases.len(),
            self.at_least
        );
        let label = |case: &Case| match case.about() {
            "" => format!("{} ({})", case.name, shown(&case.path)),
            about => format!("{} ({}): {about}", case.name, shown(&case.path)),
        };
        run_all(&format!("case(s) under {}", shown(&self.dir)), cases, label, self.threads, check);
    }

    #[track_caller]
    fn report(&self, failures: Vec<(String, String)>, total: usize) {
        report(&format!("case(s) under {}", shown(&self.dir)), failures, total);
    }
}

/// Runs `check` on every item, `threads` at a time (a panic in it counts as that item's
/// failure); fails once at the end listing every failing item, by `label`, with what went
/// wrong. Cases of a layer go through [`Layer::run`]; this is for items that are not
/// files, such as the snippets of a document.
#[track_caller]
pub fn run_all<T: Sync>(
    what: &str,
    items: &[T],
    label: impl Fn(&T) -> String + Sync,
    threads: usize,
    check: impl Fn(&T) -> Result<(), String> + Sync,
) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let work = || {
        while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
            let result = catch_unwind(AssertUnwindSafe(|| check(item))).unwrap_or_else(|panic| {
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {text}"))
            });
            if let Err(message) = result {
                failures.lock().unwrap().push((label(item), message));
            }
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    report(what, failures.into_inner().unwrap(), items.len());
}

/// Fails listing `failures` (label, message), sorted by label, if there are any.
#[track_caller]
fn report(what: &str, mut failures: Vec<(String, String)>, total: usize) {
    if failures.is_empty() {
        return;
    }
    failures.sort();
    let mut text = format!("{} of {} {what} failed:\n", failures.len(), total.max(failures.len()));
    for (label, message) in &failures {
        text.push_str(&format!("\n── {label}\n{}\n", message.trim_end()));
    }
    if !golden::blessing() && failures.iter().any(|(_, m)| m.contains("ATCHAT_BLESS")) {
        text.push_str("\nIf the new output is right, ATCHAT_BLESS=1 rewrites the goldens.\n");
    }
    panic!("{text}");
}

#[test]
fn the_runner_reports_every_failing_case() {
    let layer = Layer::new("tests/data/compile", "atc").keys(&[]);
    let cases = layer.cases();
    assert!(cases.len() >= 3);
    let failed =
        catch_unwind(AssertUnwindSafe(|| {
            layer.run_cases(&cases, |case| {
                if case.name.contains('e') {
                    Err(format!("{} has an e", case.name))
                } else {
                    Ok(())
                }
            })
        }))
        .expect_err("failing cases must fail the test");
    let text = failed.downcast_ref::<String>().expect("a message");
    let with_e = cases.iter().filter(|c| c.name.contains('e')).count();
    assert!(text.starts_with(&format!("{with_e} of {} case(s)", cases.len())), "{text}");
    for case in cases.iter().filter(|c| c.name.contains('e')) {
        assert!(text.contains(&format!("{} has an e", case.name)), "{text}");
    }
    let panicking = catch_unwind(AssertUnwindSafe(|| {
        layer.threads(3).run_cases(&cases, |case| {
            assert!(!case.name.contains('e'), "boom in {}", case.name);
            Ok(())
        })
    }))
    .expect_err("a panicking case is a failure");
    let text = panicking.downcast_ref::<String>().expect("a message");
    assert!(text.contains("panicked: boom in"), "{text}");
}
