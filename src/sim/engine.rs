//! The V.250 engine: the state of a simulated modem and what it does on its own. No I/O,
//! no sleeping.
//!
//! [`Engine`] reads command lines byte by byte (echo, `A/`, backspace), carries data in
//! online state (`+++`, carrier loss, the loopback far end), keeps the calls (dial,
//! ring, answer, DTR) and queues what the modem sends. Executing a command line is
//! `execute.rs` (and the profile's, `gsm.rs`); [`super::Modem`] puts them together.
//!
//! Every operation takes `now`, the time since the sim started. Work the modem does on
//! its own (a ring, CONNECT after the ring delay, the `+++` guard time elapsing, a
//! delayed response) is kept as a timer or as queued output with a due time, and is
//! carried out when a later call passes a `now` at or after it ([`Engine::advance`]). So
//! a test or a port on virtual time drives the modem exactly as the real clock would,
//! without waiting.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::modem_profile::{ModemProfile, Profile};
use super::result::{self, ResultCode};
use super::scenario::{CarrierLoss, OnlineData, Scenario};
use super::settings::Settings;

/// The longest command line body accepted; longer lines answer ERROR and run nothing
/// (real modems have such a limit; it also bounds memory).
const MAX_LINE: usize = 255;

/// Time between two RINGs of an incoming call.
const RING_PERIOD: Duration = Duration::from_secs(6);

/// An incoming call that nobody answers stops ringing after this many rings.
const MAX_RINGS: u32 = 10;

/// Upper bound on timers fired in one `advance`, so no scheduling mistake can hang a caller.
const MAX_FIRES_PER_ADVANCE: usize = 100_000;

/// Decides which dialed numbers go to the network (see [`Engine::set_network`]).
type Router = Box<dyn Fn(&str) -> bool + Send>;

/// What the modem asks of the network that carries calls to other simulated modems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRequest {
    /// Place a call to this dial string (modifiers removed).
    Dial(String),
    /// Answer the incoming call.
    Answer,
    /// Send these data bytes to the other modem.
    Data(Vec<u8>),
    /// Hang up (or give up calling).
    Hangup,
}

/// What the network tells the modem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// Another modem calls, from this number.
    Incoming(String),
    /// The called modem answered.
    Answered,
    /// Data from the other modem.
    Data(Vec<u8>),
    /// The called number is busy.
    Busy,
    /// The other side hung up, or the call could not be placed.
    Hangup,
}

/// Command state, online data state, or the SMS text prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reading command lines (also "online command state" while a call is up).
    Command,
    /// Data passes to the far end; only `+++` and DTR get back to command state.
    Online,
    /// After `AT+CMGS=...`: collecting message text until Ctrl-Z or ESC.
    SmsText { to: String, text: Vec<u8> },
}

/// The state of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    /// On hook.
    Idle,
    /// A dial is in progress; a timer or the network decides how it ends.
    Dialing { link: bool },
    /// Answering; CONNECT comes when the handshake timer fires.
    Answering { link: bool },
    /// An incoming call is ringing.
    Ringing { caller: String, voice: bool, link: bool, rings: u32 },
    /// A data call is up.
    Connected { link: bool, sent: u64 },
    /// A voice call is up (or off hook after `ATD...;`): command state, no carrier.
    Voice,
    /// An outgoing voice call not yet answered, in command state: `alerting` once the
    /// far end rings. The profile's timers decide how it ends.
    Outgoing { alerting: bool },
}

/// How a dial ends, decided when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The far end answers: CONNECT and online state.
    Connect,
    /// `ATD...;`: OK and a voice call in command state.
    Voice,
    /// A final result code and back on hook.
    Fail(ResultCode),
}

/// Something the modem will do at a set time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// A dial (or an `ATA` with nobody calling) ends; `gen` is the call it belongs to.
    DialResult { gen: u64, outcome: Outcome },
    /// The guard time after `+++` has passed in silence.
    Escape { gen: u64 },
    /// The next RING of an incoming call.
    Ring { gen: u64 },
    /// The answer handshake is done: CONNECT.
    Answered { gen: u64 },
    /// The carrier has been gone for S10: hang up with NO CARRIER.
    CarrierLost { gen: u64 },
    /// DTR has been off for S25: act on `&D`.
    DtrOff { gen: u64 },
    /// A scenario call arrives.
    IncomingCall(usize),
    /// One of the profile's: the engine hands it back when it is due.
    Profile(ProfileTimer),
}

