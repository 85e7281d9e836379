//! The GSM profile: a 3GPP TS 27.007 / 27.005 subset on top of the V.250 engine.
//!
//! [`Gsm`] holds what a GSM module has beyond a V.250 modem (the SIM, registration, the
//! message store) and acts on the [`Engine`] it is given: the modem hands it `D`, the
//! extended commands, the text after the SMS prompt and the timers it set.

use std::collections::BTreeMap;
use std::time::Duration;

use super::command_line::{Arg, DialString, ExtendedOp};
use super::engine::{Call, Engine, Mode, Outcome, ProfileTimer, TimerKind, VoiceStep};
use super::execute::Flow;
use super::result::ResultCode;
use super::scenario::Scenario;
use super::voice::{self, VoiceCalls};

/// How many messages the SIM store holds (`+CPMS` reports it).
const STORE_SIZE: u32 = 30;

/// The longest message text kept; more is dropped, so a DTE that never sends Ctrl-Z
/// cannot grow memory without bound.
const MAX_SMS_TEXT: usize = 1024;

/// The PUK that unblocks a SIM after three wrong PINs.
pub const PUK: &str = "12345678";

/// A timer generation that matches every SIM unlock (scenario registration changes).
const ANY_GEN: u64 = u64::MAX;

/// The SIM's lock state.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sim {
    Ready,
    Pin { pin: String, attempts: u8 },
    Puk,
}

/// One message in the store.
#[derive(Debug, Clone)]
struct Stored {
    read: bool,
    from: String,
    text: String,
    at: Duration,
}

/// The GSM profile's state. `+CMEE` and `+CLIP` are the engine's (it renders result codes
/// and rings).
#[derive(Debug, Clone)]
pub(crate) struct Gsm {
    sim: Sim,
    reg_stat: u8,
    /// Bumped on each SIM unlock, so only the latest unlock's registration timer counts.
    unlock_gen: u64,
    /// Messages sent with `AT+CMGS`: (destination, text).
    pub sent: Vec<(String, String)>,
    cmgf: u8,
    creg: [u8; 3],
    cnmi_mt: u8,
    cscs: String,
    contexts: BTreeMap<u32, (String, String)>,
    store: BTreeMap<u32, Stored>,
    next_mr: u8,
    cfun: u8,
    /// Voice calls, reported as the modem profile says.
    pub voice: VoiceCalls,
}

impl Gsm {
    pub fn new(scenario: &Scenario) -> Gsm {
        let mut store = BTreeMap::new();
        for (i, sms) in scenario.stored_sms.iter().take(STORE_SIZE as usize).enumerate() {
            let stored = Stored { read: false, from: sms.from.clone(), text: sms.text.clone(), at: sms.at };
            store.insert(i as u32 + 1, stored);
        }
        Gsm {
            sim: match &scenario.pin {
                Some(pin) => Sim::Pin { pin: pin.clone(), attempts: 3 },
                None => Sim::Ready,
            },
            reg_stat: 0,
            unlock_gen: 0,
            sent: Vec::new(),
            cmgf: 0,
            creg: [0; 3],
            cnmi_mt: 1,
            cscs: "GSM".to_string(),
            contexts: BTreeMap::new(),
            store,
            next_mr: 0,
            cfun: 1,
            voice: VoiceCalls::default(),
        }
    }

    fn registered(&self) -> bool {
        matches!(self.reg_stat, 1 | 5) && self.cfun == 1
    }
}

/// Which registration report a `+C?REG` command is about.
fn creg_index(name: &str) -> usize {
    match name {
        "+CREG" => 0,
        "+CGREG" => 1,
        _ => 2,
    }
}

/// `"24/01/01,12:00:07+00"`: the sim's epoch is 2024-01-01 12:00:00 UTC.
fn timestamp(at: Duration) -> String {
    let secs = at.as_secs().saturating_add(12 * 3600);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    format!("\"24/01/{:02},{:02}:{:02}:{:02}+00\"", (days % 28) + 1, rest / 3600, rest / 60 % 60, rest % 60)
}

impl Gsm {
    /// Power-on: a SIM without PIN registers after the scenario's delay.
    pub(crate) fn boot(&mut self, engine: &mut Engine) {
        if self.sim == Sim::Ready {
            self.start_registration(engine, Duration::ZERO);
        }
        for i in 0..engine.scenario.registration_changes.len() {
            let (at, stat) = engine.scenario.registration_changes[i];
            engine.schedule(at, TimerKind::Profile(ProfileTimer::Registration { stat, gen: ANY_GEN }));
        }
    }

