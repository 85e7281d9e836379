//! Executing V.250 commands: basic commands, `&` commands, S-registers, `D` on a telephone
//! line and the `+G` identification. A profile may take `D` and extended commands over
//! (the GSM profile does, `gsm.rs`); [`Flow`] is what every command tells the line.

use std::time::Duration;

use super::command_line::{Command, DialString, ExtendedOp};
use super::engine::{Call, Engine, LinkRequest, Mode, Outcome, TimerKind};
use super::modem_profile::Profile;
use super::result::ResultCode;
use super::settings::Settings;

/// What the rest of a command line does after one command.
pub(crate) enum Flow {
    /// Go on with the next command; OK at the end of the line.
    Next,
    /// Stop here with this result code (ERROR, or the final code of an action command).
    Done(ResultCode),
    /// Stop here; the result comes later (dial, answer, SMS prompt).
    Pending,
}

impl Engine {
    /// Executes one command as a V.250 modem on a telephone line does.
    pub(crate) fn execute(&mut self, now: Duration, command: Command) -> Flow {
        match command {
            Command::Basic(letter, arg) => self.basic(now, letter, arg),
            Command::Ampersand(letter, arg) => self.ampersand(now, letter, arg),
            Command::SetRegister(n, value) => {
                if self.settings.set_reg(n, value) {
                    Flow::Next
                } else {
                    Flow::Done(ResultCode::Error)
                }
            }
            Command::QueryRegister(n) => {
                if !Settings::has_register(n) {
                    return Flow::Done(ResultCode::Error);
                }
                let value = self.settings.reg(n as usize);
                self.info(now, &[format!("{value:03}")]);
                Flow::Next
            }
            Command::Dial { number, voice } => self.dial_hayes(now, &number, voice),
            Command::Extended { name, op } => self.identification(now, &name, &op),
        }
    }

    /// `+GMI`, `+GMM`, `+GMR`, `+GSN` (V.250 §6.1) and their 27.007 twins, from the modem
    /// profile; any other extended command is unknown here.
    pub(crate) fn identification(&mut self, now: Duration, name: &str, op: &ExtendedOp) -> Flow {
        let lines = match name {
            "+GMI" | "+CGMI" => self.vendor.manufacturer.clone(),
            "+GMM" | "+CGMM" => self.vendor.model.clone(),
            "+GMR" | "+CGMR" => self.vendor.revision.clone(),
            "+GSN" | "+CGSN" => self.vendor.serial.clone(),
            _ => return Flow::Done(ResultCode::Unsupported),
        };
        match op {
            ExtendedOp::Execute => self.info_lines(now, &lines),
            ExtendedOp::Test => {}
            _ => return Flow::Done(ResultCode::Error),
        }
        Flow::Next
    }

    /// Information text, or nothing at all for no lines (a response that is only OK).
    pub(crate) fn info_lines(&mut self, now: Duration, lines: &[String]) {
        if !lines.is_empty() {
            self.info(now, lines);
        }
    }

    fn basic(&mut self, now: Duration, letter: u8, arg: Option<u32>) -> Flow {
        let n = arg.unwrap_or(0);
        let set = |max: u32| if n <= max { Some(n as u8) } else { None };
        let ok = |applied: bool| {
            if applied {
                Flow::Next
            } else {
                Flow::Done(ResultCode::Error)
            }
        };
        match letter {
            b'A' => self.answer_command(now),
            b'E' => ok(set(1).map(|v| self.settings.echo = v == 1).is_some()),
            b'Q' => ok(set(1).map(|v| self.settings.quiet = v == 1).is_some()),
            b'V' => ok(set(1).map(|v| self.settings.verbose = v == 1).is_some()),
            b'X' => ok(set(4).map(|v| self.settings.x = v).is_some()),
            b'L' => ok(set(3).map(|v| self.settings.speaker_volume = v).is_some()),
            b'M' => ok(set(3).map(|v| self.settings.speaker_mode = v).is_some()),
            // Tone/pulse default and B (CCITT/Bell) change nothing a DTE can observe.
            b'T' | b'P' if arg.is_none() => Flow::Next,
            b'B' => ok(n <= 1),
            b'H' => {
                if n != 0 {
                    return Flow::Done(ResultCode::Error);
                }
                self.hang_up(now);
                Flow::Next
            }
            b'O' => {
                if n > 1 {
                    return Flow::Done(ResultCode::Error);
                }
                if matches!(self.call, Call::Connected { .. }) {
                    self.mode = Mode::Online;
                    let rate = self.scenario.connect_rate.unwrap_or(self.baud);
                    Flow::Done(ResultCode::Connect(Some(rate)))
                } else {
                    Flow::Done(ResultCode::NoCarrier)
                }
            }
            b'Z' => {
                if n > 1 {
                    return Flow::Done(ResultCode::Error);
                }
                self.reset(now);
                // Commands after Z on the same line are not run (V.250 §6.1.1).
                Flow::Done(ResultCode::Ok)
            }
            b'I' => match self.identify(n) {
                Some(lines) => {
                    self.info_lines(now, &lines);
                    Flow::Next
                }
                None => Flow::Done(ResultCode::Error),
            },
            _ => Flow::Done(ResultCode::Unsupported),
        }
    }

    /// The lines of `ATIn`: the profile's, or with none listed, manufacturer, model and
    /// revision for `I0` (the form many modules use) and ERROR for the rest.
    fn identify(&self, n: u32) -> Option<Vec<String>> {
        let vendor = &self.vendor;
        if vendor.ati.is_empty() {
            return (n == 0).then(|| {
                let mut lines = vendor.manufacturer.clone();
                lines.extend(vendor.model.iter().cloned());
                lines.extend(vendor.revision.iter().cloned());
                lines
            });
        }
        vendor.ati.get(&n).cloned()
    }

