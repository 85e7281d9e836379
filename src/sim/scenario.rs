//! Fault scenarios: a small line-based text format (documented in `docs/sim.md`).
//!
//! One directive per line, `#` starts a comment, words are separated by blanks, text goes
//! in double quotes with `\r \n \t \\ \" \xNN` escapes. Durations are `250ms`, `2s`,
//! `1.5s` or `1m`. Example:
//!
//! ```text
//! busy 2                  # the first two dials get BUSY
//! latency 100ms
//! boot-garbage "\x00\xffRDY\r\n"
//! ```

use std::fmt;
use std::time::Duration;

/// The longest duration a scenario may name; keeps every time sum far from overflow.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// What the modem does with data the DTE sends while online and no other modem is on the
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnlineData {
    /// The far end is a loopback: every byte comes back unchanged (the default).
    #[default]
    Echo,
    /// The far end swallows everything.
    Discard,
}

/// When the carrier goes away during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarrierLoss {
    /// After the DTE has sent this many bytes while online.
    AfterBytes(u64),
    /// This long after CONNECT.
    AfterTime(Duration),
}

/// A call that arrives at a set time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    /// When the first RING comes, from the sim's start.
    pub at: Duration,
    /// The caller's number (`+CLIP`).
    pub from: String,
}

/// A text message: stored at boot or arriving at a set time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingSms {
    /// When it arrives (`+CMTI`), from the sim's start; zero for messages in the store
    /// at boot.
    pub at: Duration,
    /// The sender's number.
    pub from: String,
    /// The message text.
    pub text: String,
}

/// The faults and world the simulated modem runs with. [`Scenario::default`] is a modem
/// with no faults: every number answers, the SIM has no PIN, the network is there.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The first this-many dials get BUSY (`u32::MAX`: every dial).
    pub busy: u32,
    /// The first this-many dials find no dial tone.
    pub no_dialtone: u32,
    /// The first this-many dials ring without answer.
    pub no_answer: u32,
    /// The first this-many voice calls are declined by the callee (GSM).
    pub reject: u32,
    /// When the carrier is lost during a call, if ever.
    pub carrier_loss: Option<CarrierLoss>,
    /// Delay before every response (echo is not delayed).
    pub latency: Duration,
    /// Probability, per byte the modem sends, that a random byte is slipped in before it.
    pub noise: f64,
    /// Seed of the noise generator, so noisy runs repeat exactly.
    pub seed: u64,
    /// Bytes the modem sends as it powers up.
    pub boot_garbage: Vec<u8>,
    /// After this many command lines the modem goes silent for good (`Some(0)`: silent
    /// from the start).
    pub stop_answering_after: Option<u32>,
    /// The SIM's PIN; `None`: no PIN lock.
    pub pin: Option<String>,
    /// Time from the end of dialing to CONNECT when the far end answers.
    pub ring_delay: Duration,
    /// The rate in `CONNECT <rate>`; `None`: the DTE's baud rate.
    pub connect_rate: Option<u32>,
    /// What happens to online data with no other modem on the line.
    pub online: OnlineData,
    /// Calls that arrive on their own.
    pub incoming_calls: Vec<IncomingCall>,
    /// Messages that arrive on their own (GSM).
    pub incoming_sms: Vec<IncomingSms>,
    /// Messages in the store at boot (GSM).
    pub stored_sms: Vec<IncomingSms>,
    /// Time from boot (or from SIM unlock) to network registration (GSM).
    pub register_after: Duration,
    /// Later changes of the registration status, for `+CREG` reports (GSM).
    pub registration_changes: Vec<(Duration, u8)>,
    /// `+CSQ` signal quality, 0..=31 or 99 (GSM).
    pub signal: u8,
    /// The operator name `+COPS?` reports (GSM).
    pub operator: String,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario {
            busy: 0,
            no_dialtone: 0,
            no_answer: 0,
            reject: 0,
            carrier_loss: None,
            latency: Duration::ZERO,
            noise: 0.0,
            seed: 1,
            boot_garbage: Vec::new(),
            stop_answering_after: None,
            pin: None,
            ring_delay: Duration::from_secs(1),
            connect_rate: None,
            online: OnlineData::Echo,
            incoming_calls: Vec::new(),
            incoming_sms: Vec::new(),
            stored_sms: Vec::new(),
            register_after: Duration::ZERO,
            registration_changes: Vec::new(),
            signal: 20,
            operator: "ATCHAT".to_string(),
        }
    }
}

