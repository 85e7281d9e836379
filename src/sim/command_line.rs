//! Splitting one V.250 command line body (what follows `AT`) into commands.
//!
//! Parsing is lazy, one command at a time, because a real modem executes the commands of a
//! line in order and stops at the first one it rejects: the ones before it have taken
//! effect. Spaces are ignored outside quoted strings and letters are case-insensitive,
//! except inside quotes and dial strings, which keep what the DTE typed. [`DialString`]
//! then works out what a `D` command dials.

use std::time::Duration;

/// How long `!` (hook flash) takes.
const FLASH: Duration = Duration::from_millis(500);

/// One command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// A basic command such as `E1`, `H`, `I3`: the letter (upper case) and its number.
    Basic(u8, Option<u32>),
    /// An `&` command such as `&C1`, `&F`.
    Ampersand(u8, Option<u32>),
    /// `Sn=v` (a missing value is 0, as V.250 says).
    SetRegister(u32, u32),
    /// `Sn?`.
    QueryRegister(u32),
    /// `D` and its dial string; `voice` when it ended with `;` (stay in command mode).
    Dial { number: String, voice: bool },
    /// An extended command `+NAME...`.
    Extended { name: String, op: ExtendedOp },
}

/// The form of an extended command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExtendedOp {
    /// `+NAME`.
    Execute,
    /// `+NAME?`.
    Read,
    /// `+NAME=?`.
    Test,
    /// `+NAME=args`, the arguments split at commas outside quotes.
    Set(Vec<Arg>),
}

/// One argument of an extended command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    /// Nothing between two commas.
    Empty,
    /// A bare value (usually a number), upper-cased.
    Bare(String),
    /// A `"quoted"` string, as typed.
    Quoted(String),
}

impl Arg {
    /// The argument as a number, if it is one.
    pub fn number(&self) -> Option<u32> {
        match self {
            Arg::Bare(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The argument as text, whether quoted or bare.
    pub fn text(&self) -> Option<&str> {
        match self {
            Arg::Bare(s) | Arg::Quoted(s) => Some(s),
            Arg::Empty => None,
        }
    }
}

/// A lazily parsed command line body.
pub(crate) struct CommandLine<'a> {
    body: &'a [u8],
    pos: usize,
}

impl<'a> CommandLine<'a> {
    /// A parser over `body`: the bytes after `AT`, without the terminator.
    pub fn new(body: &'a [u8]) -> CommandLine<'a> {
        CommandLine { body, pos: 0 }
    }

    /// The next significant byte, upper-cased (spaces skipped), without consuming it.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.body.get(self.pos) {
            if b == b' ' {
                self.pos += 1;
            } else {
                return Some(b.to_ascii_uppercase());
            }
        }
        None
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn number(&mut self) -> Option<u32> {
        let mut value: Option<u32> = None;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            self.pos += 1;
            // Saturating: an absurd number is refused later as out of range, not a panic.
            value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(u32::from(b - b'0')));
        }
        value
    }

    /// The next command; `Some(Err(()))` for a syntax error (the rest of the line is then
    /// ignored), `None` at the end of the line.
    pub fn next_command(&mut self) -> Option<Result<Command, ()>> {
        // A stray `;` between commands is accepted: scripts in the wild write `ATI;+CSQ`.
        while self.peek() == Some(b';') {
            self.pos += 1;
        }
        let c = self.bump()?;
        Some(match c {
            b'D' => Ok(self.dial()),
            b'S' => self.register(),
            b'&' => match self.bump() {
                Some(l) if l.is_ascii_uppercase() => Ok(Command::Ampersand(l, self.number())),
                _ => Err(()),
            },
            p if is_extended_prefix(p) => self.extended(p),
            l if l.is_ascii_uppercase() => Ok(Command::Basic(l, self.number())),
            _ => Err(()),
        })
    }

    fn register(&mut self) -> Result<Command, ()> {
        let n = self.number().ok_or(())?;
        match self.bump() {
            Some(b'=') => Ok(Command::SetRegister(n, self.number().unwrap_or(0))),
            Some(b'?') => Ok(Command::QueryRegister(n)),
            _ => Err(()),
        }
    }

