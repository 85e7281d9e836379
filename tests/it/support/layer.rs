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
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
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
                Err(e) => failures.push(Failure { name, path, about: String::new(), message: e }),
            }
        }
        self.report(failures, cases.len());
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

    /// [`Layer::run`] on cases already loaded (a subset, or cases with something added).
    #[track_caller]
    pub fn run_cases(&self, cases: &[Case], check: impl Fn(&Case) -> Result<(), String> + Sync) {
        let next = AtomicUsize::new(0);
        let failures = Mutex::new(Vec::new());
        let work = || loop {
            let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let result = catch_unwind(AssertUnwindSafe(|| check(case))).unwrap_or_else(|panic| {
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {text}"))
            });
            if let Err(message) = result {
                failures.lock().unwrap().push(Failure {
                    name: case.name.clone(),
                    path: case.path.clone(),
                    about: case.about().to_string(),
                    message,
                });
            }
        };
        if self.threads == 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..self.threads {
                    s.spawn(work);
                }
            });
        }
        self.report(failures.into_inner().unwrap(), cases.len());
    }

    #[track_caller]
    fn report(&self, mut failures: Vec<Failure>, total: usize) {
        let dir = shown(&self.dir);
        assert!(
            total + failures.len() >= self.at_least,
            "{dir}: {} case(s) found, at least {} expected",
            total + failures.len(),
            self.at_least
        );
        if failures.is_empty() {
            return;
        }
        failures.sort_by(|a, b| a.name.cmp(&b.name));
        let mut text = format!("{} of {} case(s) under {dir} failed:\n", failures.len(), total.max(failures.len()));
        for f in &failures {
            text.push_str(&format!("\n── {} ({})", f.name, shown(&f.path)));
            if !f.about.is_empty() {
                text.push_str(&format!(": {}", f.about));
            }
            text.push('\n');
            text.push_str(f.message.trim_end());
            text.push('\n');
        }
        if !golden::blessing() && failures.iter().any(|f| f.message.contains("ATCHAT_BLESS")) {
            text.push_str("\nIf the new output is right, ATCHAT_BLESS=1 rewrites the goldens.\n");
        }
        panic!("{text}");
    }
}

struct Failure {
    name: String,
    path: PathBuf,
    about: String,
    message: String,
}

#[test]
fn the_runner_reports_every_failing_case() {
    let layer = Layer::new("tests/data/compile", "atc").keys(&[]);
    let cases = layer.cases();
    assert!(cases.len() >= 3);
    let failed = catch_unwind(AssertUnwindSafe(|| {
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
