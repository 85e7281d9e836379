//! Voice calls on the GSM engine, reported the way the modem profile says.
//!
//! 27.007 leaves it to the vendor how `ATD<n>;` reports the call: some modules answer OK
//! at once and say nothing more (the DTE polls `+CLCC`), some send their own progress
//! reports (`^ORIG`, `^CONF`, `^CONN`, `^CEND`), some hold back the final result code until
//! the far end answers, some never send one and report `CONNECT`. The timeline is the
//! same for all (dialing, the far end ringing halfway through the scenario's ring delay,
//! then answered, busy, declined or not answered); the profile's `[voice]` lines are what
//! the DTE sees of it.

use std::time::Duration;

use super::command_line::DialString;
use super::engine::{Call, Engine, ProfileTimer, TimerKind, VoiceStep};
use super::execute::Flow;
use super::modem_profile::{parse_final, Answer, DialOk};
use super::result::ResultCode;
use super::scenario::CarrierLoss;

/// The voice call the modem has, if any: who, which way, since when.
#[derive(Debug, Clone)]
struct VoiceCall {
    number: String,
    outgoing: bool,
    answered_at: Option<Duration>,
}

/// The voice side of the GSM engine.
#[derive(Debug, Clone, Default)]
pub(crate) struct VoiceCalls {
    call: Option<VoiceCall>,
}

impl VoiceCalls {
    /// `ATD<n>;` with the SIM ready and the network there. `fault` is how the scenario
    /// has this call end instead of being answered.
    pub(crate) fn dial(
        &mut self,
        engine: &mut Engine,
        now: Duration,
        dial: &DialString,
        fault: Option<VoiceStep>,
    ) -> Flow {
        let voice = engine.vendor.voice.clone();
        engine.new_call(Call::Outgoing { alerting: false });
        let gen = engine.call_gen;
        self.call = Some(VoiceCall { number: dial.number.clone(), outgoing: true, answered_at: None });
        let dialing = self.expand(&voice.dialing, now);
        if !dialing.is_empty() {
            // Due now, so it goes out after the OK this line may still send.
            engine.schedule(now, TimerKind::Profile(ProfileTimer::Lines(dialing)));
        }
        let dialed = now.saturating_add(dial.duration);
        let ring = engine.scenario.ring_delay;
        let answers_at_once = fault.is_none() && voice.answer == Answer::AtOnce;
        if answers_at_once {
            self.answered(engine, now);
            return match voice.ok {
                // The line's own OK is the answer.
                DialOk::AtDial | DialOk::OnAnswer => Flow::Next,
                DialOk::Never => Flow::Pending,
            };
        }
        if fault != Some(VoiceStep::Busy) {
            engine.schedule(dialed.saturating_add(ring / 2), voice_timer(gen, VoiceStep::Alerting));
        }
        let (at, step) = match fault {
            None => (dialed.saturating_add(ring), VoiceStep::Answered),
            Some(VoiceStep::NoAnswer) => (now.saturating_add(engine.s7()), VoiceStep::NoAnswer),
            Some(step) => (dialed.saturating_add(ring), step),
        };
        engine.schedule(at, voice_timer(gen, step));
        match voice.ok {
            DialOk::AtDial => Flow::Next,
            DialOk::OnAnswer | DialOk::Never => Flow::Pending,
        }
    }

    /// A step of the call is due (ignored if the call it belongs to has ended).
    pub(crate) fn fire(&mut self, engine: &mut Engine, at: Duration, gen: u64, step: VoiceStep) {
        if gen != engine.call_gen {
            return;
        }
        let voice = engine.vendor.voice.clone();
        match step {
            VoiceStep::Alerting => {
                if let Call::Outgoing { alerting } = &mut engine.call {
                    *alerting = true;
                    self.send(engine, at, &voice.alerting);
                }
            }
            VoiceStep::Answered => {
                if voice.ok == DialOk::OnAnswer {
                    engine.result(at, ResultCode::Ok);
                }
                self.answered(engine, at);
            }
            VoiceStep::Busy | VoiceStep::NoAnswer | VoiceStep::Rejected => {
                let lines = match step {
                    VoiceStep::Busy => &voice.busy,
                    VoiceStep::NoAnswer => &voice.no_answer,
                    _ => &voice.rejected,
                };
                engine.end_call(at, None, false);
                self.send(engine, at, lines);
                self.call = None;
            }
            VoiceStep::RemoteHangup => {
                if engine.call == Call::Voice {
                    engine.end_call(at, None, false);
                    self.send(engine, at, &voice.remote_hangup);
                    self.call = None;
                }
            }
        }
    }