    fn dial(&mut self) -> Command {
        let mut number = String::new();
        let mut voice = false;
        while let Some(&b) = self.body.get(self.pos) {
            self.pos += 1;
            if b == b';' {
                voice = true;
                break;
            }
            if b != b' ' && b != b'"' {
                number.push(char::from(b));
            }
        }
        Command::Dial { number, voice }
    }

    /// An extended command after its prefix: `+` (V.250) or a vendor's (`^SYSINFO`,
    /// `#QSS`), so that a profile can answer those too.
    fn extended(&mut self, prefix: u8) -> Result<Command, ()> {
        let mut name = String::from(char::from(prefix));
        while let Some(b) = self.peek().filter(|b| b.is_ascii_alphanumeric()) {
            self.pos += 1;
            name.push(char::from(b));
        }
        if name.len() == 1 {
            return Err(());
        }
        let op = match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                ExtendedOp::Read
            }
            Some(b'=') => {
                self.pos += 1;
                if self.peek() == Some(b'?') {
                    self.pos += 1;
                    ExtendedOp::Test
                } else {
                    ExtendedOp::Set(self.arguments()?)
                }
            }
            _ => ExtendedOp::Execute,
        };
        match self.peek() {
            None => {}
            Some(b';') => self.pos += 1,
            Some(_) => return Err(()),
        }
        Ok(Command::Extended { name, op })
    }

    fn arguments(&mut self) -> Result<Vec<Arg>, ()> {
        let mut args = Vec::new();
        loop {
            let arg = match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    let start = self.pos;
                    let len = self.body[start..].iter().position(|&b| b == b'"').ok_or(())?;
                    self.pos = start + len + 1;
                    Arg::Quoted(String::from_utf8_lossy(&self.body[start..start + len]).into_owned())
                }
                Some(b',') | Some(b';') | None => Arg::Empty,
                Some(_) => {
                    let mut s = String::new();
                    while let Some(b) = self.peek().filter(|&b| b != b',' && b != b';' && b != b'"') {
                        self.pos += 1;
                        s.push(char::from(b));
                    }
                    Arg::Bare(s)
                }
            };
            args.push(arg);
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return Ok(args);
            }
        }
    }
}

/// A dial string with its modifiers worked out.
pub(crate) struct DialString {
    /// What is dialed: digits, `*`, `#`, `A`-`D`, `+`, and for network calls `host:port`.
    pub number: String,
    /// Time the modifiers add: S8 seconds per `,`, half a second per `!`.
    pub duration: Duration,
}

impl DialString {
    /// Splits `dial` (what followed `D`, `;` removed) into the number and the pauses.
    /// Characters V.250 does not define are ignored, as V.250 §6.3.1 allows.
    pub fn parse(dial: &str, s8: u8) -> DialString {
        // An address goes to the network: `tcp:host:port` (a plain TCP service),
        // `sim:host:port` or `host:port` (another simulated modem). One leading T or P
        // (tone or pulse) may come first.
        let address = match dial.as_bytes().first() {
            Some(b'T' | b't' | b'P' | b'p') if !has_scheme(dial) => &dial[1..],
            _ => dial,
        };
        if address.contains(':') {
            let number = match address.split_at_checked(4) {
                Some((scheme, rest)) if has_scheme(address) => {
                    format!("{}{rest}", scheme.to_ascii_lowercase())
                }
                _ => address.to_string(),
            };
            return DialString { number, duration: Duration::ZERO };
        }
        let mut number = String::new();
        let mut duration = Duration::ZERO;
        let comma = Duration::from_secs(u64::from(s8));
        for c in dial.chars() {
            match c {
                ',' => duration = duration.saturating_add(comma),
                '!' => duration = duration.saturating_add(FLASH),
                // T/P/W/@/R and anything else change nothing observable about the far end:
                // W and @ wait for a dial tone or quiet answer, which the line always gives.
                c if c.is_ascii_digit() || matches!(c, '*' | '#' | '+' | 'A'..='D' | 'a'..='d') => {
                    number.push(c.to_ascii_uppercase())
                }
                _ => {}
            }
        }
        DialString { number, duration }
    }
}

