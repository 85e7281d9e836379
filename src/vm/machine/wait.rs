//! Waits: expects, sleeps, pauses and `wait carrier`; what happens when one matches or
//! times out, and handlers interrupting them.

use super::*;

impl Machine {
    pub(super) fn start_expect(&mut self, w: u32, pc: usize, now: Duration) {
        let Some(table) = self.program.waits.get(w as usize).cloned() else {
            self.state = State::Done(ExitStatus { code: 1, message: Some(format!("no wait table {w}")) });
            return;
        };
        let within = match table.within.map(|d| self.dur(d)).transpose() {
            Ok(d) => d.unwrap_or(self.frame().timeout),
            Err(_) => return,
        };
        let idle = match table.idle.map(|d| self.dur(d)).transpose() {
            Ok(d) => d,
            Err(_) => return,
        };
        self.start_wait(WaitKind::Expect(w), pc, now, Some(now + within), table.watch_handlers);
        if let State::Waiting(wait) = &mut self.state {
            wait.idle = idle;
            let mut ids: Vec<u32> = table.arms.iter().map(|a| a.pattern).collect();
            let mut owners: Vec<Owner> = (0..table.arms.len()).map(Owner::Arm).collect();
            ids.append(&mut wait.ids);
            owners.append(&mut wait.owners);
            wait.ids = ids;
            wait.owners = owners;
        }
        if let Some(echo) = self.pending_echo.take() {
            self.scanner.expect_echo(&echo);
        }
        if let Some(m) = &mut self.monitor {
            m.start_expect();
        }
        if let State::Waiting(wait) = &self.state {
            let patterns = wait.ids.iter().map(|&i| self.pattern_text(i)).collect();
            self.notes.push(Note::Waiting { at: self.here(pc), patterns, deadline: wait.deadline });
        }
    }

    pub(super) fn start_wait(
        &mut self,
        kind: WaitKind,
        pc: usize,
        now: Duration,
        deadline: Option<Duration>,
        watch: bool,
    ) {
        let mut ids = Vec::new();
        let mut owners = Vec::new();
        if watch {
            // Handlers in declaration order: that order breaks ties (docs/language.md, "Handlers").
            let mut order: Vec<usize> = (0..self.handlers.len()).collect();
            order.sort_by_key(|&i| self.handlers[i].handler);
            for i in order {
                let h = self.handlers[i].handler;
                if let Some(Some(p)) = self.program.handlers.get(h as usize).map(|h| h.pattern) {
                    ids.push(p);
                    owners.push(Owner::Handler(i));
                }
            }
        }
        self.scanner.restart();
        self.scanned = 0;
        self.input_arrived = false;
        self.state = State::Waiting(Wait {
            kind,
            next_pc: self.pc,
            pc,
            started: now,
            deadline,
            idle: None,
            last_input: now,
            watch_handlers: watch,
            ids,
            owners,
            next_poll: now,
            txn: None,
            strict: false,
            line: Vec::new(),
        });
    }

    /// What an expect, a command or `wait carrier` waits for, as messages name it:
    /// `OK or ERROR`, `the answer to `AT+CSQ``, `carrier`.
    pub(super) fn awaited(&self, wait: &Wait) -> String {
        match wait.kind {
            WaitKind::Carrier => "carrier".to_string(),
            _ if wait.txn.is_some() => {
                let command = wait.txn.as_ref().map(|t| t.command.clone()).unwrap_or_default();
                format!("the answer to `{command}`")
            }
            _ => {
                let arms: Vec<String> = wait
                    .ids
                    .iter()
                    .zip(&wait.owners)
                    .filter(|(_, o)| matches!(o, Owner::Arm(_)))
                    .map(|(&i, _)| self.pattern_text(i))
                    .collect();
                arms.join(" or ")
            }
        }
    }

    pub(super) fn pattern_text(&self, id: u32) -> String {
        self.program.pattern_text.get(id as usize).cloned().unwrap_or_default()
    }

    /// Checks the wait in progress against new input and the clock.
    pub(super) fn poll_wait(&mut self, now: Duration) -> Option<Effect> {
        let State::Waiting(mut wait) = std::mem::replace(&mut self.state, State::Running) else {
            return None;
        };
        if wait.kind == WaitKind::ReportTail {
            return self.poll_report_tail(wait, now);
        }
        if wait.txn.is_some() {
            return self.poll_transact(wait, now);
        }
        if self.input_arrived {
            wait.last_input = now;
            self.input_arrived = false;
        }
        if wait.strict && !wait.ids.is_empty() {
            if let Some(done) = self.scan_await(&mut wait, now) {
                return done;
            }
        } else if !wait.ids.is_empty() && self.scanned < self.input.len() {
            let active = Active::new(&self.set, &wait.ids);
            let scan = self.scanner.scan(&self.set, &active, self.numeric, &self.input[self.scanned..]);
            match scan {
                Scan::Match { pattern, consumed, captures } => {
                    let end = self.scanned + consumed;
                    if matches!(wait.kind, WaitKind::Expect(_)) {
                        self.observe(self.scanned, end, true);
                    }
                    self.input.drain(..end.min(self.input.len()));
                    self.scanned = 0;
                    return self.matched(wait, pattern, captures, now);
                }
                Scan::NoMatch => {
                    if matches!(wait.kind, WaitKind::Expect(_)) {
                        self.observe(self.scanned, self.input.len(), false);
                        // An expect consumes what it read, as chat does.
                        self.input.clear();
                        self.scanned = 0;
                    } else {
                        self.scanned = self.input.len();
                    }
                }
            }
        } else if matches!(wait.kind, WaitKind::Expect(_)) {
            self.input.clear();
            self.scanned = 0;
        }
        let until = match (wait.deadline, wait.idle) {
            (Some(d), Some(i)) => Some(d.min(wait.last_input + i)),
            (d, None) => d,
            (None, Some(i)) => Some(wait.last_input + i),
        };
        if let Some(until) = until.filter(|&u| now >= u) {
            return self.wait_over(wait, now, until);
        }
        if wait.kind == WaitKind::Carrier && now >= wait.next_poll {
            self.carrier_wait = Some(wait);
            self.state = State::Pending(PendingReply::Carrier);
            return Some(Effect::QueryCarrier);
        }
        let until = if wait.kind == WaitKind::Carrier {
            Some(until.map_or(wait.next_poll, |u| u.min(wait.next_poll)))
        } else {
            until
        };
        self.state = State::Waiting(wait);
        Some(Effect::Wait { until })
    }