    /// The far end answered (or the DTE answered an incoming call with `A`).
    fn answered(&mut self, engine: &mut Engine, at: Duration) {
        engine.new_call(Call::Voice);
        if let Some(call) = &mut self.call {
            call.answered_at = Some(at);
        }
        let lines = engine.vendor.voice.answered.clone();
        let expanded = self.expand(&lines, at);
        if !expanded.is_empty() {
            // After the OK the answering line may send.
            engine.schedule(at, TimerKind::Profile(ProfileTimer::Lines(expanded)));
        }
        // A scenario's `carrier-lost after` is the far end hanging up, for a voice call.
        if let Some(CarrierLoss::AfterTime(after)) = engine.scenario.carrier_loss {
            let gen = engine.call_gen;
            engine.schedule(at.saturating_add(after), voice_timer(gen, VoiceStep::RemoteHangup));
        }
    }

    /// The DTE answered a ringing voice call from `caller`.
    pub(crate) fn incoming_answered(&mut self, caller: String, at: Duration) {
        self.call = Some(VoiceCall { number: caller, outgoing: false, answered_at: Some(at) });
    }

    /// `H` or `+CHUP` ended the call: the profile's report, before the command's OK (as
    /// a SIM7600's `VOICE CALL: END` comes).
    pub(crate) fn hung_up(&mut self, engine: &mut Engine, now: Duration) {
        let lines = engine.vendor.voice.local_hangup.clone();
        self.send(engine, now, &lines);
        self.call = None;
    }

    /// `+CLCC` (27.007 §7.18): the current call, if any.
    pub(crate) fn clcc(&self, engine: &Engine) -> Vec<String> {
        let line = |dir: u8, stat: u8, number: &str| {
            let kind = if number.starts_with('+') { 145 } else { 129 };
            format!("+CLCC: 1,{dir},{stat},0,0,\"{number}\",{kind}")
        };
        let known = self.call.as_ref();
        let number = known.map(|c| c.number.as_str()).unwrap_or("");
        match &engine.call {
            Call::Outgoing { alerting } => vec![line(0, if *alerting { 3 } else { 2 }, number)],
            Call::Voice => {
                let dir = u8::from(!known.is_some_and(|c| c.outgoing));
                vec![line(dir, 0, number)]
            }
            Call::Ringing { caller, voice: true, .. } => vec![line(1, 4, caller)],
            _ => Vec::new(),
        }
    }

    /// The lines with `{id}`, `{duration}` and `{number}` filled in.
    fn expand(&self, lines: &[String], at: Duration) -> Vec<String> {
        let (number, since) = match &self.call {
            Some(c) => (c.number.as_str(), c.answered_at),
            None => ("", None),
        };
        let duration = since.map_or(0, |s| at.saturating_sub(s).as_secs());
        lines
            .iter()
            .map(|l| {
                l.replace("{id}", "1")
                    .replace("{duration06}", &format!("{duration:06}"))
                    .replace("{duration}", &duration.to_string())
                    .replace("{number}", number)
            })
            .collect()
    }

    fn send(&self, engine: &mut Engine, at: Duration, lines: &[String]) {
        let expanded = self.expand(lines, at);
        send_lines(engine, at, &expanded);
    }
}

/// Sends a profile's lines: a V.250 result code by its name as a result code (numeric
/// under V0), anything else as an unsolicited report.
pub(crate) fn send_lines(engine: &mut Engine, at: Duration, lines: &[String]) {
    for line in lines {
        match parse_final(line) {
            Some(ResultCode::Vendor(text)) => engine.unsolicited(at, &text),
            Some(code) => engine.result(at, code),
            None => {}
        }
    }
}

fn voice_timer(gen: u64, step: VoiceStep) -> TimerKind {
    TimerKind::Profile(ProfileTimer::Voice { gen, step })
}
