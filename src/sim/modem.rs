//! The simulated modem: the V.250 [`Engine`] with its profile. No I/O, no sleeping.
//!
//! Bytes and time go in, bytes come out. Every entry point takes `now`, the time since
//! the sim started, and first brings the modem up to it (timers fire, delayed output falls
//! due), so a test or a port on virtual time drives the modem exactly as the real clock
//! would, without waiting. A command line the engine has read is executed here: the GSM
//! profile takes `D` and the extended commands, the engine the rest.

use std::sync::Arc;
use std::time::Duration;

use super::command_line::{Command, CommandLine};
use super::engine::{Call, Engine, LinkEvent, LinkRequest, Mode};
use super::execute::Flow;
use super::gsm::Gsm;
use super::modem_profile::Profile;
use super::modem_profile::{canonical, name_of, ModemProfile};
use super::result::ResultCode;
use super::scenario::Scenario;

/// A simulated Hayes or GSM modem, with a vendor's ways from its [`ModemProfile`].
pub struct Modem {
    engine: Engine,
    /// The GSM profile's state. A Hayes modem has one too, which only ever receives the
    /// scenario's `incoming-sms` messages (and announces them, as it always has).
    gsm: Gsm,
}

impl std::fmt::Debug for Modem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Modem")
            .field("profile", &self.engine.vendor.name)
            .field("mode", &self.engine.mode)
            .field("call", &self.engine.call)
            .field("clock", &self.engine.clock())
            .finish_non_exhaustive()
    }
}

impl Modem {
    /// A modem just powered on (DTR on), with `scenario`'s faults: the built-in `hayes` or
    /// `gsm` profile.
    pub fn new(profile: Profile, scenario: Scenario) -> Modem {
        Modem::with_profile(ModemProfile::of_base(profile), scenario)
    }

    /// A modem just powered on that behaves as `profile` says. The profile is never changed,
    /// so many modems may share one (`Arc<ModemProfile>`, [`ModemProfile::bundled_shared`]).
    pub fn with_profile(profile: impl Into<Arc<ModemProfile>>, scenario: Scenario) -> Modem {
        let profile = profile.into();
        let gsm = Gsm::new(&scenario);
        let base = profile.base;
        let mut modem = Modem { engine: Engine::new(profile, scenario), gsm };
        if base == Profile::Gsm {
            modem.gsm.boot(&mut modem.engine);
        }
        modem
    }

    /// The profile this modem runs.
    pub fn profile(&self) -> &ModemProfile {
        &self.engine.vendor
    }

    /// Bytes from the DTE (the script) arrive at time `now` (time since the sim started).
    pub fn receive(&mut self, now: Duration, bytes: &[u8]) {
        let now = self.advance(now);
        for &b in bytes {
            if self.engine.silent() {
                return;
            }
            if let Mode::SmsText { .. } = self.engine.mode {
                self.gsm.text_byte(&mut self.engine, now, b);
            } else if let Some(line) = self.engine.byte(now, b) {
                self.execute_line(now, &line);
            }
        }
    }

    /// Append to `out` every byte the modem sends by time `now`.
    pub fn poll_output(&mut self, now: Duration, out: &mut Vec<u8>) {
        let now = self.advance(now);
        self.engine.take_output(now, out);
    }

    /// When the modem will next do something on its own (output due, guard time elapsing,
    /// ring), if ever.
    pub fn next_wakeup(&self) -> Option<Duration> {
        self.engine.next_wakeup()
    }

    /// DTR from the DTE goes on or off at `now`. Dropping it acts per `&D` once it has
    /// stayed off for S25 hundredths of a second (V.250 §6.2.9).
    pub fn set_dtr(&mut self, now: Duration, on: bool) {
        let now = self.advance(now);
        self.engine.set_dtr(now, on);
    }

    /// RTS from the DTE. Flow control is not simulated (the modem never stops sending),
    /// so this is only recorded.
    pub fn set_rts(&mut self, now: Duration, on: bool) {
        self.advance(now);
        self.engine.set_rts(on);
    }

    /// A break from the DTE. Like most modems in command state, the sim ignores it (it is
    /// counted, so tests can see it arrived).
    pub fn send_break(&mut self, now: Duration, _duration: Duration) {
        self.advance(now);
        self.engine.send_break();
    }

    /// DCD as the modem drives it (&C0: always on; &C1: follows carrier).
    pub fn carrier(&self) -> bool {
        self.engine.carrier()
    }

    /// The DTE's line speed; also the rate in `CONNECT <rate>` unless the scenario names one.
    pub fn set_baud(&mut self, baud: u32) {
        self.engine.set_baud(baud);
    }