/// A timer the profile handles (GSM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProfileTimer {
    /// A scenario message arrives.
    IncomingSms(usize),
    /// The network registration status changes; `gen` ties it to a SIM unlock.
    Registration { stat: u8, gen: u64 },
    /// A step of an outgoing or answered voice call; `gen` ties it to the call.
    Voice { gen: u64, step: VoiceStep },
    /// Lines queued to go out after the result code of the command that caused them
    /// (a vendor's call report after `OK`).
    Lines(Vec<String>),
}

/// What happens next to a voice call (the profile's `[voice]` lines say how it is shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VoiceStep {
    /// The far end rings.
    Alerting,
    /// The far end answers.
    Answered,
    /// The far end is busy.
    Busy,
    /// Nobody answers.
    NoAnswer,
    /// The callee declines.
    Rejected,
    /// The far end hangs up an answered call.
    RemoteHangup,
}

#[derive(Debug, Clone)]
struct Timer {
    at: Duration,
    seq: u64,
    kind: TimerKind,
}

/// Where the next command-state character goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// Waiting for `A`.
    Idle,
    /// Got `A`; `T` starts a line, `/` repeats the last one.
    A,
    /// Collecting the body of a command line.
    Body,
}

/// `+++` detection in online state.
#[derive(Debug, Clone, Default)]
struct Escape {
    count: u8,
    last: Duration,
    gen: u64,
}

/// The V.250 engine of a simulated Hayes or GSM modem. See the module documentation for
/// how time works.
pub(crate) struct Engine {
    pub(crate) profile: Profile,
    /// The vendor's ways (identification, finals, call reports), as data.
    pub(crate) vendor: Arc<ModemProfile>,
    /// What `&F` loads: V.250's factory settings with the profile's defaults.
    pub(crate) factory: Settings,
    pub(crate) scenario: Scenario,
    pub(crate) settings: Settings,
    pub(crate) stored: Settings,
    pub(crate) mode: Mode,
    pub(crate) call: Call,
    /// `+CMEE`: how `+CME ERROR` and `+CMS ERROR` are reported (always 0 on Hayes).
    pub(crate) cmee: u8,
    /// `+CLIP`: whether each RING is followed by the caller's number (always off on Hayes).
    pub(crate) clip: bool,
    /// Bumped whenever the call changes, so timers of an older call do nothing.
    pub(crate) call_gen: u64,
    pub(crate) baud: u32,
    pub(crate) dials: u32,
    prefix: Prefix,
    line: Vec<u8>,
    overflow: bool,
    last_line: Vec<u8>,
    timers: Vec<Timer>,
    timer_seq: u64,
    out: VecDeque<(Duration, Vec<u8>)>,
    last_due: Duration,
    clock: Duration,
    dtr: bool,
    rts: bool,
    dtr_gen: u64,
    escape: Escape,
    last_rx: Duration,
    lines_run: u32,
    silent: bool,
    rng: u64,
    breaks: u32,
    network: Option<Router>,
    link_out: Vec<LinkRequest>,
}