    fn ampersand(&mut self, now: Duration, letter: u8, arg: Option<u32>) -> Flow {
        let n = arg.unwrap_or(0);
        let fits = |max: u32| n <= max;
        match letter {
            b'C' if fits(1) => self.settings.dcd_mode = n as u8,
            b'D' if fits(3) => self.settings.dtr_mode = n as u8,
            b'K' if fits(6) => self.settings.flow = n as u8,
            b'S' if fits(1) => self.settings.dsr_mode = n as u8,
            b'F' if n == 0 => self.settings = self.factory.clone(),
            b'W' if n == 0 => self.stored = self.settings.clone(),
            b'Y' if n == 0 => {}
            b'V' if n == 0 => {
                let mut lines = vec!["ACTIVE PROFILE:".to_string()];
                lines.extend(self.settings.describe());
                lines.push(String::new());
                lines.push("STORED PROFILE 0:".to_string());
                lines.extend(self.stored.describe());
                self.info(now, &lines);
            }
            _ => return Flow::Done(ResultCode::Error),
        }
        Flow::Next
    }

    /// `H`: on hook. The other modem of a network call sees NO CARRIER.
    pub(crate) fn hang_up(&mut self, now: Duration) {
        if self.call != Call::Idle {
            self.end_call(now, None, true);
        }
        self.mode = Mode::Command;
    }

    /// `A`: answer a ringing call; with nobody calling, go off hook and wait S7 seconds for
    /// a carrier that never comes (NO CARRIER), as a Hayes modem does.
    fn answer_command(&mut self, now: Duration) -> Flow {
        match self.call.clone() {
            Call::Ringing { voice, link, .. } => {
                if self.answer(now, voice, link) {
                    Flow::Next
                } else {
                    Flow::Pending
                }
            }
            Call::Idle if self.profile == Profile::Gsm => Flow::Done(ResultCode::NoCarrier),
            Call::Idle => {
                self.new_call(Call::Answering { link: false });
                self.no_carrier_after_s7(now)
            }
            _ => Flow::Done(ResultCode::Error),
        }
    }

    /// The call just placed ends with NO CARRIER after S7 unless something answers it first
    /// (a later event of the same call replaces this result).
    fn no_carrier_after_s7(&mut self, now: Duration) -> Flow {
        let gen = self.call_gen;
        let outcome = Outcome::Fail(ResultCode::NoCarrier);
        self.schedule(now.saturating_add(self.s7()), TimerKind::DialResult { gen, outcome });
        Flow::Pending
    }

    pub(crate) fn s7(&self) -> Duration {
        Duration::from_secs(u64::from(self.settings.reg(7)))
    }

    /// Places a call through the network (another sim, a TCP service, a packet-data
    /// endpoint): the network answers it, or NO CARRIER after S7.
    pub(crate) fn dial_link(&mut self, now: Duration, number: String) -> Flow {
        self.new_call(Call::Dialing { link: true });
        self.request(LinkRequest::Dial(number));
        self.no_carrier_after_s7(now)
    }

    /// `D` on the Hayes profile. The outcome is decided now from the scenario and the X
    /// setting (V.250 §6.2.18: X2/X4 detect dial tone, X3/X4 detect busy; without
    /// detection the call just never connects and ends with NO CARRIER after S7).
    fn dial_hayes(&mut self, now: Duration, dial: &str, voice: bool) -> Flow {
        if self.call != Call::Idle {
            return Flow::Done(ResultCode::Error);
        }
        let parsed = DialString::parse(dial, self.settings.reg(8));
        if !voice && self.routed(&parsed.number) {
            return self.dial_link(now, parsed.number);
        }
        self.dials = self.dials.saturating_add(1);
        let k = self.dials;
        let x = self.settings.x;
        let s7 = self.s7();
        let dialed = now.saturating_add(parsed.duration);
        let (at, outcome) = if k <= self.scenario.no_dialtone {
            if x == 2 || x == 4 {
                let s6 = Duration::from_secs(u64::from(self.settings.reg(6)));
                (now.saturating_add(s6), Outcome::Fail(ResultCode::NoDialtone))
            } else {
                (now.saturating_add(s7), Outcome::Fail(ResultCode::NoCarrier))
            }
        } else if k <= self.scenario.no_dialtone.saturating_add(self.scenario.busy) {
            if x >= 3 {
                (dialed.saturating_add(self.scenario.ring_delay), Outcome::Fail(ResultCode::Busy))
            } else {
                (now.saturating_add(s7), Outcome::Fail(ResultCode::NoCarrier))
            }
        } else if k
            <= self.scenario.no_dialtone.saturating_add(self.scenario.busy).saturating_add(self.scenario.no_answer)
        {
            let code = if x == 4 { ResultCode::NoAnswer } else { ResultCode::NoCarrier };
            (now.saturating_add(s7), Outcome::Fail(code))
        } else if voice {
            (dialed, Outcome::Voice)
        } else if parsed.number.is_empty() {
            // `ATD` alone: off hook in originate mode, no one there.
            (now.saturating_add(s7), Outcome::Fail(ResultCode::NoCarrier))
        } else {
            let connect = dialed.saturating_add(self.scenario.ring_delay);
            if connect > now.saturating_add(s7) {
                (now.saturating_add(s7), Outcome::Fail(ResultCode::NoCarrier))
            } else {
                (connect, Outcome::Connect)
            }
        };
        self.new_call(Call::Dialing { link: false });
        let gen = self.call_gen;
        self.schedule(at, TimerKind::DialResult { gen, outcome });
        Flow::Pending
    }
}