    /// A timer the profile set is due.
    pub(crate) fn fire(&mut self, engine: &mut Engine, at: Duration, timer: ProfileTimer) {
        match timer {
            ProfileTimer::IncomingSms(i) => self.sms_arrives(engine, at, i),
            ProfileTimer::Registration { stat, gen } if gen == ANY_GEN || gen == self.unlock_gen => {
                self.set_registration(engine, at, stat);
            }
            ProfileTimer::Registration { .. } => {}
            ProfileTimer::Voice { gen, step } => self.voice.fire(engine, at, gen, step),
            ProfileTimer::Lines(lines) => voice::send_lines(engine, at, &lines),
        }
    }

    fn start_registration(&mut self, engine: &mut Engine, now: Duration) {
        self.unlock_gen += 1;
        if engine.scenario.register_after.is_zero() {
            self.reg_stat = 1;
        } else {
            self.set_registration(engine, now, 2);
            let gen = self.unlock_gen;
            let at = now.saturating_add(engine.scenario.register_after);
            engine.schedule(at, TimerKind::Profile(ProfileTimer::Registration { stat: 1, gen }));
        }
    }

    /// The network registration status changes: `+CREG`/`+CGREG`/`+CEREG` reports go out
    /// to the DTE where enabled.
    fn set_registration(&mut self, engine: &mut Engine, now: Duration, stat: u8) {
        if self.sim != Sim::Ready || self.reg_stat == stat {
            return;
        }
        self.reg_stat = stat;
        for (i, name) in ["+CREG", "+CGREG", "+CEREG"].iter().enumerate() {
            match self.creg[i] {
                1 => engine.unsolicited(now, &format!("{name}: {stat}")),
                2 => {
                    let cell = if matches!(stat, 1 | 5) { engine.vendor.cell.clone() } else { String::new() };
                    engine.unsolicited(now, &format!("{name}: {stat}{cell}"));
                }
                _ => {}
            }
        }
    }

    /// A scenario message arrives: stored, and announced with `+CMTI` when `+CNMI` asks.
    fn sms_arrives(&mut self, engine: &mut Engine, now: Duration, i: usize) {
        let Some(sms) = engine.scenario.incoming_sms.get(i).cloned() else {
            return;
        };
        let Some(index) = (1..=STORE_SIZE).find(|n| !self.store.contains_key(n)) else {
            return;
        };
        let stored = Stored { read: false, from: sms.from, text: sms.text, at: now };
        self.store.insert(index, stored);
        if self.cnmi_mt >= 1 {
            engine.unsolicited(now, &format!("+CMTI: \"SM\",{index}"));
        }
    }

    /// Whether the SIM still wants a PIN or PUK.
    pub(crate) fn sim_locked(&self) -> bool {
        self.sim != Sim::Ready
    }

    fn sim_error(&self) -> Option<ResultCode> {
        match self.sim {
            Sim::Ready => None,
            Sim::Pin { .. } => Some(ResultCode::Cme(11)),
            Sim::Puk => Some(ResultCode::Cme(12)),
        }
    }

    /// `D` on the GSM profile: `*99...#` starts packet data (CONNECT), `<n>;` a voice call
    /// (OK), `<n>` without `;` a circuit data call that the network refuses (NO CARRIER),
    /// as real GSM modules answer.
    pub(crate) fn dial(&mut self, engine: &mut Engine, now: Duration, dial: &str, voice: bool) -> Flow {
        if engine.call != Call::Idle {
            return Flow::Done(ResultCode::Error);
        }
        if let Some(code) = self.sim_error() {
            return Flow::Done(code);
        }
        let parsed = DialString::parse(dial, engine.settings.reg(8));
        if parsed.number.starts_with("*99") {
            return self.packet_data(engine, now, parsed.number);
        }
        if !voice {
            return Flow::Done(ResultCode::NoCarrier);
        }
        if !self.registered() {
            return Flow::Done(ResultCode::NoCarrier);
        }
        engine.dials = engine.dials.saturating_add(1);
        let k = engine.dials;
        let sc = &engine.scenario;
        let busy = sc.no_dialtone.saturating_add(sc.busy);
        let no_answer = busy.saturating_add(sc.no_answer);
        let reject = no_answer.saturating_add(sc.reject);
        let fault = if k <= sc.no_dialtone {
            // No network for the call: NO CARRIER at once, as GSM modules answer.
            engine.new_call(Call::Dialing { link: false });
            let gen = engine.call_gen;
            let outcome = Outcome::Fail(ResultCode::NoCarrier);
            engine.schedule(now, TimerKind::DialResult { gen, outcome });
            return Flow::Pending;
        } else if k <= busy {
            Some(VoiceStep::Busy)
        } else if k <= no_answer {
            Some(VoiceStep::NoAnswer)
        } else if k <= reject {
            Some(VoiceStep::Rejected)
        } else {
            None
        };
        self.voice.dial(engine, now, &parsed, fault)
    }