impl Engine {
    /// A modem just powered on (DTR on), with `scenario`'s faults. The profile boots next.
    pub(crate) fn new(vendor: Arc<ModemProfile>, scenario: Scenario) -> Engine {
        let mut factory = Settings::factory();
        factory.echo = vendor.echo;
        let mut modem = Engine {
            profile: vendor.base,
            cmee: vendor.cmee,
            clip: false,
            settings: factory.clone(),
            stored: factory.clone(),
            factory,
            vendor,
            mode: Mode::Command,
            call: Call::Idle,
            call_gen: 0,
            baud: 115_200,
            dials: 0,
            prefix: Prefix::Idle,
            line: Vec::new(),
            overflow: false,
            last_line: Vec::new(),
            timers: Vec::new(),
            timer_seq: 0,
            out: VecDeque::new(),
            last_due: Duration::ZERO,
            clock: Duration::ZERO,
            dtr: true,
            rts: true,
            dtr_gen: 0,
            escape: Escape::default(),
            last_rx: Duration::ZERO,
            lines_run: 0,
            silent: false,
            // xorshift must not start at zero.
            rng: scenario.seed.max(1),
            breaks: 0,
            network: None,
            link_out: Vec::new(),
            scenario,
        };
        let boot = modem.scenario.boot_garbage.clone();
        modem.push_out(Duration::ZERO, boot, false);
        // `{cpin}`: what `+CPIN?` would say at power-on.
        let cpin = if modem.scenario.pin.is_some() { "SIM PIN" } else { "READY" };
        for line in modem.vendor.boot.clone() {
            modem.unsolicited(Duration::ZERO, &line.replace("{cpin}", cpin));
        }
        if modem.scenario.stop_answering_after == Some(0) {
            modem.silent = true;
        }
        for i in 0..modem.scenario.incoming_calls.len() {
            let at = modem.scenario.incoming_calls[i].at;
            modem.schedule(at, TimerKind::IncomingCall(i));
        }
        for i in 0..modem.scenario.incoming_sms.len() {
            let at = modem.scenario.incoming_sms[i].at;
            modem.schedule(at, TimerKind::Profile(ProfileTimer::IncomingSms(i)));
        }
        modem
    }

    /// The time the engine has been brought up to.
    pub(crate) fn clock(&self) -> Duration {
        self.clock
    }

    /// Whether the modem has stopped answering for good (`stop-answering`): it then takes
    /// no more input.
    pub(crate) fn silent(&self) -> bool {
        self.silent
    }

    /// Appends to `out` every byte the modem sends by time `now`.
    pub(crate) fn take_output(&mut self, now: Duration, out: &mut Vec<u8>) {
        while let Some((due, _)) = self.out.front() {
            if *due > now {
                break;
            }
            if let Some((_, bytes)) = self.out.pop_front() {
                out.extend_from_slice(&bytes);
            }
        }
    }

