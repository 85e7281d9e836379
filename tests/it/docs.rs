//! Every ```atc snippet in docs/*.md is checked: it must pass the checker (and compile),
//! as a script a reader could paste. A snippet fenced as ```atc,fails shows a mistake on
//! purpose and must be reported by the checker. Each snippet is checked on its own, with
//! the stdlib available to `use`.

use std::path::{Path, PathBuf};

use atchat::check::{check, CheckOptions};
use atchat::syntax::Sources;

use crate::support::layer::run_all;

struct Snippet {
    file: PathBuf,
    line: usize,
    fails: bool,
    text: String,
}

/// The fenced ```atc blocks of a Markdown text, with the line of their opening fence.
fn snippets(file: &Path, markdown: &str) -> Vec<Snippet> {
    let mut out = Vec::new();
    let mut open: Option<(usize, bool, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let info = info.trim();
                    if info == "atc" || info == "atc,fails" {
                        open = Some((i + 1, info.ends_with("fails"), String::new()));
                    } else if info.starts_with("atc") {
                        panic!("{}:{}: unknown fence `{info}` (atc or atc,fails)", file.display(), i + 1);
                    }
                }
            }
            Some((start, fails, text)) => {
                if trimmed.starts_with("```") {
                    out.push(Snippet {
                        file: file.to_path_buf(),
                        line: *start,
                        fails: *fails,
                        text: std::mem::take(text),
                    });
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{}: an ```atc block is not closed", file.display());
    out
}

fn doc_snippets() -> Vec<Snippet> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| snippets(f, &std::fs::read_to_string(f).unwrap())).collect()
}

#[test]
fn every_atc_snippet_in_docs_checks_as_marked() {
    let all = doc_snippets();
    assert!(all.len() >= 30, "only {} snippets found", all.len());
    assert!(all.iter().any(|s| s.fails));
    let name = |s: &Snippet| format!("{}:{}", s.file.file_name().unwrap().to_string_lossy(), s.line);
    run_all(
        "```atc snippet(s) in docs/",
        &all,
        |s| format!("docs/{}", name(s)),
        1,
        |s| {
            let sources = Sources::from_text(&name(s), &s.text, s.file.parent());
            let errors = check(&sources, &CheckOptions { params: None });
            match (s.fails, errors.is_empty()) {
                (false, false) => Err(atchat::diagnostics::render_plain(&sources, &errors)),
                (false, true) => atchat::bytecode::compiler::compile(&sources)
                    .map(|_| ())
                    .map_err(|e| format!("checks but does not compile: {e}")),
                (true, true) => Err("marked atc,fails but checks clean".into()),
                (true, false) => Ok(()),
            }
        },
    );
}

#[test]
fn snippet_extraction_sees_fences_and_their_marks() {
    let md = "text\n```atc\nsend \"AT\"\n```\n```sh\nls\n```\n  ```atc,fails\nexpect\n  ```\n";
    let found = snippets(Path::new("x.md"), md);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].line, found[0].fails, found[0].text.as_str()), (2, false, "send \"AT\"\n"));
    assert_eq!((found[1].line, found[1].fails, found[1].text.as_str()), (8, true, "expect\n"));
}

#[test]
fn the_result_code_table_lists_every_code_the_language_knows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = std::fs::read_to_string(root.join("stdlib/result-codes.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows[0], ["number", "v250", "motorola", "rockwell", "class", "meaning"]);
    for r in &rows[1..] {
        assert_eq!(r.len(), 6, "{r:?}");
    }
    // The V.250 column is what atchat matches in numeric mode (`results numeric`).
    for code in atchat::lang::result_code::RESULT_CODES {
        if let Some(number) = code.number {
            assert!(rows.iter().any(|r| r[0] == number && r[1] == code.text), "{number} {} missing", code.text);
        }
    }
}

/// The ```rust blocks of docs/embedding.md are excerpts of examples/embed/main.rs, which
/// cargo builds with the tests: a snippet that drifts from the example, which compiles, fails
/// here.
#[test]
fn embedding_snippets_are_taken_from_the_example_that_compiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/embedding.md")).unwrap();
    let example = std::fs::read_to_string(root.join("examples/embed/main.rs")).unwrap();
    let mut blocks = Vec::new();
    let mut open: Option<String> = None;
    for line in doc.lines() {
        match &mut open {
            None if line.trim() == "```rust" => open = Some(String::new()),
            None => {}
            Some(text) if line.trim() == "```" => {
                blocks.push(std::mem::take(text));
                open = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(blocks.len() >= 3, "docs/embedding.md has {} rust blocks", blocks.len());
    for block in &blocks {
        assert!(example.contains(block.as_str()), "not in examples/embed/main.rs:\n{block}");
    }
}