    /// Packet data (`ATD*99...#`, `+CGDATA`): to the network's packet-data endpoint when
    /// it has one for `number`, else the built-in far end (CONNECT after the ring delay).
    fn packet_data(&mut self, engine: &mut Engine, now: Duration, number: String) -> Flow {
        if !self.registered() || engine.dials < engine.scenario.no_dialtone {
            engine.dials = engine.dials.saturating_add(1);
            return Flow::Done(ResultCode::NoCarrier);
        }
        engine.dials = engine.dials.saturating_add(1);
        if engine.routed(&number) {
            return engine.dial_link(now, number);
        }
        engine.new_call(Call::Dialing { link: false });
        let gen = engine.call_gen;
        let at = now.saturating_add(engine.scenario.ring_delay);
        engine.schedule(at, TimerKind::DialResult { gen, outcome: Outcome::Connect });
        Flow::Pending
    }

    /// One byte of SMS text after the `> ` prompt: Ctrl-Z sends, ESC cancels (answered
    /// OK, nothing sent), CR starts a new line with a new prompt.
    pub(crate) fn text_byte(&mut self, engine: &mut Engine, now: Duration, b: u8) {
        let (s3, s4, s5) = (engine.settings.reg(3), engine.settings.reg(4), engine.settings.reg(5));
        let echo = engine.settings.echo;
        let Mode::SmsText { to, text } = &mut engine.mode else {
            return;
        };
        match b {
            0x1a => {
                let (to, text) = (std::mem::take(to), std::mem::take(text));
                engine.mode = Mode::Command;
                let mr = self.next_mr;
                self.next_mr = mr.wrapping_add(1);
                let text = String::from_utf8_lossy(&text).into_owned();
                self.sent.push((to, text));
                engine.info(now, &[format!("+CMGS: {mr}")]);
                engine.result(now, ResultCode::Ok);
            }
            0x1b => {
                engine.mode = Mode::Command;
                engine.result(now, ResultCode::Ok);
            }
            b if b == s3 => {
                if text.len() < MAX_SMS_TEXT {
                    text.push(b'\n');
                }
                if echo {
                    engine.echo(now, &[b]);
                }
                engine.raw_response(now, vec![s3, s4, b'>', b' ']);
            }
            // The LF of a CR LF line end was already taken as the new line.
            b if b == s4 && text.last() == Some(&b'\n') => {}
            b => {
                if b == s5 {
                    text.pop();
                } else if text.len() < MAX_SMS_TEXT {
                    text.push(b);
                }
                if echo {
                    engine.echo(now, &[b]);
                }
            }
        }
    }

