//! The data-driven simulator cases: `tests/data/sim/**/*.case`, one behaviour per file.
//!
//! A case's header says what it shows and sets the modem up; its body is a script of
//! directives run against [`Modem`] on virtual time:
//!
//! ```text
//! # what the case shows
//! # profile: NAME               a bundled profile (docs/sim.md): hayes (the default),
//! #                               gsm, wavecom, huawei-e1752, zte ...
//! # scenario: DIRECTIVE...        (a scenario line, see docs/sim.md; any number)
//!
//! send BYTES                      the DTE sends BYTES now
//! wait DURATION                   virtual time passes (250ms, 2s)
//! expect BYTES                    everything the modem sent since the last expect, exactly
//! dtr on|off  rts on|off  baud N  break
//! carrier on|off                  DCD as the modem drives it, now
//! ```
//!
//! BYTES run to the end of the line, with escapes `\r \n \t \\ \xNN` (`\x20` for a
//! trailing space). An `expect` first collects output up to now; at the end of the case,
//! output not yet expected is a failure too.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use atchat::sim::{Modem, ModemProfile, Scenario};

use crate::support::case::Case;
use crate::support::layer::Layer;

/// Decodes the escapes of a BYTES argument.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).map_err(|_| format!("bad escape \\x{hex}"))?);
            }
            other => return Err(format!("bad escape \\{}", other.map(String::from).unwrap_or_default())),
        }
    }
    Ok(out)
}

/// Shows bytes the way case files write them.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

fn duration(text: &str) -> Result<Duration, String> {
    let (digits, scale) = match text.strip_suffix("ms") {
        Some(d) => (d, 0.001),
        None => (text.strip_suffix('s').ok_or(format!("`{text}` needs ms or s"))?, 1.0),
    };
    let value: f64 = digits.parse().map_err(|_| format!("bad duration `{text}`"))?;
    Ok(Duration::from_secs_f64(value * scale))
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, found `{text}`")),
    }
}

/// Runs one case; `Err` says which line failed and how.
pub fn run_case(case: &Case) -> Result<(), String> {
    let name = case.header.one("profile")?.unwrap_or("hayes");
    let profile = ModemProfile::bundled(name).map_err(|e| format!("profile: {e}"))?;
    let scenario_text: String = case.header.all("scenario").map(|s| format!("{s}\n")).collect();
    let scenario = Scenario::parse(&scenario_text).map_err(|e| format!("scenario: {e}"))?;
    let mut modem: Option<Modem> = None;
    let mut now = Duration::ZERO;
    let mut pending = Vec::new();
    for (i, line) in case.body().lines().enumerate() {
        let at = |e: String| format!("line {}: {e}", case.body_line() + i);
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let m = modem.get_or_insert_with(|| Modem::with_profile(profile.clone(), scenario.clone()));
        match word {
            "send" => m.receive(now, &unescape(rest).map_err(at)?),
            "wait" => now += duration(rest.trim()).map_err(at)?,
            "expect" => {
                m.poll_output(now, &mut pending);
                let wanted = unescape(rest).map_err(at)?;
                if pending != wanted {
                    return Err(at(format!(
                        "at {now:?}\n  expected: {}\n  got:      {}",
                        escape(&wanted),
                        escape(&pending)
                    )));
                }
                pending.clear();
            }
            "dtr" => m.set_dtr(now, on_off(rest.trim()).map_err(at)?),
            "rts" => m.set_rts(now, on_off(rest.trim()).map_err(at)?),
            "break" => m.send_break(now, Duration::from_millis(250)),
            "baud" => m.set_baud(rest.trim().parse().map_err(|_| at(format!("bad baud `{rest}`")))?),
            "carrier" => {
                let wanted = on_off(rest.trim()).map_err(at)?;
                m.poll_output(now, &mut pending);
                if m.carrier() != wanted {
                    return Err(at(format!("at {now:?} carrier is {}", m.carrier())));
                }
            }
            other => return Err(at(format!("unknown directive `{other}`"))),
        }
    }
    if let Some(m) = &mut modem {
        m.poll_output(now, &mut pending);
    }
    if !pending.is_empty() {
        return Err(format!("output never expected: {}", escape(&pending)));
    }
    Ok(())
}

#[test]
fn every_case_in_tests_data_sim_passes() {
    Layer::new("tests/data/sim", "case").recursive().keys(&["profile", "scenario"]).at_least(40).run(run_case);
}

#[test]
fn the_runner_notices_wrong_output() {
    let case = |text: &str| Case::new("t".into(), PathBuf::new(), text.into());
    assert!(run_case(&case("send AT\\r\nexpect AT\\r\\r\\nOK\\r\\n\n")).is_ok());
    assert!(run_case(&case("send AT\\r\nexpect AT\\r\\r\\nERROR\\r\\n\n")).is_err());
    assert!(run_case(&case("send AT\\r\n")).is_err(), "unexpected leftover output must fail");
    let late = run_case(&case("# x\n# profile: gsm\n\nsend AT\\r\nexpect nothing\n")).unwrap_err();
    assert!(late.starts_with("line 5: "), "{late}");
}