    /// When the modem will next do something on its own (output due, guard time elapsing,
    /// ring), if ever.
    pub(crate) fn next_wakeup(&self) -> Option<Duration> {
        let output = self.out.front().map(|(due, _)| *due);
        let timer = self.timers.iter().map(|t| t.at).min();
        match (output, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// DTR from the DTE goes on or off at `now`. Dropping it acts per `&D` once it has
    /// stayed off for S25 hundredths of a second (V.250 §6.2.9).
    pub(crate) fn set_dtr(&mut self, now: Duration, on: bool) {
        if on == self.dtr {
            return;
        }
        self.dtr = on;
        self.dtr_gen += 1;
        if !on {
            let delay = Duration::from_millis(u64::from(self.settings.reg(25)) * 10);
            let gen = self.dtr_gen;
            self.schedule(now.saturating_add(delay), TimerKind::DtrOff { gen });
        }
    }

    /// RTS from the DTE. Flow control is not simulated (the modem never stops sending),
    /// so this is only recorded.
    pub(crate) fn set_rts(&mut self, on: bool) {
        self.rts = on;
    }

    /// A break from the DTE. Like most modems in command state, the sim ignores it (it is
    /// counted, so tests can see it arrived).
    pub(crate) fn send_break(&mut self) {
        self.breaks = self.breaks.saturating_add(1);
    }

    /// DCD as the modem drives it (&C0: always on; &C1: follows carrier).
    pub(crate) fn carrier(&self) -> bool {
        self.settings.dcd_mode == 0 || matches!(self.call, Call::Connected { .. })
    }

    /// The DTE's line speed; also the rate in `CONNECT <rate>` unless the scenario names one.
    pub(crate) fn set_baud(&mut self, baud: u32) {
        self.baud = baud;
    }

    /// How many breaks the DTE has sent.
    pub(crate) fn breaks(&self) -> u32 {
        self.breaks
    }

    /// Whether RTS is on, as last set by the DTE.
    pub(crate) fn rts(&self) -> bool {
        self.rts
    }

    /// Sends calls to other modems through the network: every dialed number for which
    /// `routes` is true becomes a [`LinkRequest::Dial`] instead of the built-in far end.
    pub(crate) fn set_network(&mut self, routes: impl Fn(&str) -> bool + Send + 'static) {
        self.network = Some(Box::new(routes));
    }

    /// Takes what the modem asked of the network since the last call.
    pub(crate) fn take_link_requests(&mut self) -> Vec<LinkRequest> {
        std::mem::take(&mut self.link_out)
    }

    /// The network reports `event` at `now`.
    pub(crate) fn link_event(&mut self, now: Duration, event: LinkEvent) {
        match event {
            LinkEvent::Incoming(caller) => {
                if self.call == Call::Idle && !self.silent {
                    self.start_ringing(now, caller, false, true);
                } else {
                    self.link_out.push(LinkRequest::Hangup);
                }
            }
            LinkEvent::Answered => {
                if self.call == (Call::Dialing { link: true }) {
                    self.connect(now, true);
                }
            }
            LinkEvent::Data(bytes) => {
                if matches!(self.call, Call::Connected { link: true, .. }) && self.mode == Mode::Online {
                    self.push_out(now, bytes, false);
                }
            }
            LinkEvent::Busy => {
                if self.call == (Call::Dialing { link: true }) {
                    let code = if self.settings.x >= 3 { ResultCode::Busy } else { ResultCode::NoCarrier };
                    self.end_call(now, Some(code), false);
                }
            }
            LinkEvent::Hangup => match self.call {
                Call::Dialing { link: true } | Call::Answering { link: true } | Call::Connected { link: true, .. } => {
                    self.end_call(now, Some(ResultCode::NoCarrier), false);
                }
                Call::Ringing { link: true, .. } => self.end_call(now, None, false),
                _ => {}
            },
        }
    }

    /// Whether `number` goes to the network rather than the built-in far end.
    pub(crate) fn routed(&self, number: &str) -> bool {
        self.network.as_ref().is_some_and(|routes| routes(number))
    }

    pub(crate) fn request(&mut self, request: LinkRequest) {
        self.link_out.push(request);
    }

    // ----- time -----

    /// Fires every timer due by `now`, in time order, and returns `now` (never earlier than
    /// a time already seen, so a caller's clock going backwards cannot confuse the modem).
    /// The profile's timers go to `profile`. Every other operation expects `now` to have
    /// been passed here first.
    pub(crate) fn advance(
        &mut self,
        now: Duration,
        mut profile: impl FnMut(&mut Engine, Duration, ProfileTimer),
    ) -> Duration {
        let now = now.max(self.clock);
        for _ in 0..MAX_FIRES_PER_ADVANCE {
            let next = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.at <= now)
                .min_by_key(|(_, t)| (t.at, t.seq))
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            let timer = self.timers.swap_remove(i);
            self.clock = timer.at.max(self.clock);
            match timer.kind {
                TimerKind::Profile(kind) => profile(self, timer.at, kind),
                kind => self.fire(timer.at, kind),
            }
        }
        self.clock = now;
        now
    }

    pub(crate) fn schedule(&mut self, at: Duration, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Timer { at, seq: self.timer_seq, kind });
    }

    fn fire(&mut self, at: Duration, kind: TimerKind) {
        match kind {
            TimerKind::DialResult { gen, outcome } if gen == self.call_gen => match outcome {
                Outcome::Connect => self.connect(at, false),
                Outcome::Voice => {
                    self.new_call(Call::Voice);
                    self.result(at, ResultCode::Ok);
                }
                Outcome::Fail(code) => self.end_call(at, Some(code), false),
            },
            TimerKind::Escape { gen }
                if gen == self.escape.gen && self.escape.count == 3 && self.mode == Mode::Online =>
            {
                self.escape.count = 0;
                self.mode = Mode::Command;
                self.result(at, ResultCode::Ok);
            }
            TimerKind::Ring { gen } if gen == self.call_gen => self.ring(at),
            TimerKind::Answered { gen } if gen == self.call_gen => {
                if let Call::Answering { link } = self.call {
                    if link {
                        self.link_out.push(LinkRequest::Answer);
                    }
                    self.connect(at, link);
                }
            }
            TimerKind::CarrierLost { gen } if gen == self.call_gen => {
                self.end_call(at, Some(ResultCode::NoCarrier), true);
            }
            TimerKind::DtrOff { gen } if gen == self.dtr_gen && !self.dtr => self.dtr_dropped(at),
            TimerKind::IncomingCall(i) => {
                if let Some(call) = self.scenario.incoming_calls.get(i) {
                    let caller = call.from.clone();
                    if self.call == Call::Idle {
                        let voice = self.profile == Profile::Gsm;
                        self.start_ringing(at, caller, voice, false);
                    }
                }
            }
            _ => {}
        }
    }

