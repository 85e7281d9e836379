//! The machine's side of the chat(8) front end: the opcodes of `crate::chat` programs and
//! the [`Monitor`] that sees the input their expects consume.

use std::time::Duration;

use super::{Machine, PendingReply, State, Wait, WaitKind, REPORT_TAIL_SILENCE};
use crate::bytecode::Op;
use crate::vm::effect::{Control, Effect};
use crate::vm::monitor::{Monitor, Output};
use crate::vm::value::Value;

impl Machine {
    /// What chat-style output was produced since the last call (SAY, echo, logs, reports).
    /// The driver writes it out after every step.
    pub fn take_output(&mut self) -> Vec<Output> {
        self.monitor.as_mut().map(Monitor::take).unwrap_or_default()
    }

    /// Whether SIGHUP is to be ignored now (chat's `HANGUP OFF`).
    pub fn ignores_hangup(&self) -> bool {
        self.ignore_hangup
    }

    fn monitor(&mut self) -> &mut Monitor {
        self.monitor.get_or_insert_with(Monitor::default)
    }

    fn const_bytes(&self, k: u32) -> Vec<u8> {
        self.program.consts.get(k as usize).map(Value::from).unwrap_or_default().to_bytes()
    }

    /// Runs one of the chat opcodes.
    pub(super) fn chat_op(&mut self, op: Op, pc: usize, now: Duration) -> Option<Effect> {
        match op {
            Op::MaskInput(mask) => self.input_mask = mask,
            Op::Trace { show, log } => self.monitor().trace(show, log),
            Op::Echo(on) => self.monitor().set_echo(on),
            Op::Report(k) => {
                let trigger = self.const_bytes(k);
                self.monitor().add_report(trigger);
            }
            Op::ClearReport(k) => {
                let trigger = self.const_bytes(k);
                self.monitor().clear_report(&trigger);
            }
            Op::Log { message, error } => {
                let line = self.const_bytes(message);
                self.monitor().log_line(&line, error);
            }
            Op::SayRaw => {
                // chat has no secrets, but a hand-made program could say one.
                let bytes = self.pop().shown();
                self.monitor().stderr(bytes);
            }
            Op::IgnoreHangup(on) => self.ignore_hangup = on,
            Op::TryBreak(d) => {
                self.state = State::Pending(PendingReply::IgnoreFailure);
                return Some(Effect::Control(Control::Break(d)));
            }
            Op::Alarm(d) => {
                self.state = State::Pending(PendingReply::IgnoreFailure);
                let deadline = d.map(|d| now.saturating_add(d));
                return Some(Effect::Control(Control::WriteDeadline(deadline)));
            }
            Op::EndReport => {
                self.monitor().end_echo();
                if self.monitor().gathering() {
                    self.start_wait(WaitKind::ReportTail, pc, now, Some(now + REPORT_TAIL_SILENCE), false);
                }
            }
            _ => {}
        }
        None
    }

    /// Hands the bytes an expect consumed (`input[from..to]`) to the monitor; `matched` when
    /// they end with a match.
    pub(super) fn observe(&mut self, from: usize, to: usize, matched: bool) {
        let Some(monitor) = &mut self.monitor else {
            return;
        };
        for &b in self.input.get(from..to).unwrap_or_default() {
            monitor.byte(b);
        }
        if matched {
            monitor.matched();
        }
    }

    /// `EndReport`'s wait: one byte at a time until a control byte or a second of silence.
    pub(super) fn poll_report_tail(&mut self, mut wait: Wait, now: Duration) -> Option<Effect> {
        let mut taken = 0;
        let mut done = false;
        for &b in &self.input {
            taken += 1;
            wait.deadline = Some(now + REPORT_TAIL_SILENCE);
            if self.monitor.as_mut().map_or(true, |m| m.tail_byte(b)) {
                done = true;
                break;
            }
        }
        self.input.drain(..taken);
        self.input_arrived = false;
        if done || wait.deadline.is_some_and(|d| now >= d) {
            if let Some(m) = &mut self.monitor {
                m.end_report();
            }
            self.pc = wait.next_pc;
            return None;
        }
        let until = wait.deadline;
        self.state = State::Waiting(wait);
        Some(Effect::Wait { until })
    }
}