    /// A wait reached its deadline.
    /// `until` is the deadline that passed: messages name it, not how late the driver woke.
    pub(super) fn wait_over(&mut self, wait: Wait, now: Duration, until: Duration) -> Option<Effect> {
        match wait.kind {
            WaitKind::Sleep | WaitKind::Pause | WaitKind::RetryPause | WaitKind::ReportTail => {
                self.pc = wait.next_pc;
                None
            }
            WaitKind::Expect(_) | WaitKind::Carrier => {
                let line = self.here(wait.pc);
                let after = until.saturating_sub(wait.started);
                self.notes.push(Note::TimedOut { at: line, after });
                if let WaitKind::Expect(w) = wait.kind {
                    if let Some(t) = self.program.waits.get(w as usize).and_then(|t| t.timeout_target) {
                        self.pc = t as usize;
                        return None;
                    }
                }
                if wait.watch_handlers {
                    let timeout_handler = self
                        .handlers
                        .iter()
                        .rev()
                        .find(|h| self.program.handlers.get(h.handler as usize).is_some_and(|i| i.pattern.is_none()))
                        .copied();
                    if let Some(h) = timeout_handler {
                        return self.run_handler(h, Vec::new(), None, wait.next_pc);
                    }
                }
                let what = self.awaited(&wait);
                let message = format!(
                    "{}: timed out after {} waiting for {what}; last bytes received: \"{}\"",
                    self.here(wait.pc),
                    format_duration(after),
                    self.recent_text()
                );
                self.pc = wait.pc;
                self.fail(now, ExitStatus { code: 3, message: Some(message) })
            }
        }
    }

    pub(super) fn matched(
        &mut self,
        wait: Wait,
        pattern: u32,
        captures: Vec<Vec<u8>>,
        now: Duration,
    ) -> Option<Effect> {
        let owner = wait.ids.iter().position(|&i| i == pattern).and_then(|i| wait.owners.get(i)).copied();
        let line = self.here(wait.pc);
        let text = self.pattern_text(pattern);
        match owner {
            Some(Owner::Arm(a)) => {
                self.notes.push(Note::Matched { at: line.clone(), pattern: text, by_handler: false });
                let WaitKind::Expect(w) = wait.kind else { return None };
                let arm = self.program.waits.get(w as usize).and_then(|t| t.arms.get(a)).cloned()?;
                for (var, value) in arm.captures.iter().zip(captures) {
                    self.store(*var, Value::Str(value));
                }
                self.pc = arm.target as usize;
                None
            }
            Some(Owner::Handler(i)) => {
                self.notes.push(Note::Matched { at: line, pattern: text, by_handler: true });
                let h = self.handlers.get(i).copied()?;
                let _ = now;
                self.run_handler(h, captures, Some(wait.clone()), wait.next_pc)
            }
            None => {
                self.state = State::Waiting(wait);
                None
            }
        }
    }

    /// Runs handler `h`'s action; afterwards `Resume` goes back to `resume` (a pattern
    /// handler) or on at `next_pc` (a timeout handler).
    pub(super) fn run_handler(
        &mut self,
        h: ActiveHandler,
        captures: Vec<Vec<u8>>,
        resume: Option<Wait>,
        next_pc: usize,
    ) -> Option<Effect> {
        let info = self.program.handlers.get(h.handler as usize).cloned()?;
        let timeout = self.frame().timeout;
        self.frames.push(CallFrame {
            kind: FrameKind::Handler,
            return_pc: next_pc,
            locals_base: h.locals_base,
            stack_height: self.stack.len(),
            handler_depth: self.handlers.len(),
            scope_depth: self.scopes.len(),
            retry_depth: self.retries.len(),
            timeout,
            resume,
        });
        for (var, value) in info.captures.iter().zip(captures) {
            self.store(*var, Value::Str(value));
        }
        self.pc = info.target as usize;
        self.state = State::Running;
        None
    }

    pub(super) fn resume_handler(&mut self, now: Duration) -> Option<Effect> {
        let top = self.frames.last()?;
        if top.kind != FrameKind::Handler {
            return None;
        }
        let frame = self.pop_frame()?;
        match frame.resume {
            Some(mut wait) => {
                // The interrupted wait goes on with its own deadline and the input after the match.
                self.scanner.restart();
                self.scanned = 0;
                wait.line.clear();
                wait.last_input = wait.last_input.max(now.min(wait.last_input));
                self.state = State::Waiting(wait);
            }
            None => self.pc = frame.return_pc,
        }
        None
    }
}