    // ----- output -----

    /// Queues bytes for the DTE. Responses wait for the scenario latency; echo and online
    /// data do not. Output keeps its order whatever the delays, as a serial line would.
    fn push_out(&mut self, now: Duration, bytes: Vec<u8>, response: bool) {
        if self.silent || bytes.is_empty() {
            return;
        }
        let delay = if response { self.scenario.latency } else { Duration::ZERO };
        let due = now.saturating_add(delay).max(self.last_due);
        self.last_due = due;
        let bytes = self.add_noise(bytes);
        self.out.push_back((due, bytes));
    }

    fn add_noise(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        if self.scenario.noise <= 0.0 {
            return bytes;
        }
        let threshold = (self.scenario.noise * u32::MAX as f64) as u64;
        let mut noisy = Vec::with_capacity(bytes.len() * 2);
        for b in bytes {
            if (self.next_random() & 0xffff_ffff) <= threshold {
                noisy.push((self.next_random() >> 24) as u8);
            }
            noisy.push(b);
        }
        noisy
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: deterministic from the scenario's seed, no dependency needed.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    pub(crate) fn echo(&mut self, now: Duration, bytes: &[u8]) {
        self.push_out(now, bytes.to_vec(), false);
    }

    /// Sends a result code in the current E/Q/V/X settings.
    pub(crate) fn result(&mut self, now: Duration, code: ResultCode) {
        let bytes = code.render(&self.settings, self.cmee, self.vendor.cms_needs_cmee);
        self.push_out(now, bytes, true);
    }

    /// Sends information text.
    pub(crate) fn info<S: AsRef<str>>(&mut self, now: Duration, lines: &[S]) {
        let bytes = result::information(&self.settings, lines);
        self.push_out(now, bytes, true);
    }

    /// Sends an extended result code or unsolicited report (`+CREG: 1`).
    pub(crate) fn unsolicited(&mut self, now: Duration, text: &str) {
        let bytes = result::extended(&self.settings, text);
        self.push_out(now, bytes, true);
    }

    /// Sends bytes exactly as given, after the latency (the SMS `> ` prompt).
    pub(crate) fn raw_response(&mut self, now: Duration, bytes: Vec<u8>) {
        self.push_out(now, bytes, true);
    }

    // ----- input -----

    /// One byte from the DTE in command or online state. Returns the command line to
    /// execute when the byte completed one. Text after a profile's prompt
    /// ([`Mode::SmsText`]) is the profile's to read, not the engine's.
    pub(crate) fn byte(&mut self, now: Duration, b: u8) -> Option<Vec<u8>> {
        match self.mode {
            Mode::Online => self.online_byte(now, b),
            Mode::SmsText { .. } => {}
            Mode::Command => match self.call {
                // Any character aborts a dial or answer in progress (Hayes). The LF of a
                // CR LF line end is spared, because scripts commonly end lines that way.
                Call::Dialing { link } | Call::Answering { link } => {
                    if b != self.settings.reg(4) {
                        if link {
                            self.link_out.push(LinkRequest::Hangup);
                        }
                        self.end_call(now, Some(ResultCode::NoCarrier), false);
                    }
                }
                _ => return self.command_byte(now, b),
            },
        }
        None
    }