/// A scenario file that cannot be used.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read (the engine reads no files: `port::sim::read_scenario` does).
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a valid directive.
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Read { path, source } => {
                write!(f, "cannot read scenario `{path}`: {source}")
            }
            ScenarioError::Syntax { line, message } => write!(f, "scenario line {line}: {message}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Parses scenario text; every directive not given keeps its default.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let mut scenario = Scenario::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let words = split_words(raw).map_err(|message| ScenarioError::Syntax { line, message })?;
            if words.is_empty() {
                continue;
            }
            scenario.apply(&words).map_err(|message| ScenarioError::Syntax { line, message })?;
        }
        Ok(scenario)
    }

    fn apply(&mut self, words: &[Word]) -> Result<(), String> {
        let Some(Word::Bare(directive)) = words.first() else {
            return Err("a line must start with a directive name".to_string());
        };
        let args = &words[1..];
        match directive.as_str() {
            "busy" => self.busy = count_or_always(args)?,
            "no-dialtone" => self.no_dialtone = count_or_always(args)?,
            "no-answer" => self.no_answer = count_or_always(args)?,
            "reject" => self.reject = count_or_always(args)?,
            "carrier-lost" => {
                let [Word::Bare(after), amount, rest @ ..] = args else {
                    return Err("expected `carrier-lost after N bytes` or `carrier-lost after 5s`".into());
                };
                if after != "after" {
                    return Err(format!("expected `after`, found `{after}`"));
                }
                self.carrier_loss = Some(match rest {
                    [Word::Bare(unit)] if unit == "bytes" => CarrierLoss::AfterBytes(number(amount)?),
                    [] => CarrierLoss::AfterTime(duration(amount)?),
                    _ => return Err("expected `N bytes` or a duration after `after`".into()),
                });
            }
            "latency" => self.latency = duration(one(args)?)?,
            "noise" => {
                let p: f64 =
                    bare(one(args)?)?.parse().map_err(|_| "`noise` takes a probability such as 0.01".to_string())?;
                if !(0.0..=1.0).contains(&p) {
                    return Err("`noise` probability must be between 0 and 1".into());
                }
                self.noise = p;
            }
            "seed" => self.seed = number(one(args)?)?,
            "boot-garbage" => self.boot_garbage = text(one(args)?)?.into_bytes_lossless(),
            "stop-answering" => {
                self.stop_answering_after = Some(match args {
                    [] => 0,
                    [Word::Bare(after), n] if after == "after" => count(n)?,
                    _ => return Err("expected `stop-answering` or `stop-answering after N`".into()),
                })
            }
            "pin" => {
                let pin = match one(args)? {
                    Word::Bare(s) | Word::Quoted(s) => s.clone(),
                };
                if pin.is_empty() || pin.len() > 8 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("a PIN is 1 to 8 digits".into());
                }
                self.pin = Some(pin);
            }
            "ring-delay" => self.ring_delay = duration(one(args)?)?,
            "connect-rate" => self.connect_rate = Some(count(one(args)?)?),
            "online" => {
                self.online = match bare(one(args)?)? {
                    "echo" => OnlineData::Echo,
                    "discard" => OnlineData::Discard,
                    other => return Err(format!("`online` is `echo` or `discard`, not `{other}`")),
                }
            }
            "incoming-call" => {
                let [Word::Bare(at), when, Word::Bare(from), who] = args else {
                    return Err("expected `incoming-call at 5s from \"+15551234\"`".into());
                };
                keyword(at, "at")?;
                keyword(from, "from")?;
                self.incoming_calls.push(IncomingCall { at: duration(when)?, from: phone(who)? });
            }
            "incoming-sms" => {
                let [Word::Bare(at), when, Word::Bare(from), who, body] = args else {
                    return Err("expected `incoming-sms at 3s from \"+1555\" \"text\"`".into());
                };
                keyword(at, "at")?;
                keyword(from, "from")?;
                self.incoming_sms.push(IncomingSms { at: duration(when)?, from: phone(who)?, text: text(body)?.0 });
            }
            "sms" => {
                let [Word::Bare(from), who, body] = args else {
                    return Err("expected `sms from \"+1555\" \"text\"`".into());
                };
                keyword(from, "from")?;
                self.stored_sms.push(IncomingSms { at: Duration::ZERO, from: phone(who)?, text: text(body)?.0 });
            }
            "register-after" => self.register_after = duration(one(args)?)?,
            "registration" => {
                let [Word::Bare(at), when, stat] = args else {
                    return Err("expected `registration at 10s STATUS`".into());
                };
                keyword(at, "at")?;
                let stat = count(stat)?;
                if stat > 5 {
                    return Err("a +CREG status is 0 to 5".into());
                }
                self.registration_changes.push((duration(when)?, stat as u8));
            }
            "signal" => {
                let s = count(one(args)?)?;
                if s > 31 && s != 99 {
                    return Err("`signal` is 0 to 31, or 99 for unknown".into());
                }
                self.signal = s as u8;
            }
            "operator" => self.operator = text(one(args)?)?.0,
            other => return Err(format!("unknown directive `{other}`")),
        }
        Ok(())
    }
}

/// One word of a directive line.
#[derive(Debug, Clone, PartialEq)]
enum Word {
    Bare(String),
    Quoted(String),
}

/// Decoded quoted text; bytes above 0x7f from `\xNN` are kept as raw bytes.
struct Text(String, Vec<u8>);

impl Text {
    fn into_bytes_lossless(self) -> Vec<u8> {
        self.1
    }
}

