//! The step debugger: a script loaded with `:load` (or `atchat run --debug`), run on its own
//! machine with breakpoints, single steps and Ctrl-C pauses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::bytecode::{compiler, Program};
use crate::check::{self, CheckOptions};
use crate::diagnostics;
use crate::syntax::Sources;
use crate::vm::Machine;

/// Where a run of the debuggee stops on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAt {
    /// Only at the end (or Ctrl-C): the REPL's own entries.
    Never,
    /// Before the next statement anywhere (`:step`).
    AnyLine,
    /// Before the next statement at this call depth or shallower (`:next`).
    Depth(usize),
    /// At breakpoints (`:run`, `:continue`).
    Breakpoints,
}

impl StopAt {
    /// Whether to stop before `pc`: only where a statement starts, and only as asked.
    pub fn stops(self, program: &Program, pc: usize, depth: usize, breaks: &BTreeSet<u32>) -> bool {
        let Ok(i) = program.lines.binary_search_by_key(&(pc as u32), |e| e.pc) else {
            return false;
        };
        let entry = program.lines[i];
        match self {
            StopAt::Never => false,
            StopAt::AnyLine => true,
            StopAt::Depth(d) => depth <= d,
            StopAt::Breakpoints => entry.file == 0 && breaks.contains(&entry.line),
        }
    }
}

/// A loaded script and its run.
pub struct Debuggee {
    pub file: PathBuf,
    pub sources: Sources,
    pub program: Program,
    pub params: IndexMap<String, String>,
    /// The run, once started; it stays after the script ends, for `:vars`.
    pub vm: Option<Machine>,
    /// The last run stopped at a statement (so the next one must not stop there again).
    pub paused: bool,
    /// Lines of the main script to stop at.
    pub breaks: BTreeSet<u32>,
}

impl Debuggee {
    /// Loads, checks and compiles `file`; errors come back rendered.
    pub fn load(file: &Path, params: IndexMap<String, String>) -> Result<Debuggee, String> {
        if file.extension().is_some_and(|e| e == "atcb") {
            return Err(format!("cannot debug `{}`: the debugger needs the script's source (.atc)\n", file.display()));
        }
        let sources = Sources::load(file).map_err(|e| format!("{e}\n"))?;
        let options = CheckOptions { params: Some(params.keys().cloned().collect()) };
        let errors = check::check(&sources, &options);
        if !errors.is_empty() {
            return Err(diagnostics::render_plain(&sources, &errors));
        }
        let program = compiler::compile(&sources)
            .map_err(|e| diagnostics::render_report_plain(&diagnostics::compile_report(&sources, &e)))?;
        Ok(Debuggee {
            file: file.to_path_buf(),
            sources,
            program,
            params,
            vm: None,
            paused: false,
            breaks: BTreeSet::new(),
        })
    }

    /// A fresh run from the first line.
    pub fn start(&mut self) -> Result<(), String> {
        let vm = Machine::new(self.program.clone(), &self.params).map_err(|e| e.to_string())?;
        self.vm = Some(vm);
        self.paused = false;
        Ok(())
    }

    /// Whether a run is under way (started and not over).
    pub fn running(&self) -> bool {
        self.vm.as_ref().is_some_and(|vm| vm.outcome().is_none())
    }

    /// `file:line: text` of where the run stands.
    pub fn location(&self) -> Option<String> {
        let vm = self.vm.as_ref()?;
        let (file, line) = vm.program().location(vm.pc())?;
        let text = self
            .sources
            .files
            .iter()
            .find(|f| f.name == file)
            .and_then(|f| f.text.lines().nth(line.saturating_sub(1) as usize))
            .unwrap_or("")
            .trim();
        Some(format!("{file}:{line}: {text}"))
    }

    /// The lines of the main script where a statement starts, for checking breakpoints.
    pub fn has_statement(&self, line: u32) -> bool {
        self.program.lines.iter().any(|e| e.file == 0 && e.line == line)
    }
}
