//! Procedure calls, their frames, and failures unwinding to a retry block or the end.
//!
//! A call pushes a [`CallFrame`] recording the depths of every other stack; leaving the
//! frame (a return, a handler's end, a failure caught by `retry`) truncates them back, so
//! nothing a procedure or handler pushed outlives it.

use super::*;

impl Machine {
    pub(super) fn call(&mut self, p: u32) -> Option<Effect> {
        let Some(info) = self.program.procs.get(p as usize).cloned() else {
            return Some(self.runtime_error(format!("no procedure {p}")));
        };
        if self.frames.len() > 200 {
            return Some(self.runtime_error(format!("`{}` calls itself too deeply", info.name)));
        }
        let args = self.stack.len().saturating_sub(info.params as usize);
        let locals_base = self.locals.len();
        self.locals.extend(self.stack.drain(args..));
        self.locals.resize(locals_base + info.locals.max(info.params) as usize, Value::Unset);
        let timeout = self.frame().timeout;
        self.frames.push(CallFrame {
            kind: FrameKind::Call,
            return_pc: self.pc,
            locals_base,
            stack_height: self.stack.len(),
            handler_depth: self.handlers.len(),
            scope_depth: self.scopes.len(),
            retry_depth: self.retries.len(),
            timeout,
            resume: None,
        });
        self.pc = info.entry as usize;
        None
    }

    pub(super) fn return_from_proc(&mut self, value: Value) -> Option<Effect> {
        // Leave handler frames too: `return` inside a handler's block ends the procedure.
        while let Some(frame) = self.frames.last().cloned() {
            match frame.kind {
                FrameKind::Main => return Some(self.finish(ExitStatus::success())),
                FrameKind::Handler => {
                    self.pop_frame();
                }
                FrameKind::Call => {
                    self.pop_frame();
                    self.locals.truncate(frame.locals_base);
                    self.pc = frame.return_pc;
                    self.stack.push(value);
                    return None;
                }
            }
        }
        None
    }

    /// Pops the top frame, restoring the stacks it had grown.
    pub(super) fn pop_frame(&mut self) -> Option<CallFrame> {
        if self.frames.len() <= 1 {
            return None;
        }
        let frame = self.frames.pop()?;
        self.stack.truncate(frame.stack_height);
        self.handlers.truncate(frame.handler_depth);
        self.scopes.truncate(frame.scope_depth);
        self.retries.truncate(frame.retry_depth);
        Some(frame)
    }

    /// A failure: caught by the innermost retry block with attempts left, else the end.
    pub(super) fn fail(&mut self, now: Duration, mut outcome: ExitStatus) -> Option<Effect> {
        self.last_failure = Some(outcome.clone());
        let retry_requested = std::mem::take(&mut self.retry_requested);
        // The innermost block that ran out, for the message of a `retry` that gets no attempt.
        let mut ran_out: Option<(u32, Option<Duration>)> = None;
        while let Some(retry) = self.retries.last().cloned() {
            let Some(table) = self.program.retries.get(retry.table as usize).cloned() else { break };
            let next_start = match table.every {
                Some(every) => (retry.attempt_start + every).max(now),
                None => now,
            };
            let attempts_left = table.times.map_or(true, |t| retry.attempt < t);
            // No attempt starts after the budget, nor after one that itself started when the
            // budget was spent (a back-off `sleep` cut to the budget's end leads there): on
            // virtual time, an attempt failing at once would otherwise start again forever.
            let in_budget = retry.budget.map_or(true, |w| {
                let end = retry.first_start.saturating_add(w);
                next_start <= end && retry.attempt_start < end
            });
            if !(attempts_left && in_budget) {
                if ran_out.is_none() {
                    let budget = if attempts_left { retry.budget } else { None };
                    ran_out = Some((retry.attempt, budget));
                }
                self.retries.pop();
                continue;
            }
            // Unwind to the block, then start the next attempt (after a pause if `every`).
            while self.frames.len() > retry.frame_depth {
                let Some(frame) = self.pop_frame() else { break };
                if frame.kind == FrameKind::Call {
                    self.locals.truncate(frame.locals_base);
                }
            }
            self.stack.truncate(retry.stack_height);
            self.handlers.truncate(retry.handler_depth);
            self.scopes.truncate(retry.scope_depth);
            if let Some(r) = self.retries.last_mut() {
                r.attempt += 1;
                r.attempt_start = next_start;
            }
            let at = self.here(table.body as usize);
            self.notes.push(Note::Attempt { at, attempt: retry.attempt + 1 });
            self.pc = table.body as usize;
            if next_start > now {
                self.start_wait(WaitKind::RetryPause, table.body as usize, now, Some(next_start), true);
                if let State::Waiting(w) = &mut self.state {
                    w.next_pc = table.body as usize;
                }
            } else {
                self.state = State::Running;
            }
            return None;
        }
        if let (true, Some((attempts, budget)), Some(message)) = (retry_requested, ran_out, &mut outcome.message) {
            let plural = if attempts == 1 { "" } else { "s" };
            match budget {
                Some(b) => message.push_str(&format!(
                    " when the retry budget of {} ran out, after {attempts} attempt{plural}",
                    format_duration(b)
                )),
                None => message.push_str(&format!(" after {attempts} attempt{plural}")),
            }
        }
        Some(self.finish(outcome))
    }
}