fn split_words(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c == '#' {
            break;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => {
                        s.push('\\');
                        if let Some((_, e)) = chars.next() {
                            s.push(e);
                        }
                    }
                    c => s.push(c),
                }
            }
            if !closed {
                return Err("unterminated string".into());
            }
            words.push(Word::Quoted(s));
        } else {
            let mut s = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || c == '#' || c == '"' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            words.push(Word::Bare(s));
        }
    }
    Ok(words)
}

fn one(args: &[Word]) -> Result<&Word, String> {
    match args {
        [w] => Ok(w),
        [] => Err("missing value".into()),
        _ => Err("too many values".into()),
    }
}

fn bare(w: &Word) -> Result<&str, String> {
    match w {
        Word::Bare(s) => Ok(s),
        Word::Quoted(_) => Err("expected a bare word, not a quoted string".into()),
    }
}

fn keyword(found: &str, wanted: &str) -> Result<(), String> {
    if found == wanted {
        Ok(())
    } else {
        Err(format!("expected `{wanted}`, found `{found}`"))
    }
}

fn number(w: &Word) -> Result<u64, String> {
    let s = bare(w)?;
    s.parse().map_err(|_| format!("`{s}` is not a whole number"))
}

fn count(w: &Word) -> Result<u32, String> {
    let n = number(w)?;
    u32::try_from(n).map_err(|_| format!("`{n}` is too large"))
}

fn count_or_always(args: &[Word]) -> Result<u32, String> {
    match args {
        [] => Ok(u32::MAX),
        [w] => count(w),
        _ => Err("too many values".into()),
    }
}

fn duration(w: &Word) -> Result<Duration, String> {
    let s = bare(w)?;
    let (digits, scale) = if let Some(d) = s.strip_suffix("ms") {
        (d, 0.001)
    } else if let Some(d) = s.strip_suffix('s') {
        (d, 1.0)
    } else if let Some(d) = s.strip_suffix('m') {
        (d, 60.0)
    } else {
        return Err(format!("`{s}` needs a unit: ms, s or m"));
    };
    let value: f64 = digits.parse().map_err(|_| format!("`{s}` is not a duration"))?;
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 || secs > MAX_DURATION.as_secs_f64() {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn text(w: &Word) -> Result<Text, String> {
    let Word::Quoted(raw) = w else {
        return Err("expected a quoted string".into());
    };
    let mut bytes = Vec::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => bytes.push(b'\r'),
            Some('n') => bytes.push(b'\n'),
            Some('t') => bytes.push(b'\t'),
            Some('\\') => bytes.push(b'\\'),
            Some('"') => bytes.push(b'"'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| format!("bad escape `\\x{hex}`"))?;
                bytes.push(byte);
            }
            Some(other) => return Err(format!("unknown escape `\\{other}`")),
            None => return Err("a string cannot end with `\\`".into()),
        }
    }
    Ok(Text(String::from_utf8_lossy(&bytes).into_owned(), bytes))
}

fn phone(w: &Word) -> Result<String, String> {
    let s = text(w)?.0;
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'+' || b == b'*' || b == b'#') {
        return Err(format!("`{s}` is not a phone number"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directive_parses() {
        let s = Scenario::parse(
            "busy 2\nno-dialtone\nno-answer 1\ncarrier-lost after 10 bytes\nlatency 100ms\n\
             noise 0.5\nseed 7\nboot-garbage \"\\x00\\xffRDY\\r\\n\"\nstop-answering after 3\n\
             pin 1234 # comment\nring-delay 1.5s\nconnect-rate 33600\nonline discard\n\
             incoming-call at 5s from \"+15551234\"\nincoming-sms at 1m from \"+1\" \"hi \\\"x\\\"\"\n\
             sms from \"+2\" \"stored\"\nregister-after 3s\nregistration at 10s 0\nsignal 99\n\
             operator \"Net\"\n",
        )
        .unwrap();
        assert_eq!(s.busy, 2);
        assert_eq!(s.no_dialtone, u32::MAX);
        assert_eq!(s.carrier_loss, Some(CarrierLoss::AfterBytes(10)));
        assert_eq!(s.boot_garbage, b"\x00\xffRDY\r\n");
        assert_eq!(s.stop_answering_after, Some(3));
        assert_eq!(s.ring_delay, Duration::from_millis(1500));
        assert_eq!(s.incoming_sms[0].at, Duration::from_secs(60));
        assert_eq!(s.incoming_sms[0].text, "hi \"x\"");
        assert_eq!(s.registration_changes, vec![(Duration::from_secs(10), 0)]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = Scenario::parse("busy 1\nbusy x\n").unwrap_err();
        assert_eq!(err.to_string(), "scenario line 2: `x` is not a whole number");
        for bad in [
            "frobnicate",
            "latency 5",
            "latency -1s",
            "latency 1e300s",
            "noise 2",
            "boot-garbage \"\\x4\"",
            "boot-garbage \"abc",
            "pin abc",
            "carrier-lost after",
            "signal 40",
            "incoming-call at 5s from \"abc\"",
        ] {
            assert!(Scenario::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