    /// An extended (`+`) command on the GSM profile.
    pub(crate) fn command(&mut self, engine: &mut Engine, now: Duration, name: &str, op: ExtendedOp) -> Flow {
        use ExtendedOp::{Execute, Read, Set, Test};
        let num = |args: &[Arg], i: usize| args.get(i).and_then(Arg::number);
        let bad = Flow::Done(ResultCode::Cme(50));
        match (name, &op) {
            ("+CMEE", Set(a)) => match num(a, 0).filter(|&n| n <= 2) {
                Some(n) => engine.cmee = n as u8,
                None => return bad,
            },
            ("+CMEE", Read) => engine.info(now, &[format!("+CMEE: {}", engine.cmee)]),
            ("+CMEE", Test) => engine.info(now, &["+CMEE: (0-2)"]),
            ("+CPIN", Read) => {
                let state = match self.sim {
                    Sim::Ready => "READY",
                    Sim::Pin { .. } => "SIM PIN",
                    Sim::Puk => "SIM PUK",
                };
                engine.info(now, &[format!("+CPIN: {state}")]);
            }
            ("+CPIN", Set(a)) => return self.enter_pin(engine, now, a),
            ("+CPIN", Test) => {}
            ("+CSQ", Execute) => engine.info(now, &[format!("+CSQ: {},99", engine.scenario.signal)]),
            ("+CSQ", Test) => engine.info(now, &["+CSQ: (0-31,99),(0-7,99)"]),
            ("+CREG" | "+CGREG" | "+CEREG", Set(a)) => match num(a, 0).filter(|&n| n <= 2) {
                Some(n) => self.creg[creg_index(name)] = n as u8,
                None => return bad,
            },
            ("+CREG" | "+CGREG" | "+CEREG", Read) => {
                let n = self.creg[creg_index(name)];
                let stat = self.reg_stat;
                let cell = if n == 2 && matches!(stat, 1 | 5) { engine.vendor.cell.clone() } else { String::new() };
                engine.info(now, &[format!("{name}: {n},{stat}{cell}")]);
            }
            ("+CREG" | "+CGREG" | "+CEREG", Test) => engine.info(now, &[format!("{name}: (0-2)")]),
            ("+COPS", _) => return self.cops(engine, now, &op),
            ("+CGDCONT", _) => return self.cgdcont(engine, now, &op),
            ("+CMGF", Set(a)) => match num(a, 0).filter(|&n| n <= 1) {
                Some(n) => self.cmgf = n as u8,
                None => return bad,
            },
            ("+CMGF", Read) => engine.info(now, &[format!("+CMGF: {}", self.cmgf)]),
            ("+CMGF", Test) => engine.info(now, &["+CMGF: (0,1)"]),
            ("+CSCS", Set(a)) => match a.first().and_then(Arg::text) {
                Some(cs @ ("GSM" | "IRA" | "UCS2")) => self.cscs = cs.to_string(),
                _ => return bad,
            },
            ("+CSCS", Read) => engine.info(now, &[format!("+CSCS: \"{}\"", self.cscs)]),
            ("+CSCS", Test) => engine.info(now, &["+CSCS: (\"GSM\",\"IRA\",\"UCS2\")"]),
            ("+CNMI", Set(a)) => match num(a, 1).filter(|&n| n <= 3) {
                Some(mt) => self.cnmi_mt = mt as u8,
                None if a.len() < 2 => {}
                None => return bad,
            },
            ("+CNMI", Read) => engine.info(now, &[format!("+CNMI: 2,{},0,0,0", self.cnmi_mt)]),
            ("+CNMI", Test) => engine.info(now, &["+CNMI: (0-2),(0-3),(0-3),(0-2),(0,1)"]),
            ("+CLIP", Set(a)) => match num(a, 0).filter(|&n| n <= 1) {
                Some(n) => engine.clip = n == 1,
                None => return bad,
            },
            ("+CLIP", Read) => engine.info(now, &[format!("+CLIP: {},1", u8::from(engine.clip))]),
            ("+CLIP", Test) => engine.info(now, &["+CLIP: (0,1)"]),
            ("+CFUN", Set(a)) => match num(a, 0).filter(|&n| matches!(n, 0 | 1 | 4)) {
                Some(n) => self.cfun = n as u8,
                None => return bad,
            },
            ("+CFUN", Read) => engine.info(now, &[format!("+CFUN: {}", self.cfun)]),
            ("+CFUN", Test) => engine.info(now, &["+CFUN: (0,1,4),(0,1)"]),
            ("+CHUP", Execute) => engine.hang_up(now),
            ("+CIMI", Execute) => match self.sim_error() {
                Some(code) => return Flow::Done(code),
                None => {
                    let imsi = engine.vendor.imsi.clone();
                    engine.info_lines(now, &imsi);
                }
            },
            ("+GCAP", Execute) => {
                let gcap = engine.vendor.gcap.clone();
                engine.info_lines(now, &gcap);
            }
            ("+CLCC", Execute) => {
                let calls = self.voice.clcc(engine);
                engine.info_lines(now, &calls);
            }
            ("+CLCC", Test) => {}
            ("+CGATT", Read) => {
                let attached = u8::from(self.registered());
                engine.info(now, &[format!("+CGATT: {attached}")]);
            }
            ("+CGATT", Set(_)) | ("+CGACT", Set(_)) => {
                if let Some(code) = self.sim_error() {
                    return Flow::Done(code);
                }
                if !self.registered() {
                    return Flow::Done(ResultCode::Cme(30));
                }
            }
            ("+CGACT", Read) => {
                let lines: Vec<String> = self.contexts.keys().map(|cid| format!("+CGACT: {cid},0")).collect();
                if !lines.is_empty() {
                    engine.info(now, &lines);
                }
            }
            ("+CGDATA", Set(_) | Execute) => {
                if let Some(code) = self.sim_error() {
                    return Flow::Done(code);
                }
                // `AT+CGDATA="PPP",1` is `ATD*99***1#` (27.007 §10.2.1.1).
                let cid = match &op {
                    Set(args) => args.get(1).and_then(Arg::number),
                    _ => None,
                };
                let number = cid.map_or("*99#".to_string(), |c| format!("*99***{c}#"));
                return self.packet_data(engine, now, number);
            }
            ("+CMGS" | "+CMGL" | "+CMGR" | "+CMGD" | "+CPMS", _) => return self.sms_command(engine, now, name, &op),
            ("+CGMI" | "+CGMM" | "+CGMR" | "+CGSN" | "+GMI" | "+GMM" | "+GMR" | "+GSN", _) => {
                return engine.identification(now, name, &op)
            }
            _ => return Flow::Done(ResultCode::Unsupported),
        }
        Flow::Next
    }

