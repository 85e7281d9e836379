//! The checker layer: one case per file under `tests/data/check/`.
//!
//! A case is `NAME.atc`, or a folder `NAME/` whose `main.atc` uses modules beside it. Cases
//! named `ok-*` must check clean and compile; every other case must report errors, and its
//! rendered diagnostics must equal the golden `NAME.stderr`. A header line `# given: a b`
//! checks the script as if params `a` and `b` were given on the command line.

use std::path::{Path, PathBuf};

use atchat::check::{check, CheckError, CheckOptions, CODES};
use atchat::diagnostics::render_plain;
use atchat::syntax::Sources;

use crate::support::case::Case;
use crate::support::golden;
use crate::support::layer::{shown, Layer};

fn layer() -> Layer {
    Layer::new("tests/data/check", "atc").folders().keys(&["given"]).at_least(10)
}

/// The case's sources, loaded by their path in the repository (as the goldens show them),
/// and what its checker reports.
fn checked(case: &Case) -> Result<(Sources, Vec<CheckError>), String> {
    let sources = Sources::load(Path::new(&shown(&case.path))).map_err(|e| e.to_string())?;
    let given = case.header.one("given")?;
    let options = CheckOptions { params: given.map(|g| g.split_whitespace().map(str::to_string).collect()) };
    let errors = check(&sources, &options);
    Ok((sources, errors))
}

fn golden_path(case: &Case) -> PathBuf {
    layer().dir().join(format!("{}.stderr", case.name))
}

#[test]
fn check_cases_match_their_goldens() {
    layer().run(|case| {
        let (sources, errors) = checked(case)?;
        if case.name.starts_with("ok-") {
            return match errors.is_empty() {
                true => Ok(()),
                false => Err(format!("expected no errors, got\n{}", render_plain(&sources, &errors))),
            };
        }
        if errors.is_empty() {
            return Err("expected errors, got none".into());
        }
        let name = case.path.strip_prefix(layer().dir()).unwrap_or(&case.path).display().to_string();
        let actual = format!(
            "{}{}",
            golden::first_line(&format!("diagnostics of {name}"), "check::"),
            render_plain(&sources, &errors)
        );
        golden::compare(&golden_path(case), &actual)
    });
}

#[test]
fn every_golden_has_a_case() {
    let names: Vec<String> = layer().cases().into_iter().map(|c| c.name).collect();
    for entry in std::fs::read_dir(layer().dir()).expect("check data") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            assert!(names.iter().any(|n| n == stem), "{} has no case", path.display());
        }
    }
}

#[test]
fn checked_cases_compile() {
    layer().run(|case| {
        if !case.name.starts_with("ok-") {
            return Ok(());
        }
        let (sources, _) = checked(case)?;
        atchat::bytecode::compiler::compile(&sources)
            .map(|_| ())
            .map_err(|e| format!("passed the checker but does not compile: {e} at {:?}", e.span))
    });
}

#[test]
fn every_error_has_a_location_code_label_and_help() {
    layer().run(|case| {
        let (sources, errors) = checked(case)?;
        let mut wrong = Vec::new();
        for error in errors {
            let kind = &error.kind;
            let message = kind.to_string();
            let text = render_plain(&sources, std::slice::from_ref(&error));
            if !CODES.contains(&kind.code()) {
                wrong.push(format!("code {} not in CODES", kind.code()));
            }
            if !kind.help().is_some_and(|h| !h.is_empty()) {
                wrong.push(format!("`{kind}` has no help"));
            }
            if message.starts_with(char::is_uppercase) {
                wrong.push(format!("`{message}` is capitalised"));
            }
            if !text.contains(kind.code()) {
                wrong.push(format!("no code in\n{text}"));
            }
            if kind.located() {
                let file = &sources.files[error.file].name;
                if !text.contains(&format!("[{file}:")) {
                    wrong.push(format!("no file:line:col in\n{text}"));
                }
                if !text.contains(&kind.label()) {
                    wrong.push(format!("no label in\n{text}"));
                }
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.join("\n"))
        }
    });
}

#[test]
fn every_code_is_exercised_by_a_case() {
    let mut seen = Vec::new();
    for case in layer().cases() {
        let (_, errors) = checked(&case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        seen.extend(errors.iter().map(|e| e.kind.code()));
    }
    let missing: Vec<&&str> = CODES.iter().filter(|c| !seen.contains(c)).collect();
    assert!(missing.is_empty(), "no case reports {missing:?}");
}

#[test]
fn stdlib_modules_check_clean() {
    let uses: String = atchat::syntax::loader::STDLIB.iter().map(|(n, _)| format!("use {n}\n")).collect();
    let sources = Sources::from_text("uses-stdlib.atc", &uses, None);
    let errors = check(&sources, &CheckOptions::default());
    assert!(errors.is_empty(), "{}", render_plain(&sources, &errors));
}

#[test]
fn errors_are_sorted_by_file_then_position() {
    let sources = Sources::from_text("t.atc", "say \"{b}\"\nsay a\nuse nosuch\n", None);
    let errors = check(&sources, &CheckOptions::default());
    let starts: Vec<usize> = errors.iter().map(|e| e.span.start).collect();
    assert_eq!(starts.len(), 3, "{errors:?}");
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
}

#[test]
fn missing_and_unknown_params_only_when_params_are_known() {
    let sources = Sources::from_text("t.atc", "param number\nparam init = \"ATZ\"\nsay number\n", None);
    assert!(check(&sources, &CheckOptions::default()).is_empty());
    let given = CheckOptions { params: Some(vec!["numbr".into()]) };
    let codes: Vec<&str> = check(&sources, &given).iter().map(|e| e.kind.code()).collect();
    assert_eq!(codes, ["atchat::unknown-param", "atchat::missing-param"]);
    let given = CheckOptions { params: Some(vec!["number".into()]) };
    assert!(check(&sources, &given).is_empty());
}

/// Every variant of every case with one line removed, or cut after a line: the checker never
/// panics, and whatever it passes compiles.
#[test]
fn whatever_checks_clean_compiles() {
    let mut checked_ok = 0;
    for case in layer().cases().into_iter().filter(|c| !c.path.ends_with("main.atc")) {
        let lines: Vec<&str> = case.text.lines().collect();
        let mut variants = Vec::new();
        for i in 0..lines.len() {
            variants.push(lines[..i].join("\n"));
            let mut without = lines.clone();
            without.remove(i);
            variants.push(without.join("\n"));
        }
        for variant in variants {
            let sources = Sources::from_text("variant.atc", &variant, None);
            if !check(&sources, &CheckOptions::default()).is_empty() {
                continue;
            }
            checked_ok += 1;
            if let Err(e) = atchat::bytecode::compiler::compile(&sources) {
                panic!("{}: checks clean but does not compile: {e} at {:?}\n{variant}", case.name, e.span);
            }
        }
    }
    assert!(checked_ok > 50, "only {checked_ok} variants checked clean");
}
