//! Result codes and how they are framed on the wire (V.250 §5.7, 27.007 §9).

use super::settings::Settings;

/// A result code: final (`OK`, `ERROR`, `NO CARRIER`, ...), intermediate (`CONNECT`) or
/// unsolicited (`RING`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResultCode {
    /// `OK` (0).
    Ok,
    /// `CONNECT` (1), with the rate when X ≥ 1 and a rate is known.
    Connect(Option<u32>),
    /// `RING` (2).
    Ring,
    /// `NO CARRIER` (3).
    NoCarrier,
    /// `ERROR` (4).
    Error,
    /// `NO DIALTONE` (6).
    NoDialtone,
    /// `BUSY` (7).
    Busy,
    /// `NO ANSWER` (8).
    NoAnswer,
    /// `+CME ERROR: <n>` (27.007); the form depends on `+CMEE`.
    Cme(u16),
    /// `+CMS ERROR: <n>` (27.005 §3.2.5: the SMS commands' own final, whatever `+CMEE`
    /// says, which sets only its format); plain `ERROR` at `+CMEE=0` on modems whose manual
    /// says so (`cms_needs_cmee`: Wavecom).
    Cms(u16),
    /// A command the modem does not know: `ERROR`, unless the modem profile names its
    /// own final for it (`COMMAND NOT SUPPORT`).
    Unsupported,
    /// A vendor's own final result code, sent as it is (`COMMAND NOT SUPPORT`, or a
    /// `+CME ERROR: 11` that does not follow `+CMEE`). It has no numeric form.
    Vendor(String),
}

impl ResultCode {
    /// The bytes for this result code under `settings` and `+CMEE` mode `cmee`, or nothing
    /// when `Q1` suppresses result codes. `cms_needs_cmee`: `+CMEE=0` turns `+CMS ERROR`
    /// into `ERROR` too.
    pub fn render(&self, settings: &Settings, cmee: u8, cms_needs_cmee: bool) -> Vec<u8> {
        if settings.quiet {
            return Vec::new();
        }
        let (numeric, text) = match self {
            ResultCode::Ok => (0, "OK".to_string()),
            ResultCode::Connect(rate) => match rate {
                Some(rate) if settings.x >= 1 => (1, format!("CONNECT {rate}")),
                _ => (1, "CONNECT".to_string()),
            },
            ResultCode::Ring => (2, "RING".to_string()),
            ResultCode::NoCarrier => (3, "NO CARRIER".to_string()),
            ResultCode::Error | ResultCode::Unsupported => (4, "ERROR".to_string()),
            ResultCode::NoDialtone => (6, "NO DIALTONE".to_string()),
            ResultCode::Busy => (7, "BUSY".to_string()),
            ResultCode::NoAnswer => (8, "NO ANSWER".to_string()),
            ResultCode::Cme(code) => match cmee {
                0 => (4, "ERROR".to_string()),
                1 => return extended(settings, &format!("+CME ERROR: {code}")),
                _ => return extended(settings, &format!("+CME ERROR: {}", cme_text(*code))),
            },
            ResultCode::Cms(_) if cmee == 0 && cms_needs_cmee => (4, "ERROR".to_string()),
            // The numeric form at every +CMEE: the simulator has no verbose texts for them.
            ResultCode::Cms(code) => return extended(settings, &format!("+CMS ERROR: {code}")),
            ResultCode::Vendor(text) => return extended(settings, text),
        };
        let (cr, lf) = (settings.reg(3), settings.reg(4));
        if settings.verbose {
            let mut out = vec![cr, lf];
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(&[cr, lf]);
            out
        } else {
            // V0 numeric codes are the number and S3 only: no header, no LF.
            let mut out = numeric.to_string().into_bytes();
            out.push(cr);
            out
        }
    }
}

/// An extended result code or unsolicited report (`+CME ERROR: 10`, `+CREG: 1`). These have
/// no numeric form, so V0 sends them as information text (`text<CR><LF>`, no header).
/// Q1 suppresses them like any result code.
pub(crate) fn extended(settings: &Settings, text: &str) -> Vec<u8> {
    if settings.quiet {
        return Vec::new();
    }
    information(settings, &[text])
}

/// Information text (`ATI`, `ATS7?`, `+CSQ: ...`): `<CR><LF>lines<CR><LF>` under V1,
/// `lines<CR><LF>` under V0. Lines inside one response are separated by `<CR><LF>`. Q1
/// does not suppress information text.
pub(crate) fn information<S: AsRef<str>>(settings: &Settings, lines: &[S]) -> Vec<u8> {
    let (cr, lf) = (settings.reg(3), settings.reg(4));
    let mut out = Vec::new();
    if settings.verbose {
        out.extend_from_slice(&[cr, lf]);
    }
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&[cr, lf]);
        }
        out.extend_from_slice(line.as_ref().as_bytes());
    }
    out.extend_from_slice(&[cr, lf]);
    out
}

/// The 27.007 §9.2 text of the `+CME ERROR` codes the simulator uses (`+CMEE=2`).
pub(crate) fn cme_text(code: u16) -> &'static str {
    match code {
        0 => "phone failure",
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        13 => "SIM failure",
        14 => "SIM busy",
        16 => "incorrect password",
        21 => "invalid index",
        30 => "no network service",
        50 => "incorrect parameters",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_codes_have_no_line_feed_or_header() {
        let mut s = Settings::factory();
        s.verbose = false;
        assert_eq!(ResultCode::NoCarrier.render(&s, 0, false), b"3\r");
        assert_eq!(information(&s, &["060"]), b"060\r\n");
    }

    #[test]
    fn cme_error_follows_cmee() {
        let s = Settings::factory();
        assert_eq!(ResultCode::Cme(11).render(&s, 0, false), b"\r\nERROR\r\n");
        assert_eq!(ResultCode::Cme(11).render(&s, 1, false), b"\r\n+CME ERROR: 11\r\n");
        assert_eq!(ResultCode::Cme(11).render(&s, 2, false), b"\r\n+CME ERROR: SIM PIN required\r\n");
    }

    #[test]
    fn cms_error_is_sent_whatever_cmee_says_unless_the_profile_ties_it_to_cmee() {
        let s = Settings::factory();
        // 27.005 §3.2.5: +CMEE sets the format of <err>, not whether +CMS ERROR is used.
        assert_eq!(ResultCode::Cms(321).render(&s, 0, false), b"\r\n+CMS ERROR: 321\r\n");
        assert_eq!(ResultCode::Cms(321).render(&s, 1, false), b"\r\n+CMS ERROR: 321\r\n");
        // Wavecom G900 manual §9.1: AT+CMEE=0 gives ERROR for both.
        assert_eq!(ResultCode::Cms(321).render(&s, 0, true), b"\r\nERROR\r\n");
        assert_eq!(ResultCode::Cms(321).render(&s, 1, true), b"\r\n+CMS ERROR: 321\r\n");
    }
}
