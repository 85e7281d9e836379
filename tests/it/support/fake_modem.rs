//! A scripted modem on virtual time, for VM tests that need exact control of what the
//! modem says and when (the simulator covers realistic behaviour).
//!
//! Rules come from the `# modem:` lines of a run case's header:
//! - `# modem: echo` — echo every byte written (E1);
//! - `# modem: "ATZ" => "\r\nOK\r\n"` — when a line equal to `ATZ` is written, reply;
//! - `# modem: "ATDT5551234" => "\r\nCONNECT 9600\r\n" after 3s` — reply after a delay;
//! - `# modem: "ATDT" =>* "\r\nBUSY\r\n"` — `=>*`: the line only has to start with it;
//! - `# modem: at 2s "\r\nRING\r\n"` — unsolicited output at a virtual time;
//! - `# modem: no-dtr` — DTR/RTS/break fail as on a pty;
//! - `# modem: carrier at 4s` — DCD comes up at a virtual time;
//! - `# modem: vanish at 3s` — the port disappears (read and write fail).
//!
//! A rule may be used any number of times; the first matching rule wins.

use std::time::Duration;

use atchat::port::{Port, PortError};

struct Rule {
    trigger: Vec<u8>,
    prefix: bool,
    reply: Vec<u8>,
    delay: Duration,
}

/// The fake modem.
pub struct FakeModem {
    now: Duration,
    echo: bool,
    dtr_works: bool,
    rules: Vec<Rule>,
    /// (due time, bytes) not yet delivered.
    queue: Vec<(Duration, Vec<u8>)>,
    line: Vec<u8>,
    carrier_at: Option<Duration>,
    vanish_at: Option<Duration>,
    /// Everything written, with the virtual time of the write.
    pub written: Vec<(Duration, Vec<u8>)>,
    /// Modem-control operations performed.
    pub controls: Vec<String>,
}

fn unquote(s: &str) -> Vec<u8> {
    let s = s.trim();
    let s = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s);
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut b = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('x') => {
                let h: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&h, 16).unwrap());
            }
            Some(other) => out.push(other as u8),
            None => {}
        }
    }
    out
}

fn duration(s: &str) -> Duration {
    atchat::lang::literal::parse_duration(s.trim()).unwrap_or_else(|| panic!("bad duration {s}"))
}

impl FakeModem {
    /// Builds a modem from rules, the values of a case's `# modem:` lines.
    pub fn from_rules<'a>(rules: impl IntoIterator<Item = &'a str>) -> FakeModem {
        let mut m = FakeModem {
            now: Duration::ZERO,
            echo: false,
            dtr_works: true,
            rules: Vec::new(),
            queue: Vec::new(),
            line: Vec::new(),
            carrier_at: None,
            vanish_at: None,
            written: Vec::new(),
            controls: Vec::new(),
        };
        for rule in rules {
            let rule = rule.trim();
            if rule == "echo" {
                m.echo = true;
            } else if rule == "no-dtr" {
                m.dtr_works = false;
            } else if let Some(t) = rule.strip_prefix("carrier at ") {
                m.carrier_at = Some(duration(t));
            } else if let Some(t) = rule.strip_prefix("vanish at ") {
                m.vanish_at = Some(duration(t));
            } else if let Some(rest) = rule.strip_prefix("at ") {
                let (t, bytes) = rest.split_once(' ').unwrap();
                m.queue.push((duration(t), unquote(bytes)));
            } else {
                let (prefix, (trigger, rest)) = match rule.split_once("=>*") {
                    Some(parts) => (true, parts),
                    None => (false, rule.split_once("=>").expect("rule needs =>")),
                };
                let (reply, delay) = match rest.rsplit_once(" after ") {
                    Some((r, d)) => (r, duration(d)),
                    None => (rest, Duration::ZERO),
                };
                m.rules.push(Rule { trigger: unquote(trigger), prefix, reply: unquote(reply), delay });
            }
        }
        m
    }

    fn gone(&self) -> Option<PortError> {
        self.vanish_at.filter(|&t| self.now >= t).map(|_| PortError::Io {
            port: "fake".into(),
            op: "read",
            source: std::io::Error::from_raw_os_error(libc::EIO),
        })
    }

    fn next_due(&self) -> Option<Duration> {
        self.queue.iter().map(|(t, _)| *t).min()
    }
}

impl Port for FakeModem {
    fn name(&self) -> &str {
        "fake"
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        if let Some(e) = self.gone() {
            return Err(e);
        }
        self.written.push((self.now, bytes.to_vec()));
        if self.echo {
            self.queue.push((self.now, bytes.to_vec()));
        }
        for &b in bytes {
            // Ctrl-Z ends an SMS text (and is part of the line the rule names).
            if b == 0x1a {
                self.line.push(b);
            }
            if b == b'\r' || b == 0x1a {
                let line = std::mem::take(&mut self.line);
                let rule =
                    self.rules.iter().find(|r| if r.prefix { line.starts_with(&r.trigger) } else { line == r.trigger });
                if let Some(r) = rule {
                    self.queue.push((self.now + r.delay, r.reply.clone()));
                }
            } else {
                self.line.push(b);
                // `+++` is the escape sequence, never part of a command line.
                if self.line.ends_with(b"+++") {
                    self.line.clear();
                }
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        let due = self.next_due();
        let limit = self.now + timeout;
        let until = match (due, self.vanish_at) {
            (Some(d), _) if d <= limit => d.max(self.now),
            (_, Some(v)) if v <= limit => v.max(self.now),
            _ => limit,
        };
        self.now = until;
        if let Some(e) = self.gone() {
            return Err(e);
        }
        self.queue.sort_by_key(|(t, _)| *t);
        let Some(pos) = self.queue.iter().position(|(t, _)| *t <= self.now) else { return Ok(0) };
        let (t, mut bytes) = self.queue.remove(pos);
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        if n < bytes.len() {
            self.queue.insert(0, (t, bytes.split_off(n)));
        }
        Ok(n)
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        self.control(format!("dtr {}", if on { "on" } else { "off" }), "set DTR")
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        self.control(format!("rts {}", if on { "on" } else { "off" }), "set RTS")
    }

    fn send_break(&mut self, d: Duration) -> Result<(), PortError> {
        self.control(format!("break {}ms", d.as_millis()), "send a break")
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        if !self.dtr_works {
            return Err(PortError::Unsupported {
                port: "fake".into(),
                op: "read carrier",
                reason: "no modem lines".into(),
            });
        }
        Ok(self.carrier_at.is_some_and(|t| self.now >= t))
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.controls.push(format!("baud {baud}"));
        Ok(())
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        let now = self.now;
        self.queue.retain(|(t, _)| *t > now);
        self.controls.push("flush".into());
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }
}

impl FakeModem {
    fn control(&mut self, what: String, op: &'static str) -> Result<(), PortError> {
        if !self.dtr_works {
            return Err(PortError::Unsupported {
                port: "fake".into(),
                op,
                reason: "a pseudo-terminal has no modem control lines (ENOTTY)".into(),
            });
        }
        self.controls.push(what);
        Ok(())
    }
}