    fn enter_pin(&mut self, engine: &mut Engine, now: Duration, args: &[Arg]) -> Flow {
        let given = args.first().and_then(Arg::text).unwrap_or("");
        match self.sim.clone() {
            Sim::Ready => Flow::Done(ResultCode::Cme(3)),
            Sim::Pin { pin, attempts } => {
                if given == pin {
                    self.sim = Sim::Ready;
                    self.start_registration(engine, now);
                    Flow::Next
                } else {
                    self.sim = if attempts <= 1 { Sim::Puk } else { Sim::Pin { pin, attempts: attempts - 1 } };
                    Flow::Done(ResultCode::Cme(16))
                }
            }
            Sim::Puk => match args.get(1).and_then(Arg::text) {
                Some(new_pin) if given == PUK && !new_pin.is_empty() => {
                    self.sim = Sim::Ready;
                    self.start_registration(engine, now);
                    Flow::Next
                }
                _ => Flow::Done(ResultCode::Cme(16)),
            },
        }
    }

    fn cops(&mut self, engine: &mut Engine, now: Duration, op: &ExtendedOp) -> Flow {
        if let Some(code) = self.sim_error() {
            return Flow::Done(code);
        }
        let operator = engine.scenario.operator.clone();
        match op {
            ExtendedOp::Read if self.registered() => {
                let line = engine.vendor.cops.replace("{operator}", &operator);
                engine.info(now, &[line]);
            }
            ExtendedOp::Read => engine.info(now, &["+COPS: 0"]),
            ExtendedOp::Test => {
                engine.info(now, &[format!("+COPS: (2,\"{operator}\",\"{operator}\",\"00101\",7),,(0-4),(0-2)")])
            }
            ExtendedOp::Set(a) if a.first().and_then(Arg::number).is_some_and(|m| m <= 4) => {}
            _ => return Flow::Done(ResultCode::Cme(50)),
        }
        Flow::Next
    }

    fn cgdcont(&mut self, engine: &mut Engine, now: Duration, op: &ExtendedOp) -> Flow {
        match op {
            ExtendedOp::Set(a) => {
                let Some(cid) = a.first().and_then(Arg::number).filter(|c| (1..=16).contains(c)) else {
                    return Flow::Done(ResultCode::Cme(50));
                };
                if a.len() == 1 {
                    self.contexts.remove(&cid);
                    return Flow::Next;
                }
                let kind = a.get(1).and_then(Arg::text).unwrap_or("IP").to_string();
                if !matches!(kind.as_str(), "IP" | "IPV6" | "IPV4V6" | "PPP") {
                    return Flow::Done(ResultCode::Cme(50));
                }
                let apn = a.get(2).and_then(Arg::text).unwrap_or("").to_string();
                self.contexts.insert(cid, (kind, apn));
            }
            ExtendedOp::Read => {
                let lines: Vec<String> = self
                    .contexts
                    .iter()
                    .map(|(cid, (kind, apn))| format!("+CGDCONT: {cid},\"{kind}\",\"{apn}\",\"0.0.0.0\",0,0"))
                    .collect();
                if !lines.is_empty() {
                    engine.info(now, &lines);
                }
            }
            ExtendedOp::Test => engine.info(now, &["+CGDCONT: (1-16),\"IP\",,,(0-2),(0-4)"]),
            ExtendedOp::Execute => return Flow::Done(ResultCode::Error),
        }
        Flow::Next
    }