    fn command_byte(&mut self, now: Duration, b: u8) -> Option<Vec<u8>> {
        if self.settings.echo {
            self.echo(now, &[b]);
        }
        let (s3, s5) = (self.settings.reg(3), self.settings.reg(5));
        match self.prefix {
            Prefix::Idle => {
                if b.eq_ignore_ascii_case(&b'A') {
                    self.prefix = Prefix::A;
                }
            }
            Prefix::A => match b {
                b'T' | b't' => {
                    self.prefix = Prefix::Body;
                    self.line.clear();
                    self.overflow = false;
                }
                b'/' => {
                    self.prefix = Prefix::Idle;
                    return self.line_to_run(self.last_line.clone());
                }
                b'A' | b'a' => {}
                _ => self.prefix = Prefix::Idle,
            },
            Prefix::Body => {
                if b == s3 {
                    self.prefix = Prefix::Idle;
                    let body = std::mem::take(&mut self.line);
                    if self.overflow {
                        self.lines_run = self.lines_run.saturating_add(1);
                        self.result(now, ResultCode::Error);
                    } else {
                        self.last_line = body.clone();
                        return self.line_to_run(body);
                    }
                } else if b == s5 {
                    self.line.pop();
                } else if b < 0x20 || b == 0x7f {
                    // V.250: other control characters in a command line are ignored.
                } else if self.line.len() >= MAX_LINE {
                    self.overflow = true;
                } else {
                    self.line.push(b);
                }
            }
        }
        None
    }

    /// A complete command line (the body after `AT`): to be executed, unless the scenario
    /// has the modem stop answering now.
    fn line_to_run(&mut self, body: Vec<u8>) -> Option<Vec<u8>> {
        self.lines_run = self.lines_run.saturating_add(1);
        if let Some(n) = self.scenario.stop_answering_after {
            if self.lines_run > n {
                self.silent = true;
                return None;
            }
        }
        Some(body)
    }

    fn online_byte(&mut self, now: Duration, b: u8) {
        self.detect_escape(now, b);
        if let Call::Connected { link, sent } = &mut self.call {
            *sent = sent.saturating_add(1);
            let (link, sent) = (*link, *sent);
            if self.scenario.carrier_loss == Some(CarrierLoss::AfterBytes(sent)) {
                self.schedule_carrier_loss(now);
            }
            if link {
                match self.link_out.last_mut() {
                    Some(LinkRequest::Data(data)) => data.push(b),
                    _ => self.link_out.push(LinkRequest::Data(vec![b])),
                }
            } else if self.scenario.online == OnlineData::Echo {
                self.push_out(now, vec![b], false);
            }
        }
        self.last_rx = now;
    }

    /// `+++` escape: S2 three times, each within the S12 guard time of the one before,
    /// after at least the guard time of silence; OK comes once the guard time passes again
    /// in silence. S12=0 means timing is not a factor; S2 above 127 disables the escape.
    fn detect_escape(&mut self, now: Duration, b: u8) {
        let s2 = self.settings.reg(2);
        let guard = Duration::from_millis(u64::from(self.settings.reg(12)) * 20);
        if s2 > 127 || b != s2 {
            if self.escape.count > 0 {
                self.escape.count = 0;
                self.escape.gen += 1;
            }
            return;
        }
        let quiet_before = now.saturating_sub(self.last_rx);
        let since_last = now.saturating_sub(self.escape.last);
        self.escape.count = match self.escape.count {
            0 if quiet_before >= guard => 1,
            n @ 1..=2 if since_last <= guard => n + 1,
            _ => 0,
        };
        self.escape.last = now;
        self.escape.gen += 1;
        if self.escape.count == 3 {
            let gen = self.escape.gen;
            self.schedule(now.saturating_add(guard), TimerKind::Escape { gen });
        }
    }

    // ----- calls -----

    /// Replaces the call state and forgets every timer of the previous call.
    pub(crate) fn new_call(&mut self, call: Call) {
        self.call_gen += 1;
        self.call = call;
    }

    pub(crate) fn connect(&mut self, now: Duration, link: bool) {
        self.new_call(Call::Connected { link, sent: 0 });
        self.mode = Mode::Online;
        self.last_rx = now;
        self.escape = Escape { gen: self.escape.gen + 1, ..Escape::default() };
        if let Some(CarrierLoss::AfterTime(after)) = self.scenario.carrier_loss {
            let gen = self.call_gen;
            self.schedule(now.saturating_add(after), TimerKind::CarrierLost { gen });
        }
        let rate = self.scenario.connect_rate.unwrap_or(self.baud);
        self.result(now, ResultCode::Connect(Some(rate)));
    }