/// Whether `dial` starts with `tcp:` or `sim:` (any case).
fn has_scheme(dial: &str) -> bool {
    let head = dial.as_bytes().get(..4).unwrap_or_default();
    head.eq_ignore_ascii_case(b"tcp:") || head.eq_ignore_ascii_case(b"sim:")
}

/// The characters that start an extended command: `+` (V.250) and the vendors' own
/// (`^` Huawei, `$` Qualcomm, `%` ZTE, `#` Telit, `!` Sierra).
pub(crate) fn is_extended_prefix(b: u8) -> bool {
    matches!(b, b'+' | b'^' | b'$' | b'%' | b'#' | b'!')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(body: &str) -> Vec<Result<Command, ()>> {
        // Like `execute_line`: the first error ends the line.
        let mut line = CommandLine::new(body.as_bytes());
        let mut commands = Vec::new();
        while let Some(command) = line.next_command() {
            let failed = command.is_err();
            commands.push(command);
            if failed {
                break;
            }
        }
        commands
    }

    #[test]
    fn several_commands_on_one_line() {
        assert_eq!(
            all("e1 v1x4&c1&D2s7=60s0?"),
            vec![
                Ok(Command::Basic(b'E', Some(1))),
                Ok(Command::Basic(b'V', Some(1))),
                Ok(Command::Basic(b'X', Some(4))),
                Ok(Command::Ampersand(b'C', Some(1))),
                Ok(Command::Ampersand(b'D', Some(2))),
                Ok(Command::SetRegister(7, 60)),
                Ok(Command::QueryRegister(0)),
            ]
        );
    }

    #[test]
    fn extended_commands_and_arguments() {
        assert_eq!(
            all("+CGDCONT=1,\"IP\",\"Internet\";+cmgf?;+CMEE=?;+CSQ"),
            vec![
                Ok(Command::Extended {
                    name: "+CGDCONT".into(),
                    op: ExtendedOp::Set(vec![
                        Arg::Bare("1".into()),
                        Arg::Quoted("IP".into()),
                        Arg::Quoted("Internet".into())
                    ])
                }),
                Ok(Command::Extended { name: "+CMGF".into(), op: ExtendedOp::Read }),
                Ok(Command::Extended { name: "+CMEE".into(), op: ExtendedOp::Test }),
                Ok(Command::Extended { name: "+CSQ".into(), op: ExtendedOp::Execute }),
            ]
        );
    }

    #[test]
    fn dial_keeps_case_and_stops_at_semicolon() {
        assert_eq!(
            all("DT localhost:99;H"),
            vec![Ok(Command::Dial { number: "Tlocalhost:99".into(), voice: true }), Ok(Command::Basic(b'H', None)),]
        );
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(all("S"), vec![Err(())]);
        assert_eq!(all("+=1"), vec![Err(())]);
        assert_eq!(all("+X=\"open"), vec![Err(())]);
        assert_eq!(all("&"), vec![Err(())]);
        assert_eq!(all("S99999999999999=1"), vec![Ok(Command::SetRegister(u32::MAX, 1))]);
    }

    #[test]
    fn dial_modifiers() {
        let d = DialString::parse("T555,,1234!W@", 2);
        assert_eq!(d.number, "5551234");
        assert_eq!(d.duration, Duration::from_millis(4500));
        assert_eq!(DialString::parse("T127.0.0.1:4000", 2).number, "127.0.0.1:4000");
        assert_eq!(DialString::parse("*99***1#", 2).number, "*99***1#");
    }

    /// `tcp:` and `sim:` name the kind of far end; the tone/pulse modifier before them
    /// must not eat the scheme's own `t` (`ATDtcp:...` once dialed `cp:...`).
    #[test]
    fn dial_schemes() {
        for (dial, number) in [
            ("tcp:127.0.0.1:5300", "tcp:127.0.0.1:5300"),
            ("Ttcp:127.0.0.1:5300", "tcp:127.0.0.1:5300"),
            ("TCP:bbs.example.org:23", "tcp:bbs.example.org:23"),
            ("PSIM:127.0.0.1:4000", "sim:127.0.0.1:4000"),
            ("t[::1]:4000", "[::1]:4000"),
        ] {
            assert_eq!(DialString::parse(dial, 2).number, number, "{dial}");
        }
    }
}
