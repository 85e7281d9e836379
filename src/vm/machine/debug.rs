//! Hooks for the REPL and the step debugger: run until told to stop, inspect variables and
//! the wait in progress, grow the program of a live session.

use super::*;

// The REPL and the step debugger (`src/repl/`) drive the same machine as `atchat run`; these
// methods only look at its state, or stop it between instructions. None of them changes how a
// script runs under `resume`.

/// What a machine is waiting for, for `:pending` and `atchat run`'s progress line.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// `expect`, `sleep`, `pause`, `retry pause` or `wait carrier`.
    pub kind: &'static str,
    /// The line of the statement waiting.
    pub line: u32,
    /// Its file and line: `dial.atc:12`.
    pub at: String,
    /// What an `expect`, a `command` or `wait carrier` waits for, as a timeout's message
    /// names it (`OK or ERROR`, ``the answer to `ATD5551234` ``, `carrier`); empty for
    /// sleeps and pauses. It holds no secret: patterns are the script's text, a command is
    /// shown as sent with a secret's bytes as `***`.
    pub awaited: String,
    /// The patterns watched, in priority order: `(text, by a handler)`.
    pub patterns: Vec<(String, bool)>,
    /// When the wait began, and when it ends (on the driver's clock).
    pub started: Duration,
    pub deadline: Option<Duration>,
    /// The longest silence allowed, for `idle` waits.
    pub idle: Option<Duration>,
}

impl Machine {
    /// Like [`Machine::resume`], but before running each instruction asks `stop(program, pc,
    /// depth)` (`depth` is the number of frames: 1 at top level) and returns `None` without
    /// running it when told to stop. Calling again continues from there; the caller decides
    /// whether that first instruction is checked again (a debugger continuing from a
    /// breakpoint must not stop at it twice).
    pub fn resume_until(
        &mut self,
        now: Duration,
        reply: Reply,
        stop: &mut dyn FnMut(&Program, usize, usize) -> bool,
    ) -> Option<Effect> {
        if let Some(effect) = self.take_reply(now, reply) {
            return Some(effect);
        }
        loop {
            match &self.state {
                State::Done(outcome) => return Some(Effect::Done(outcome.clone())),
                State::Pending(_) => self.state = State::Running,
                State::Waiting(_) => {
                    if let Some(effect) = self.poll_wait(now) {
                        return Some(effect);
                    }
                }
                State::Running => {
                    if stop(&self.program, self.pc, self.frames.len()) {
                        return None;
                    }
                    if let Some(effect) = self.step(now) {
                        return Some(effect);
                    }
                }
            }
        }
    }

    /// Number of frames: 1 at top level, one more per procedure call or running handler.
    pub fn depth(&self) -> usize {
        self.frames.len()
    }

