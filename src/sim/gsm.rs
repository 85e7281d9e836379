//! The GSM profile: a 3GPP TS 27.007 / 27.005 subset on top of the V.250 engine.

use std::collections::BTreeMap;
use std::time::Duration;

use super::cmdline::{Arg, ExtendedOp};
use super::commands::{DialString, Flow};
use super::modem::{Call, Mode, Modem, Outcome, TimerKind};
use super::result::ResultCode;
use super::scenario::Scenario;

/// How many messages the SIM store holds (`+CPMS` reports it).
const STORE_SIZE: u32 = 30;

/// The longest message text kept; more is dropped, so a DTE that never sends Ctrl-Z
/// cannot grow memory without bound.
const MAX_SMS_TEXT: usize = 1024;

/// The PUK that unblocks a SIM after three wrong PINs.
pub const PUK: &str = "12345678";

/// A timer generation that matches every SIM unlock (scenario registration changes).
pub(crate) const ANY_GEN: u64 = u64::MAX;

/// The SIM's lock state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sim {
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

/// GSM-specific state. Present on the Hayes profile too, where only `cmee` (always 0)
/// and `clip` (always off) are consulted.
#[derive(Debug, Clone)]
pub(crate) struct GsmState {
    pub cmee: u8,
    pub clip: bool,
    pub sim: Sim,
    pub reg_stat: u8,
    /// Bumped on each SIM unlock, so only the latest unlock's registration timer counts.
    pub unlock_gen: u64,
    pub sent: Vec<(String, String)>,
    cmgf: u8,
    creg: [u8; 3],
    cnmi_mt: u8,
    cscs: String,
    contexts: BTreeMap<u32, (String, String)>,
    store: BTreeMap<u32, Stored>,
    next_mr: u8,
    cfun: u8,
}

