//! Loads a script and every module it `use`s.
//!
//! `use NAME` resolves to `NAME.atc` in the folder of the file that says it, then to the
//! bundled stdlib (compiled into the binary). Nothing else is searched: a script cannot reach
//! outside its own folder, so a script can only load code its author put beside it. A script
//! with no file (`atchat run -e '...'`, `atchat run -` from stdin) is beside the current
//! folder, where whoever typed it stands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ast::{Script, Span, StmtKind};
use super::{parse, SyntaxError};

/// The bundled standard library: module name → source.
pub const STDLIB: &[(&str, &str)] =
    &[("hayes", include_str!("../../stdlib/hayes.atc")), ("gsm", include_str!("../../stdlib/gsm.atc"))];

/// One loaded file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in messages: the path as given, or `stdlib/hayes.atc`.
    pub name: String,
    pub text: String,
    /// The parsed script, or why it did not parse.
    pub script: Result<Script, SyntaxError>,
    /// Module name → index of the file it resolved to, for each `use` in this file.
    pub uses: Vec<Use>,
}

/// A `use` and what it resolved to.
#[derive(Debug, Clone)]
pub struct Use {
    pub module: String,
    pub span: Span,
    /// Index into [`Sources::files`]; `None` when no such module exists or it cannot be read.
    pub file: Option<usize>,
    /// Why `NAME.atc` beside the script exists but could not be read (too large, not UTF-8,
    /// no permission): the stdlib is not searched then, so a local module is never silently
    /// replaced by the bundled one.
    pub unreadable: Option<String>,
}

/// A script and all the modules it loads. `files[0]` is the main script.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

/// A main script that cannot be read.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// Whether the script was read but is not UTF-8 (the message names the byte).
    pub fn is_not_utf8(&self) -> bool {
        self.source.get_ref().is_some_and(|e| e.is::<crate::input::NotUtf8>())
    }

    /// Whether the script is past the limit for scripts (a file, stdin or `-e`).
    pub fn is_too_large(&self) -> bool {
        crate::input::is_too_large(&self.source)
    }
}

/// The name messages give a script read from stdin (`atchat run -`).
pub const STDIN_NAME: &str = "<stdin>";
/// The name messages give a script given on the command line (`atchat run -e '...'`).
pub const INLINE_NAME: &str = "<-e>";

impl Sources {
    /// Reads the main script from stdin (`atchat run -`) through the script limit, never
    /// more than one byte past it; its modules come from the current folder and the stdlib.
    pub fn load_stdin() -> Result<Sources, LoadError> {
        let text = crate::input::read_to_string_from(std::io::stdin().lock(), crate::input::SCRIPT)
            .map_err(|source| LoadError { path: PathBuf::from(STDIN_NAME), source })?;
        Ok(Sources::from_text(STDIN_NAME, &text, Some(Path::new(""))))
    }

    /// The main script given on the command line (`-e`, once or more): the parts joined
    /// by newlines, as perl and sed join theirs, under the same limit as a script file.
    /// Modules come from the current folder and the stdlib.
    pub fn inline(parts: &[String]) -> Result<Sources, LoadError> {
        let limit = crate::input::SCRIPT;
        let len = parts.iter().map(|p| p.len() + 1).sum::<usize>();
        if len > limit.bytes {
            return Err(LoadError { path: PathBuf::from(INLINE_NAME), source: limit.too_large() });
        }
        let text = parts.join("\n") + "\n";
        Ok(Sources::from_text(INLINE_NAME, &text, Some(Path::new(""))))
    }

    /// Reads and parses `path` and its modules.
    pub fn load(path: &Path) -> Result<Sources, LoadError> {
        let text = crate::input::read_to_string(path, crate::input::SCRIPT)
            .map_err(|source| LoadError { path: path.to_path_buf(), source })?;
        let dir = path.parent().map(Path::to_path_buf);
        Ok(Sources::from_text(&path.display().to_string(), &text, dir.as_deref()))
    }

    /// Parses `text` as the main script; modules come from `dir` (if any) and the stdlib.
    pub fn from_text(name: &str, text: &str, dir: Option<&Path>) -> Sources {
        let mut sources = Sources::default();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        sources.push(name.to_string(), text.to_string());
        // What the modules beside the script may still add: one limit for them all, or a
        // script could load any number of files of the limit's size.
        let mut budget = crate::input::SCRIPT.bytes.saturating_sub(text.len());
        let mut next = 0;
        while next < sources.files.len() {
            let wanted: Vec<(String, Span)> = match &sources.files[next].script {
                Ok(script) => script
                    .stmts
                    .iter()
                    .filter_map(|s| match &s.kind {
                        StmtKind::Use(n) => Some((n.text.clone(), n.span)),
                        _ => None,
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            let mut uses = Vec::new();
            for (module, span) in wanted {
                let (found, unreadable) = match resolve(&module, dir, &by_key, budget) {
                    Ok(found) => (found, None),
                    Err(reason) => (None, Some(reason)),
                };
                let file = found.map(|(key, name, text)| {
                    *by_key.entry(key).or_insert_with(|| {
                        if !name.starts_with("stdlib/") {
                            budget -= text.len();
                        }
                        sources.push(name, text)
                    })
                });
                uses.push(Use { module, span, file, unreadable });
            }
            sources.files[next].uses = uses;
            next += 1;
        }
        sources
    }

    fn push(&mut self, name: String, text: String) -> usize {
        let script = parse(&text);
        self.files.push(SourceFile { name, text, script, uses: Vec::new() });
        self.files.len() - 1
    }
}

/// A module found: `(identity key, display name, text)`.
type Found = Option<(String, String, String)>;

/// Finds module `name`, `None` if there is no such module, or why `NAME.atc` beside the
/// script could not be read. A module already loaded (`loaded`) is not read again; a new one
/// may have at most `budget` bytes.
fn resolve(name: &str, dir: Option<&Path>, loaded: &HashMap<String, usize>, budget: usize) -> Result<Found, String> {
    use crate::input::{self, Limit};
    if let Some(dir) = dir {
        let path = dir.join(format!("{name}.atc"));
        let key = std::fs::canonicalize(&path).unwrap_or(path.clone()).display().to_string();
        if loaded.contains_key(&key) {
            return Ok(Some((key, path.display().to_string(), String::new())));
        }
        match input::read_to_string(&path, Limit { bytes: budget, ..input::SCRIPT }) {
            Ok(text) => return Ok(Some((key, path.display().to_string(), text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) if input::is_too_large(&e) => {
                let limit = input::SCRIPT;
                return Err(format!(
                    "`{}` would make the script and its modules larger than {}, the limit for {}",
                    path.display(),
                    limit.size_text(),
                    limit.what
                ));
            }
            Err(e) => return Err(format!("`{}`: {e}", path.display())),
        }
    }
    Ok(STDLIB
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| (format!("stdlib:{n}"), format!("stdlib/{n}.atc"), text.to_string())))
}
