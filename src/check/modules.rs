//! Checks on `use`: unknown modules, a module used twice, import cycles.

use std::collections::HashMap;

use super::error::{CheckError, CheckErrorKind as K};
use super::text::suggest;
use crate::syntax::ast::Span;
use crate::syntax::loader::STDLIB;
use crate::syntax::Sources;

/// Every `use` mistake in every file.
pub(super) fn check_uses(sources: &Sources) -> Vec<CheckError> {
    let mut errors = Vec::new();
    for (file, source) in sources.files.iter().enumerate() {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for u in &source.uses {
            if let Some(&first) = seen.get(u.module.as_str()) {
                let kind = K::DuplicateUse { module: u.module.clone(), first };
                errors.push(CheckError { file, span: u.span, kind });
                continue;
            }
            seen.insert(&u.module, u.span);
            if let Some(reason) = &u.unreadable {
                let kind = K::UnreadableModule { module: u.module.clone(), reason: reason.clone() };
                errors.push(CheckError { file, span: u.span, kind });
            } else if u.file.is_none() {
                let suggestion = suggest(&u.module, STDLIB.iter().map(|(n, _)| *n));
                let kind = K::UnknownModule { module: u.module.clone(), suggestion };
                errors.push(CheckError { file, span: u.span, kind });
            }
        }
    }
    errors.extend(cycles(sources));
    errors
}

/// The name a file is known by: the main script by its file stem, a module by the name it
/// was first `use`d by.
fn module_name(sources: &Sources, file: usize) -> String {
    if file != 0 {
        let used_as = sources.files.iter().flat_map(|f| &f.uses).find(|u| u.file == Some(file));
        if let Some(u) = used_as {
            return u.module.clone();
        }
    }
    let name = &sources.files[file].name;
    std::path::Path::new(name).file_stem().map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    New,
    OnPath,
    Done,
}

/// One error per `use` that closes a cycle, at that `use`, with the whole chain.
fn cycles(sources: &Sources) -> Vec<CheckError> {
    let mut marks = vec![Mark::New; sources.files.len()];
    let mut path = Vec::new();
    let mut errors = Vec::new();
    for start in 0..sources.files.len() {
        if marks[start] == Mark::New {
            visit(sources, start, &mut marks, &mut path, &mut errors);
        }
    }
    errors
}

fn visit(sources: &Sources, file: usize, marks: &mut [Mark], path: &mut Vec<usize>, errors: &mut Vec<CheckError>) {
    marks[file] = Mark::OnPath;
    path.push(file);
    for u in &sources.files[file].uses {
        let Some(next) = u.file else { continue };
        match marks[next] {
            Mark::New => visit(sources, next, marks, path, errors),
            Mark::OnPath => {
                let from = path.iter().position(|&f| f == next).unwrap_or(0);
                let mut chain: Vec<String> = path[from..].iter().map(|&f| module_name(sources, f)).collect();
                chain.push(module_name(sources, next));
                errors.push(CheckError { file, span: u.span, kind: K::ImportCycle { chain } });
            }
            Mark::Done => {}
        }
    }
    path.pop();
    marks[file] = Mark::Done;
}