    /// How the run ended, once it has.
    pub fn outcome(&self) -> Option<&ExitStatus> {
        match &self.state {
            State::Done(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the modem is taken to answer in numeric (ATV0) result codes.
    pub fn numeric(&self) -> bool {
        self.numeric
    }

    /// Every variable in sight with its value, for `:vars`: the globals, then the current
    /// procedure's locals. What came from a secret shows as `***` (never a
    /// [`Value::Secret`]: these values are for showing).
    pub fn variables(&self) -> Vec<(String, Value)> {
        let shown = |value: Value| match value {
            Value::Secret(_) => Value::Str(value.shown()),
            other => other,
        };
        let mut out = Vec::new();
        for (slot, info) in self.program.globals.iter().enumerate() {
            let value = self.globals.get(slot).cloned().unwrap_or_default();
            out.push((info.name.clone(), shown(value)));
        }
        if self.frame().kind == FrameKind::Call {
            let base = self.frame().locals_base;
            let proc = self.program.procs.iter().filter(|p| (p.entry as usize) <= self.pc).max_by_key(|p| p.entry);
            for (i, value) in self.locals.iter().enumerate().skip(base) {
                let name = proc
                    .and_then(|p| p.local_names.get(i - base).cloned())
                    .unwrap_or_else(|| format!("local{}", i - base));
                out.push((name, shown(value.clone())));
            }
        }
        out
    }

    /// The wait in progress, if any, for `:pending` and the progress line.
    pub fn awaiting(&self) -> Option<Pending> {
        let wait = match &self.state {
            State::Waiting(w) => w,
            State::Pending(PendingReply::Carrier) => self.carrier_wait.as_ref()?,
            _ => return None,
        };
        let kind = match wait.kind {
            WaitKind::Expect(_) => "expect",
            WaitKind::Sleep => "sleep",
            WaitKind::Pause => "pause",
            WaitKind::RetryPause => "retry pause",
            WaitKind::Carrier => "wait carrier",
            WaitKind::ReportTail => "report",
        };
        let patterns = wait
            .ids
            .iter()
            .zip(&wait.owners)
            .map(|(&id, owner)| (self.pattern_text(id), matches!(owner, Owner::Handler(_))))
            .collect();
        let awaited = match wait.kind {
            WaitKind::Expect(_) | WaitKind::Carrier => self.awaited(wait),
            _ => String::new(),
        };
        Some(Pending {
            kind,
            line: self.program.line(wait.pc),
            at: self.here(wait.pc),
            awaited,
            patterns,
            started: wait.started,
            deadline: wait.deadline,
            idle: wait.idle,
        })
    }

    /// The patterns of the `on` handlers in force, in declaration order (`timeout` for
    /// `on timeout`).
    pub fn handlers_in_force(&self) -> Vec<String> {
        let mut hs: Vec<u32> = self.handlers.iter().map(|h| h.handler).collect();
        hs.sort_unstable();
        hs.iter()
            .filter_map(|&h| self.program.handlers.get(h as usize))
            .map(|info| info.pattern.map_or_else(|| "timeout".to_string(), |p| self.pattern_text(p)))
            .collect()
    }

    /// How many `on` handlers are in force.
    pub fn handler_count(&self) -> usize {
        self.handlers.len()
    }

    /// Continues this machine on `program` at instruction `at`, keeping what the modem
    /// conversation built up: variables (matched by name), the first `handlers` handlers in
    /// force, the default timeout, the numeric mode, S2/S3/S12 and unread input.
    ///
    /// This is how the REPL runs each entry live. Its session is one script that grows at the
    /// end: every entry is appended to the text, the whole text is checked and compiled again,
    /// and the machine goes on at `at`, where the previous program's `Halt` stood. That is
    /// sound because the compiler emits the main script's top-level code first and in source
    /// order, so the code and the handler indexes of the earlier text keep their places; what
    /// may move (global slots, procedures, module code) is looked up again here by name or
    /// only ever reached through the new program. An entry that failed is dropped from the
    /// text: the caller continues at the failed entry's own start and keeps only the handlers
    /// in force before it.
    ///
    /// Whatever was running is abandoned: frames, retry blocks, scopes and the value stack
    /// go back to the top level. New params get their defaults; a new required param with no
    /// value is an error.
    pub fn continue_with(&mut self, program: Program, at: usize, handlers: usize) -> Result<(), SetupError> {
        let set = PatternSet::new(&program.patterns).map_err(|e| SetupError::Patterns { reason: e.to_string() })?;
        let mut globals = vec![Value::Unset; program.globals.len()];
        for (slot, g) in program.globals.iter().enumerate() {
            let old = self.program.globals.iter().position(|o| o.name == g.name);
            if let Some(value) = old.and_then(|o| self.globals.get(o)) {
                globals[slot] = value.clone();
            } else if let Some(param) = &g.param {
                let Some(k) = param.default else {
                    return Err(SetupError::MissingParam { name: g.name.clone() });
                };
                let value = program.consts.get(k as usize).map(Value::from).unwrap_or_default();
                globals[slot] = super::param_value(value, param.secret);
            }
        }
        self.frames.truncate(1);
        let timeout = self.frames.first().map_or(DEFAULT_TIMEOUT, |f| f.timeout);
        self.frames.clear();
        self.frames.push(CallFrame {
            kind: FrameKind::Main,
            return_pc: 0,
            locals_base: 0,
            stack_height: 0,
            handler_depth: 0,
            scope_depth: 0,
            retry_depth: 0,
            timeout,
            resume: None,
        });
        self.handlers.truncate(handlers);
        self.stack.clear();
        self.locals.clear();
        self.scopes.clear();
        self.retries.clear();
        self.carrier_wait = None;
        self.program = Arc::new(program);
        self.set = Arc::new(set);
        self.globals = globals;
        self.pc = at;
        self.state = State::Running;
        Ok(())
    }
}

/// The index of the main script's `Halt`: where code appended to the main script would start.
pub fn main_end(program: &Program) -> usize {
    program.code.iter().position(|op| *op == Op::Halt).unwrap_or(program.code.len())
}