    /// How many breaks the DTE has sent.
    pub fn breaks(&self) -> u32 {
        self.engine.breaks()
    }

    /// Whether RTS is on, as last set by the DTE.
    pub fn rts(&self) -> bool {
        self.engine.rts()
    }

    /// Messages sent with `AT+CMGS` so far: (destination, text).
    pub fn sent_messages(&self) -> &[(String, String)] {
        &self.gsm.sent
    }

    /// Sends calls to other modems through the network: every dialed number for which
    /// `routes` is true becomes a [`LinkRequest::Dial`] instead of the built-in far end.
    pub fn set_network(&mut self, routes: impl Fn(&str) -> bool + Send + 'static) {
        self.engine.set_network(routes);
    }

    /// Takes what the modem asked of the network since the last call.
    pub fn take_link_requests(&mut self) -> Vec<LinkRequest> {
        self.engine.take_link_requests()
    }

    /// The network reports `event` at `now`.
    pub fn link_event(&mut self, now: Duration, event: LinkEvent) {
        let now = self.advance(now);
        self.engine.link_event(now, event);
    }

    /// Brings the modem up to `now`: the profile's timers go to the profile.
    fn advance(&mut self, now: Duration) -> Duration {
        let gsm = &mut self.gsm;
        self.engine.advance(now, |engine, at, timer| gsm.fire(engine, at, timer))
    }

    /// Runs the commands of one line in order; the first failure stops the line and only
    /// one final result code is sent (V.250 §5.6). The profile has its say first: a locked
    /// SIM's refusals, canned replies, responses without a final result code, its own
    /// final for unknown commands.
    fn execute_line(&mut self, now: Duration, body: &[u8]) {
        let mut line = CommandLine::new(body);
        let mut final_ok = true;
        loop {
            let command = match line.next_command() {
                None => {
                    if final_ok {
                        self.engine.result(now, ResultCode::Ok);
                    }
                    return;
                }
                Some(Err(())) => return self.engine.result(now, ResultCode::Error),
                Some(Ok(command)) => command,
            };
            let key = canonical(&command);
            let vendor = &self.engine.vendor;
            if let Some(locked) = &vendor.locked {
                if self.gsm.sim_locked() && !locked.allow.contains(&name_of(&command)) {
                    if let Some(code) = locked.error.clone() {
                        self.engine.result(now, code);
                    }
                    return;
                }
            }
            if let Some(reply) = key.as_deref().and_then(|k| vendor.reply(k)) {
                let reply = reply.clone();
                self.engine.info_lines(now, &reply.lines);
                match reply.final_code {
                    Some(ResultCode::Ok) => continue,
                    Some(code) => return self.engine.result(now, code),
                    None => return,
                }
            }
            if key.as_deref().is_some_and(|k| vendor.lacks_final(k)) {
                final_ok = false;
            }
            let flow = self.execute(now, command);
            match flow {
                Flow::Next => {}
                Flow::Done(ResultCode::Unsupported) => {
                    if let Some(code) = self.engine.vendor.unknown.clone() {
                        self.engine.result(now, code);
                    }
                    return;
                }
                Flow::Done(code) => return self.engine.result(now, code),
                Flow::Pending => return,
            }
        }
    }

    /// One command, by the GSM engine (`D`, extended commands) or the V.250 one. Ending or
    /// answering a voice call is told to the voice side, which reports it as the profile
    /// says.
    fn execute(&mut self, now: Duration, command: Command) -> Flow {
        let gsm = self.engine.profile == Profile::Gsm;
        let ends_call = matches!(command, Command::Basic(b'H', _))
            || matches!(&command, Command::Extended { name, .. } if name == "+CHUP");
        let in_call = matches!(self.engine.call, Call::Voice | Call::Outgoing { .. });
        let ringing = match &self.engine.call {
            Call::Ringing { caller, voice: true, .. } => Some(caller.clone()),
            _ => None,
        };
        let flow = match (gsm, command) {
            (true, Command::Dial { number, voice }) => self.gsm.dial(&mut self.engine, now, &number, voice),
            (true, Command::Extended { name, op }) => self.gsm.command(&mut self.engine, now, &name, op),
            (_, command) => self.engine.execute(now, command),
        };
        if ends_call && in_call && self.engine.call == Call::Idle {
            self.gsm.voice.hung_up(&mut self.engine, now);
        }
        if let Some(caller) = ringing {
            if self.engine.call == Call::Voice {
                self.gsm.voice.incoming_answered(caller, now);
            }
        }
        flow
    }
}
