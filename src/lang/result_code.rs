//! The result codes of V.250 §5.7 and 27.007 §9: their verbose and numeric forms and what
//! each does to the command it answers. The language accepts them as bare patterns
//! (`expect OK`), the compiler matches their numeric form in numeric mode, and the REPL
//! classifies what the modem says with them.

/// What a result code does to the command line it answers (V.250 §5.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Ends the command line: `OK`, `ERROR`, `NO CARRIER`, `+CME ERROR: 10`.
    Final,
    /// Ends the command phase but not the call: `CONNECT 9600` (online data follows).
    Intermediate,
    /// Answers no command: `RING`.
    Unsolicited,
}

/// One result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultCode {
    /// The verbose form (ATV1), as a script writes it bare: `NO CARRIER`.
    pub text: &'static str,
    /// The numeric form (ATV0) where V.250 gives one: `3`.
    pub number: Option<&'static str>,
    /// `None` for the vendors' codes that name a call's type (`VOICE`, `FAX`, `DATA`): when
    /// they come and what follows them differs by modem.
    pub kind: Option<Kind>,
}

impl ResultCode {
    /// Whether `line` (verbose, trimmed) is this code: the code alone, `CONNECT` with its
    /// text (`CONNECT 9600`), or a `+` code with what follows it (`+CME ERROR: 10`).
    pub fn is(&self, line: &str) -> bool {
        match line.strip_prefix(self.text) {
            Some("") => true,
            Some(_) if self.text.starts_with('+') => true,
            Some(rest) => self.kind == Some(Kind::Intermediate) && rest.starts_with(' '),
            None => false,
        }
    }
}

const fn code(text: &'static str, number: Option<&'static str>, kind: Option<Kind>) -> ResultCode {
    ResultCode { text, number, kind }
}

use Kind::{Final, Intermediate, Unsolicited};

/// The result codes the language knows, V.250's first. Codes starting with `+` other than
/// these (`+CMTI`, ...) are accepted as bare patterns too, as written.
pub const RESULT_CODES: &[ResultCode] = &[
    code("OK", Some("0"), Some(Final)),
    code("CONNECT", Some("1"), Some(Intermediate)),
    code("RING", Some("2"), Some(Unsolicited)),
    code("NO CARRIER", Some("3"), Some(Final)),
    code("ERROR", Some("4"), Some(Final)),
    code("NO DIALTONE", Some("6"), Some(Final)),
    code("BUSY", Some("7"), Some(Final)),
    code("NO ANSWER", Some("8"), Some(Final)),
    code("NO DIAL TONE", None, Some(Final)),
    code("DELAYED", None, Some(Final)),
    code("BLACKLISTED", None, Some(Final)),
    code("VOICE", None, None),
    code("FAX", None, None),
    code("DATA", None, None),
    code("+CME ERROR", None, Some(Final)),
    code("+CMS ERROR", None, Some(Final)),
];

/// What a modem says on its own, by the name a line starts with (27.007, 27.005, common
/// vendors). A `+` one is also the information text of the command that asks for it
/// (`+CREG: 0,1` answers `AT+CREG?`).
pub const UNSOLICITED: &[&str] = &[
    "RING", "+CRING", "+CLIP", "+CCWA", "+CMTI", "+CMT", "+CDSI", "+CDS", "+CBM", "+CREG", "+CGREG", "+CEREG", "+CUSD",
    "+CIEV", "+CGEV", "+CTZV", "+CTZE", "RDY", "+WIND", "^RSSI", "^MODE", "^BOOT", "+PBREADY", "+CFUN", "+QIND",
    "+CPIN",
];

/// Whether `name` is a result code the language accepts as a bare pattern.
pub fn is_result_code(name: &str) -> bool {
    name.starts_with('+') || named(name).is_some()
}

/// The code a script writes as `name`: `NO CARRIER`.
pub fn named(name: &str) -> Option<&'static ResultCode> {
    RESULT_CODES.iter().find(|c| c.text == name)
}

/// The code whose numeric form is `number`: `3` is `NO CARRIER`.
pub fn numbered(number: &str) -> Option<&'static ResultCode> {
    RESULT_CODES.iter().find(|c| c.number == Some(number))
}

/// The codes that are words, not `+NAME`: what a message lists, since every `+NAME` is a
/// result code.
pub fn words() -> impl Iterator<Item = &'static str> {
    RESULT_CODES.iter().map(|c| c.text).filter(|t| !t.starts_with('+'))
}

/// The code a line from the modem (verbose, trimmed) is, if any: see [`ResultCode::is`].
pub fn of_line(line: &str) -> Option<&'static ResultCode> {
    RESULT_CODES.iter().find(|c| c.is(line))
}

/// The name a line starts with: `+CREG` of `+CREG: 0,1`, `RING` of `RING`.
pub fn head(line: &str) -> &str {
    line.split([':', ' ']).next().unwrap_or("")
}

/// What a line from the modem (verbose, trimmed) is by its text alone: a final,
/// intermediate or unsolicited result code, or `None` for information text (`+CSQ: 20,99`,
/// `Hayes ...`). The SMS prompt `>` is intermediate. Context is the caller's: `NO CARRIER`
/// when no command waits is the carrier lost, `+CREG: 1` after `AT+CREG?` is its answer.
pub fn classify(line: &str) -> Option<Kind> {
    if line == ">" {
        return Some(Intermediate);
    }
    match of_line(line).and_then(|c| c.kind) {
        Some(kind) => Some(kind),
        None => UNSOLICITED.contains(&head(line)).then_some(Unsolicited),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_by_their_text() {
        let cases = [
            ("OK", Some(Final)),
            ("NO DIAL TONE", Some(Final)),
            ("+CME ERROR: 10", Some(Final)),
            ("+CMS ERROR: 500", Some(Final)),
            ("CONNECT", Some(Intermediate)),
            ("CONNECT 9600/V42", Some(Intermediate)),
            (">", Some(Intermediate)),
            ("RING", Some(Unsolicited)),
            ("+CMTI: \"SM\",3", Some(Unsolicited)),
            ("+CREG: 1", Some(Unsolicited)),
            ("OK then", None),
            ("CONNECTED", None),
            ("VOICE", None),
            ("+CSQ: 20,99", None),
            ("TOKEN BOOK OKAY", None),
        ];
        for (line, kind) in cases {
            assert_eq!(classify(line), kind, "{line}");
        }
    }

    #[test]
    fn codes_by_name_number_and_line() {
        assert_eq!(numbered("3").map(|c| c.text), Some("NO CARRIER"));
        assert_eq!(named("BUSY").and_then(|c| c.number), Some("7"));
        assert_eq!(of_line("+CME ERROR: 10").map(|c| c.text), Some("+CME ERROR"));
        assert!(is_result_code("+CMTI") && is_result_code("NO ANSWER") && !is_result_code("OKK"));
        assert!(words().all(|w| !w.starts_with('+')));
    }
}