impl GsmState {
    pub fn new(scenario: &Scenario) -> GsmState {
        let mut store = BTreeMap::new();
        for (i, sms) in scenario
            .stored_sms
            .iter()
            .take(STORE_SIZE as usize)
            .enumerate()
        {
            let stored = Stored {
                read: false,
                from: sms.from.clone(),
                text: sms.text.clone(),
                at: sms.at,
            };
            store.insert(i as u32 + 1, stored);
        }
        GsmState {
            cmee: 0,
            clip: false,
            sim: match &scenario.pin {
                Some(pin) => Sim::Pin {
                    pin: pin.clone(),
                    attempts: 3,
                },
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
    format!(
        "\"24/01/{:02},{:02}:{:02}:{:02}+00\"",
        (days % 28) + 1,
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

impl Modem {
    /// Power-on: a SIM without PIN registers after the scenario's delay.
    pub(crate) fn gsm_boot(&mut self) {
        if self.gsm.sim == Sim::Ready {
            self.start_registration(Duration::ZERO);
        }
        for i in 0..self.scenario.registration_changes.len() {
            let (at, stat) = self.scenario.registration_changes[i];
            self.schedule(at, TimerKind::Registration { stat, gen: ANY_GEN });
        }
    }

    fn start_registration(&mut self, now: Duration) {
        self.gsm.unlock_gen += 1;
        if self.scenario.register_after.is_zero() {
            self.gsm.reg_stat = 1;
        } else {
            self.set_registration(now, 2);
            let gen = self.gsm.unlock_gen;
            let at = now.saturating_add(self.scenario.register_after);
            self.schedule(at, TimerKind::Registration { stat: 1, gen });
        }
    }

    /// The network registration status changes: `+CREG`/`+CGREG`/`+CEREG` reports go out
    /// to the DTE where enabled.
    pub(crate) fn set_registration(&mut self, now: Duration, stat: u8) {
        if self.gsm.sim != Sim::Ready || self.gsm.reg_stat == stat {
            return;
        }
        self.gsm.reg_stat = stat;
        for (i, name) in ["+CREG", "+CGREG", "+CEREG"].iter().enumerate() {
            match self.gsm.creg[i] {
                1 => self.unsolicited(now, &format!("{name}: {stat}")),
                2 => {
                    let cell = if matches!(stat, 1 | 5) {
                        ",\"00A1\",\"0000B2C3\""
                    } else {
                        ""
                    };
                    self.unsolicited(now, &format!("{name}: {stat}{cell}"));
                }
                _ => {}
            }
        }
    }

    /// A scenario message arrives: stored, and announced with `+CMTI` when `+CNMI` asks.
    pub(crate) fn sms_arrives(&mut self, now: Duration, i: usize) {
        let Some(sms) = self.scenario.incoming_sms.get(i).cloned() else {
            return;
        };
        let Some(index) = (1..=STORE_SIZE).find(|n| !self.gsm.store.contains_key(n)) else {
            return;
        };
        let stored = Stored {
            read: false,
            from: sms.from,
            text: sms.text,
            at: now,
        };
        self.gsm.store.insert(index, stored);
        if self.gsm.cnmi_mt >= 1 {
            self.unsolicited(now, &format!("+CMTI: \"SM\",{index}"));
        }
    }

    fn sim_error(&self) -> Option<ResultCode> {
        match self.gsm.sim {
            Sim::Ready => None,
            Sim::Pin { .. } => Some(ResultCode::Cme(11)),
            Sim::Puk => Some(ResultCode::Cme(12)),
        }
    }

    /// `D` on the GSM profile: `*99...#` starts packet data (CONNECT), `<n>;` a voice call
    /// (OK), `<n>` without `;` a circuit data call that the network refuses (NO CARRIER),
    /// as real GSM modules answer.
    pub(crate) fn dial_gsm(&mut self, now: Duration, dial: &str, voice: bool) -> Flow {
        if self.call != Call::Idle {
            return Flow::Done(ResultCode::Error);
        }
        if let Some(code) = self.sim_error() {
            return Flow::Done(code);
        }
        let parsed = DialString::parse(dial, self.settings.reg(8));
        if parsed.number.starts_with("*99") {
            return self.packet_data(now);
        }
        if !voice {
            return Flow::Done(ResultCode::NoCarrier);
        }
        if !self.gsm.registered() {
            return Flow::Done(ResultCode::NoCarrier);
        }
        self.dials = self.dials.saturating_add(1);
        let k = self.dials;
        let sc = &self.scenario;
        let fail = if k <= sc.no_dialtone {
            Some((Duration::ZERO, ResultCode::NoCarrier))
        } else if k <= sc.no_dialtone.saturating_add(sc.busy) {
            Some((sc.ring_delay, ResultCode::Busy))
        } else if k
            <= sc
                .no_dialtone
                .saturating_add(sc.busy)
                .saturating_add(sc.no_answer)
        {
            Some((self.s7(), ResultCode::NoAnswer))
        } else {
            None
        };
        match fail {
            None => {
                self.new_call(Call::Voice);
                Flow::Next
            }
            Some((after, code)) => {
                self.new_call(Call::Dialing { link: false });
                let gen = self.call_gen;
                let outcome = Outcome::Fail(code);
                self.schedule(
                    now.saturating_add(after),
                    TimerKind::DialResult { gen, outcome },
                );
                Flow::Pending
            }
        }
    }

    fn packet_data(&mut self, now: Duration) -> Flow {
        if !self.gsm.registered() || self.dials < self.scenario.no_dialtone {
            self.dials = self.dials.saturating_add(1);
            return Flow::Done(ResultCode::NoCarrier);
        }
        self.dials = self.dials.saturating_add(1);
        self.new_call(Call::Dialing { link: false });
        let gen = self.call_gen;
        let at = now.saturating_add(self.scenario.ring_delay);
        self.schedule(
            at,
            TimerKind::DialResult {
                gen,
                outcome: Outcome::Connect,
            },
        );
        Flow::Pending
    }

    /// One byte of SMS text after the `> ` prompt: Ctrl-Z sends, ESC cancels (answered
    /// OK, nothing sent), CR starts a new line with a new prompt.
    pub(crate) fn sms_byte(&mut self, now: Duration, b: u8) {
        let (s3, s4, s5) = (
            self.settings.reg(3),
            self.settings.reg(4),
            self.settings.reg(5),
        );
        let echo = self.settings.echo;
        let Mode::SmsText { to, text } = &mut self.mode else {
            return;
        };
        match b {
            0x1a => {
                let (to, text) = (std::mem::take(to), std::mem::take(text));
                self.mode = Mode::Command;
                let mr = self.gsm.next_mr;
                self.gsm.next_mr = mr.wrapping_add(1);
                let text = String::from_utf8_lossy(&text).into_owned();
                self.gsm.sent.push((to, text));
                self.info(now, &[format!("+CMGS: {mr}")]);
                self.result(now, ResultCode::Ok);
            }
            0x1b => {
                self.mode = Mode::Command;
                self.result(now, ResultCode::Ok);
            }
            b if b == s3 => {
                if text.len() < MAX_SMS_TEXT {
                    text.push(b'\n');
                }
                if echo {
                    self.echo(now, &[b]);
                }
                self.raw_response(now, vec![s3, s4, b'>', b' ']);
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
                    self.echo(now, &[b]);
                }
            }
        }
    }

    /// An extended (`+`) command on the GSM profile.
    pub(crate) fn gsm_command(&mut self, now: Duration, name: &str, op: ExtendedOp) -> Flow {
        use ExtendedOp::{Execute, Read, Set, Test};
        let num = |args: &[Arg], i: usize| args.get(i).and_then(Arg::number);
        let bad = Flow::Done(ResultCode::Cme(50));
        match (name, &op) {
            ("+CMEE", Set(a)) => match num(a, 0).filter(|&n| n <= 2) {
                Some(n) => self.gsm.cmee = n as u8,
                None => return bad,
            },
            ("+CMEE", Read) => self.info(now, &[format!("+CMEE: {}", self.gsm.cmee)]),
            ("+CMEE", Test) => self.info(now, &["+CMEE: (0-2)"]),
            ("+CPIN", Read) => {
                let state = match self.gsm.sim {
                    Sim::Ready => "READY",
                    Sim::Pin { .. } => "SIM PIN",
                    Sim::Puk => "SIM PUK",
                };
                self.info(now, &[format!("+CPIN: {state}")]);
            }
            ("+CPIN", Set(a)) => return self.enter_pin(now, a),
            ("+CPIN", Test) => {}
            ("+CSQ", Execute) => self.info(now, &[format!("+CSQ: {},99", self.scenario.signal)]),
            ("+CSQ", Test) => self.info(now, &["+CSQ: (0-31,99),(0-7,99)"]),
            ("+CREG" | "+CGREG" | "+CEREG", Set(a)) => match num(a, 0).filter(|&n| n <= 2) {
                Some(n) => self.gsm.creg[creg_index(name)] = n as u8,
                None => return bad,
            },
            ("+CREG" | "+CGREG" | "+CEREG", Read) => {
                let n = self.gsm.creg[creg_index(name)];
                let stat = self.gsm.reg_stat;
                let cell = if n == 2 && matches!(stat, 1 | 5) {
                    ",\"00A1\",\"0000B2C3\""
                } else {
                    ""
                };
                self.info(now, &[format!("{name}: {n},{stat}{cell}")]);
            }
            ("+CREG" | "+CGREG" | "+CEREG", Test) => self.info(now, &[format!("{name}: (0-2)")]),
            ("+COPS", _) => return self.cops(now, &op),
            ("+CGDCONT", _) => return self.cgdcont(now, &op),
            ("+CMGF", Set(a)) => match num(a, 0).filter(|&n| n <= 1) {
                Some(n) => self.gsm.cmgf = n as u8,
                None => return bad,
            },
            ("+CMGF", Read) => self.info(now, &[format!("+CMGF: {}", self.gsm.cmgf)]),
            ("+CMGF", Test) => self.info(now, &["+CMGF: (0,1)"]),
            ("+CSCS", Set(a)) => match a.first().and_then(Arg::text) {
                Some(cs @ ("GSM" | "IRA" | "UCS2")) => self.gsm.cscs = cs.to_string(),
                _ => return bad,
            },
            ("+CSCS", Read) => self.info(now, &[format!("+CSCS: \"{}\"", self.gsm.cscs)]),
            ("+CSCS", Test) => self.info(now, &["+CSCS: (\"GSM\",\"IRA\",\"UCS2\")"]),
            ("+CNMI", Set(a)) => match num(a, 1).filter(|&n| n <= 3) {
                Some(mt) => self.gsm.cnmi_mt = mt as u8,
                None if a.len() < 2 => {}
                None => return bad,
            },
            ("+CNMI", Read) => self.info(now, &[format!("+CNMI: 2,{},0,0,0", self.gsm.cnmi_mt)]),
            ("+CNMI", Test) => self.info(now, &["+CNMI: (0-2),(0-3),(0-3),(0-2),(0,1)"]),
            ("+CLIP", Set(a)) => match num(a, 0).filter(|&n| n <= 1) {
                Some(n) => self.gsm.clip = n == 1,
                None => return bad,
            },
            ("+CLIP", Read) => self.info(now, &[format!("+CLIP: {},1", u8::from(self.gsm.clip))]),
            ("+CLIP", Test) => self.info(now, &["+CLIP: (0,1)"]),
            ("+CFUN", Set(a)) => match num(a, 0).filter(|&n| matches!(n, 0 | 1 | 4)) {
                Some(n) => self.gsm.cfun = n as u8,
                None => return bad,
            },
            ("+CFUN", Read) => self.info(now, &[format!("+CFUN: {}", self.gsm.cfun)]),
            ("+CFUN", Test) => self.info(now, &["+CFUN: (0,1,4),(0,1)"]),
            ("+CHUP", Execute) => self.hang_up(now),
            ("+CIMI", Execute) => match self.sim_error() {
                Some(code) => return Flow::Done(code),
                None => self.info(now, &["001010123456789"]),
            },
            ("+GCAP", Execute) => self.info(now, &["+GCAP: +CGSM"]),
            ("+CGATT", Read) => {
                let attached = u8::from(self.gsm.registered());
                self.info(now, &[format!("+CGATT: {attached}")]);
            }
            ("+CGATT", Set(_)) | ("+CGACT", Set(_)) => {
                if let Some(code) = self.sim_error() {
                    return Flow::Done(code);
                }
                if !self.gsm.registered() {
                    return Flow::Done(ResultCode::Cme(30));
                }
            }
            ("+CGACT", Read) => {
                let lines: Vec<String> = self
                    .gsm
                    .contexts
                    .keys()
                    .map(|cid| format!("+CGACT: {cid},0"))
                    .collect();
                if !lines.is_empty() {
                    self.info(now, &lines);
                }
            }
            ("+CGDATA", Set(_) | Execute) => {
                if let Some(code) = self.sim_error() {
                    return Flow::Done(code);
                }
                return self.packet_data(now);
            }
            ("+CMGS" | "+CMGL" | "+CMGR" | "+CMGD" | "+CPMS", _) => {
                return self.sms_command(now, name, &op)
            }
            ("+CGMI" | "+CGMM" | "+CGMR" | "+CGSN" | "+GMI" | "+GMM" | "+GMR" | "+GSN", _) => {
                return self.identification(now, name, &op)
            }
            _ => return Flow::Done(ResultCode::Error),
        }
        Flow::Next
    }

    fn enter_pin(&mut self, now: Duration, args: &[Arg]) -> Flow {
        let given = args.first().and_then(Arg::text).unwrap_or("");
        match self.gsm.sim.clone() {
            Sim::Ready => Flow::Done(ResultCode::Cme(3)),
            Sim::Pin { pin, attempts } => {
                if given == pin {
                    self.gsm.sim = Sim::Ready;
                    self.start_registration(now);
                    Flow::Next
                } else {
                    self.gsm.sim = if attempts <= 1 {
                        Sim::Puk
                    } else {
                        Sim::Pin {
                            pin,
                            attempts: attempts - 1,
                        }
                    };
                    Flow::Done(ResultCode::Cme(16))
                }
            }
            Sim::Puk => match args.get(1).and_then(Arg::text) {
                Some(new_pin) if given == PUK && !new_pin.is_empty() => {
                    self.gsm.sim = Sim::Ready;
                    self.start_registration(now);
                    Flow::Next
                }
                _ => Flow::Done(ResultCode::Cme(16)),
            },
        }
    }

    fn cops(&mut self, now: Duration, op: &ExtendedOp) -> Flow {
        if let Some(code) = self.sim_error() {
            return Flow::Done(code);
        }
        let operator = self.scenario.operator.clone();
        match op {
            ExtendedOp::Read if self.gsm.registered() => {
                self.info(now, &[format!("+COPS: 0,0,\"{operator}\",7")]);
            }
            ExtendedOp::Read => self.info(now, &["+COPS: 0"]),
            ExtendedOp::Test => self.info(
                now,
                &[format!(
                    "+COPS: (2,\"{operator}\",\"{operator}\",\"00101\",7),,(0-4),(0-2)"
                )],
            ),
            ExtendedOp::Set(a) if a.first().and_then(Arg::number).is_some_and(|m| m <= 4) => {}
            _ => return Flow::Done(ResultCode::Cme(50)),
        }
        Flow::Next
    }

    fn cgdcont(&mut self, now: Duration, op: &ExtendedOp) -> Flow {
        match op {
            ExtendedOp::Set(a) => {
                let Some(cid) = a
                    .first()
                    .and_then(Arg::number)
                    .filter(|c| (1..=16).contains(c))
                else {
                    return Flow::Done(ResultCode::Cme(50));
                };
                if a.len() == 1 {
                    self.gsm.contexts.remove(&cid);
                    return Flow::Next;
                }
                let kind = a.get(1).and_then(Arg::text).unwrap_or("IP").to_string();
                if !matches!(kind.as_str(), "IP" | "IPV6" | "IPV4V6" | "PPP") {
                    return Flow::Done(ResultCode::Cme(50));
                }
                let apn = a.get(2).and_then(Arg::text).unwrap_or("").to_string();
                self.gsm.contexts.insert(cid, (kind, apn));
            }
            ExtendedOp::Read => {
                let lines: Vec<String> = self
                    .gsm
                    .contexts
                    .iter()
                    .map(|(cid, (kind, apn))| {
                        format!("+CGDCONT: {cid},\"{kind}\",\"{apn}\",\"0.0.0.0\",0,0")
                    })
                    .collect();
                if !lines.is_empty() {
                    self.info(now, &lines);
                }
            }
            ExtendedOp::Test => self.info(now, &["+CGDCONT: (1-16),\"IP\",,,(0-2),(0-4)"]),
            ExtendedOp::Execute => return Flow::Done(ResultCode::Error),
        }
        Flow::Next
    }

    /// `+CMGS`, `+CMGL`, `+CMGR`, `+CMGD`, `+CPMS` (27.005, text mode only).
    fn sms_command(&mut self, now: Duration, name: &str, op: &ExtendedOp) -> Flow {
        if let ExtendedOp::Test = op {
            if name == "+CMGL" {
                self.info(
                    now,
                    &["+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"],
                );
            }
            return Flow::Next;
        }
        if self.gsm.sim != Sim::Ready {
            return Flow::Done(ResultCode::Cms(if self.gsm.sim == Sim::Puk {
                316
            } else {
                311
            }));
        }
        if self.gsm.cmgf != 1 && name != "+CPMS" && name != "+CMGD" {
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
                if !self.gsm.registered() {
                    return Flow::Done(ResultCode::Cms(331));
                }
                self.mode = Mode::SmsText {
                    to,
                    text: Vec::new(),
                };
                let (s3, s4) = (self.settings.reg(3), self.settings.reg(4));
                self.raw_response(now, vec![s3, s4, b'>', b' ']);
                Flow::Pending
            }
            ("+CMGL", ExtendedOp::Set(_) | ExtendedOp::Execute) => {
                let filter = args
                    .first()
                    .and_then(Arg::text)
                    .unwrap_or("REC UNREAD")
                    .to_string();
                let wanted: fn(&Stored) -> bool = match filter.as_str() {
                    "ALL" => |_| true,
                    "REC UNREAD" => |m| !m.read,
                    "REC READ" => |m| m.read,
                    "STO UNSENT" | "STO SENT" => |_| false,
                    _ => return Flow::Done(ResultCode::Cms(302)),
                };
                let mut lines = Vec::new();
                for (i, m) in self.gsm.store.iter_mut().filter(|(_, m)| wanted(m)) {
                    let stat = if m.read { "REC READ" } else { "REC UNREAD" };
                    lines.push(format!(
                        "+CMGL: {i},\"{stat}\",\"{}\",,{}",
                        m.from,
                        timestamp(m.at)
                    ));
                    lines.push(m.text.clone());
                    m.read = true;
                }
                if !lines.is_empty() {
                    self.info(now, &lines);
                }
                Flow::Next
            }
            ("+CMGR", ExtendedOp::Set(_)) => {
                let Some(m) = index.and_then(|i| self.gsm.store.get_mut(&i)) else {
                    return Flow::Done(ResultCode::Cms(321));
                };
                let stat = if m.read { "REC READ" } else { "REC UNREAD" };
                let lines = [
                    format!("+CMGR: \"{stat}\",\"{}\",,{}", m.from, timestamp(m.at)),
                    m.text.clone(),
                ];
                m.read = true;
                self.info(now, &lines);
                Flow::Next
            }
            ("+CMGD", ExtendedOp::Set(_)) => {
                let flag = args.get(1).and_then(Arg::number).unwrap_or(0);
                match flag {
                    0 => {
                        if index.and_then(|i| self.gsm.store.remove(&i)).is_none() {
                            return Flow::Done(ResultCode::Cms(321));
                        }
                    }
                    1..=3 => self.gsm.store.retain(|_, m| !m.read),
                    4 => self.gsm.store.clear(),
                    _ => return Flow::Done(ResultCode::Cms(302)),
                }
                Flow::Next
            }
            ("+CPMS", ExtendedOp::Read) => {
                let n = self.gsm.store.len();
                let used = format!("{n},{STORE_SIZE}");
                self.info(
                    now,
                    &[format!("+CPMS: \"SM\",{used},\"SM\",{used},\"SM\",{used}")],
                );
                Flow::Next
            }
            ("+CPMS", ExtendedOp::Set(_)) => {
                let n = self.gsm.store.len();
                let used = format!("{n},{STORE_SIZE}");
                self.info(now, &[format!("+CPMS: {used},{used},{used}")]);
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
        assert_eq!(
            timestamp(Duration::from_secs(7)),
            "\"24/01/01,12:00:07+00\""
        );
        assert_eq!(
            timestamp(Duration::from_secs(13 * 3600)),
            "\"24/01/02,01:00:00+00\""
        );
        // Absurd times wrap the day of month instead of overflowing.
        let _ = timestamp(Duration::MAX);
    }
}
