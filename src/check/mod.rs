//! Static checks on the parsed script and its modules, before anything runs.
//!
//! [`check`] reports every mistake at once: syntax errors of any file, unknown names and
//! procedures, wrong calls, bad `use`s and import cycles, misplaced declarations, bad literals
//! (durations, numbers, exit codes), bad patterns, `retry` and `return` out of place, and
//! unreachable code. Code that passes the checker compiles: every
//! [`CompileError`](crate::bytecode::compiler::CompileError) on checked input is a checker bug.
//!
//! Errors are plain data ([`CheckError`]); `crate::diagnostics` turns them into miette reports.

mod error;
pub mod explain;
mod modules;
mod text;
mod walk;

pub use error::{CheckError, CheckErrorKind, Place, CODES};

use crate::syntax::ast::{Span, StmtKind};
use crate::syntax::Sources;

/// What the checker knows beyond the sources.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The params given on the command line or in the environment, when the script is about to
    /// run: then missing required params and unknown given names are reported. `None` for
    /// `atchat check`, where params are not known.
    pub params: Option<Vec<String>>,
}

/// Checks `sources` and returns every mistake, sorted by file, then position.
pub fn check(sources: &Sources, options: &CheckOptions) -> Vec<CheckError> {
    let mut errors = Vec::new();
    let procs = walk::proc_tables(sources);
    for (file, source) in sources.files.iter().enumerate() {
        match &source.script {
            Ok(script) => errors.extend(walk::FileChecker::run(sources, &procs, file, script)),
            Err(e) => {
                let keyword = text::keyword_at(&source.text, e.span.start).map(str::to_string);
                let (span, kind) = match e.too_deep {
                    Some(limit) => (e.span, CheckErrorKind::TooDeep { limit }),
                    None => {
                        let x = explain::explain(&source.text, e);
                        let help = x.help.or_else(|| error::syntax_help(&x.expected, keyword.as_deref()));
                        (x.span, CheckErrorKind::Syntax { message: x.message, help })
                    }
                };
                errors.push(CheckError { file, span, kind });
            }
        }
    }
    errors.extend(modules::check_uses(sources));
    if let Some(given) = &options.params {
        errors.extend(params(sources, given));
    }
    errors.sort_by_key(|e| (e.file, e.span.start, e.span.end));
    errors
}

/// Missing required params and given names the main script does not declare.
fn params(sources: &Sources, given: &[String]) -> Vec<CheckError> {
    let Some(Ok(main)) = sources.files.first().map(|f| &f.script) else {
        return Vec::new();
    };
    let declared: Vec<_> = main
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Param { name, default, .. } => Some((name, default.is_some())),
            _ => None,
        })
        .collect();
    let mut errors = Vec::new();
    for (name, has_default) in &declared {
        if !has_default && !given.contains(&name.text) {
            let kind = CheckErrorKind::MissingParam { name: name.text.clone() };
            errors.push(CheckError { file: 0, span: name.span, kind });
        }
    }
    let mut reported: Vec<&str> = Vec::new();
    for name in given {
        if declared.iter().any(|(d, _)| d.text == *name) || reported.contains(&name.as_str()) {
            continue;
        }
        reported.push(name);
        let suggestion = text::suggest(name, declared.iter().map(|(d, _)| d.text.as_str()));
        let kind = CheckErrorKind::UnknownParam { name: name.clone(), suggestion };
        errors.push(CheckError { file: 0, span: Span::default(), kind });
    }
    errors
}