    /// The carrier is gone; the modem hangs up after S10 tenths of a second.
    fn schedule_carrier_loss(&mut self, now: Duration) {
        let delay = Duration::from_millis(u64::from(self.settings.reg(10)) * 100);
        let gen = self.call_gen;
        self.schedule(now.saturating_add(delay), TimerKind::CarrierLost { gen });
    }

    /// Back on hook in command state, with `code` as the result. `tell_link`: the other
    /// modem must be told (the hang-up started here).
    pub(crate) fn end_call(&mut self, now: Duration, code: Option<ResultCode>, tell_link: bool) {
        let linked = matches!(
            self.call,
            Call::Dialing { link: true }
                | Call::Answering { link: true }
                | Call::Connected { link: true, .. }
                | Call::Ringing { link: true, .. }
        );
        if tell_link && linked {
            self.link_out.push(LinkRequest::Hangup);
        }
        self.new_call(Call::Idle);
        if matches!(self.mode, Mode::Online) {
            self.mode = Mode::Command;
        }
        self.settings.set_reg(1, 0);
        if let Some(code) = code {
            self.result(now, code);
        }
    }

    pub(crate) fn start_ringing(&mut self, now: Duration, caller: String, voice: bool, link: bool) {
        self.new_call(Call::Ringing { caller, voice, link, rings: 0 });
        self.settings.set_reg(1, 0);
        self.ring(now);
    }

    /// One RING (with `+CLIP` when enabled); auto-answer once S1 reaches S0, unless DTR is
    /// off under &D2/&D3 (V.250: auto-answer is disabled while DTR is off).
    fn ring(&mut self, now: Duration) {
        let Call::Ringing { caller, voice, link, rings } = &mut self.call else {
            return;
        };
        *rings += 1;
        let (caller, voice, link, rings) = (caller.clone(), *voice, *link, *rings);
        if rings > MAX_RINGS {
            // The caller gives up.
            self.end_call(now, None, true);
            return;
        }
        let s1 = self.settings.reg(1).saturating_add(1);
        self.settings.set_reg(1, u32::from(s1));
        self.result(now, ResultCode::Ring);
        if self.clip {
            let kind = if caller.starts_with('+') { "145" } else { "129" };
            let line = self.vendor.clip.replace("{number}", &caller).replace("{type}", kind);
            self.unsolicited(now, &line);
        }
        let s0 = self.settings.reg(0);
        let dtr_blocks = !self.dtr && self.settings.dtr_mode >= 2;
        if s0 > 0 && s1 >= s0 && !dtr_blocks {
            self.answer(now, voice, link);
        } else {
            let gen = self.call_gen;
            self.schedule(now.saturating_add(RING_PERIOD), TimerKind::Ring { gen });
        }
    }

    /// Answers the ringing call: a voice call is up at once (OK, GSM), a data call
    /// connects after the handshake (the scenario's ring delay).
    pub(crate) fn answer(&mut self, now: Duration, voice: bool, link: bool) -> bool {
        if voice {
            self.new_call(Call::Voice);
            return true;
        }
        self.new_call(Call::Answering { link });
        let gen = self.call_gen;
        self.schedule(now.saturating_add(self.scenario.ring_delay), TimerKind::Answered { gen });
        false
    }

    fn dtr_dropped(&mut self, now: Duration) {
        match self.settings.dtr_mode {
            1 if self.mode == Mode::Online => {
                self.mode = Mode::Command;
                self.result(now, ResultCode::Ok);
            }
            2 => {
                self.mode = Mode::Command;
                if !matches!(self.call, Call::Idle | Call::Ringing { .. }) {
                    self.end_call(now, Some(ResultCode::NoCarrier), true);
                }
            }
            3 => self.reset(now),
            _ => {}
        }
    }

    /// `Z` and `&D3`: hang up and load the stored profile.
    pub(crate) fn reset(&mut self, now: Duration) {
        if self.call != Call::Idle {
            self.end_call(now, None, true);
        }
        self.mode = Mode::Command;
        self.settings = self.stored.clone();
        self.prefix = Prefix::Idle;
        self.line.clear();
    }
}