    /// `+CMGS`, `+CMGL`, `+CMGR`, `+CMGD`, `+CPMS` (27.005, text mode only).
    fn sms_command(&mut self, engine: &mut Engine, now: Duration, name: &str, op: &ExtendedOp) -> Flow {
        if let ExtendedOp::Test = op {
            if name == "+CMGL" {
                engine.info(now, &["+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"]);
            }
            return Flow::Next;
        }
        if self.sim != Sim::Ready {
            return Flow::Done(ResultCode::Cms(if self.sim == Sim::Puk { 316 } else { 311 }));
        }
        if self.cmgf != 1 && name != "+CPMS" && name != "+CMGD" {
            // PDU mode is not simulated.
            return Flow::Done(ResultCode::Cms(303));
        }
        let args: &[Arg] = match op {
            ExtendedOp::Set(a) => a,
            _ => &[],
        };
        let index = args.first().and_then(Arg::number);
        match (name, op) {
            ("+CMGS", ExtendedOp::Set(_)) => {
                let Some(to) = args.first().and_then(Arg::text).map(str::to_string) else {
                    return Flow::Done(ResultCode::Cms(305));
                };
                if !self.registered() {
                    return Flow::Done(ResultCode::Cms(331));
                }
                engine.mode = Mode::SmsText { to, text: Vec::new() };
                let (s3, s4) = (engine.settings.reg(3), engine.settings.reg(4));
                engine.raw_response(now, vec![s3, s4, b'>', b' ']);
                Flow::Pending
            }
            ("+CMGL", ExtendedOp::Set(_) | ExtendedOp::Execute) => {
                let filter = args.first().and_then(Arg::text).unwrap_or("REC UNREAD").to_string();
                let wanted: fn(&Stored) -> bool = match filter.as_str() {
                    "ALL" => |_| true,
                    "REC UNREAD" => |m| !m.read,
                    "REC READ" => |m| m.read,
                    "STO UNSENT" | "STO SENT" => |_| false,
                    _ => return Flow::Done(ResultCode::Cms(302)),
                };
                let mut lines = Vec::new();
                for (i, m) in self.store.iter_mut().filter(|(_, m)| wanted(m)) {
                    let stat = if m.read { "REC READ" } else { "REC UNREAD" };
                    lines.push(format!("+CMGL: {i},\"{stat}\",\"{}\",,{}", m.from, timestamp(m.at)));
                    lines.push(m.text.clone());
                    m.read = true;
                }
                if !lines.is_empty() {
                    engine.info(now, &lines);
                }
                Flow::Next
            }
            ("+CMGR", ExtendedOp::Set(_)) => {
                let Some(m) = index.and_then(|i| self.store.get_mut(&i)) else {
                    return Flow::Done(ResultCode::Cms(321));
                };
                let stat = if m.read { "REC READ" } else { "REC UNREAD" };
                let lines = [format!("+CMGR: \"{stat}\",\"{}\",,{}", m.from, timestamp(m.at)), m.text.clone()];
                m.read = true;
                engine.info(now, &lines);
                Flow::Next
            }
            ("+CMGD", ExtendedOp::Set(_)) => {
                let flag = args.get(1).and_then(Arg::number).unwrap_or(0);
                match flag {
                    0 => {
                        if index.and_then(|i| self.store.remove(&i)).is_none() {
                            return Flow::Done(ResultCode::Cms(321));
                        }
                    }
                    1..=3 => self.store.retain(|_, m| !m.read),
                    4 => self.store.clear(),
                    _ => return Flow::Done(ResultCode::Cms(302)),
                }
                Flow::Next
            }
            ("+CPMS", ExtendedOp::Read) => {
                let n = self.store.len();
                let used = format!("{n},{STORE_SIZE}");
                engine.info(now, &[format!("+CPMS: \"SM\",{used},\"SM\",{used},\"SM\",{used}")]);
                Flow::Next
            }
            ("+CPMS", ExtendedOp::Set(_)) => {
                let n = self.store.len();
                let used = format!("{n},{STORE_SIZE}");
                engine.info(now, &[format!("+CPMS: {used},{used},{used}")]);
                Flow::Next
            }
            _ => Flow::Done(ResultCode::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_count_from_the_epoch() {
        assert_eq!(timestamp(Duration::from_secs(7)), "\"24/01/01,12:00:07+00\"");
        assert_eq!(timestamp(Duration::from_secs(13 * 3600)), "\"24/01/02,01:00:00+00\"");
        // Absurd times wrap the day of month instead of overflowing.
        let _ = timestamp(Duration::MAX);
    }
}
