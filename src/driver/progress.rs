//! The progress line of `atchat run` on a terminal: while a wait has lasted a second, one
//! line on stderr says what is awaited, where, and for how long
//! (`waiting for OK or ERROR (dial.atc:12)  3.2s / 60s`), redrawn in place a few times a
//! second and erased when the wait ends or anything else is about to be written to stderr,
//! so it is never left behind and never mixed into other lines.
//!
//! Only on a terminal a person watches: the CLI decides ([`Progress::suits_stderr`] and its
//! own rules: one port, not stdin/stdout, a port on the wall clock, no `--no-progress`). It
//! never reaches `--log`, `--record` or syslog, which the transcript writes on its own.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::vm::Pending;

/// A wait shorter than this shows nothing: most answers come well within it.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Time between redraws: the tenths of a second shown move, and a wait costs four wake-ups
/// a second at most.
const TICK: Duration = Duration::from_millis(250);
/// The longest the awaited text may be before it is cut (`…`): the time must stay in view.
const MAX_WHAT: usize = 48;
/// Erase the line the cursor is on and go back to its start.
const ERASE: &str = "\r\x1b[K";

/// Turns the progress line off; set to anything but the empty string.
pub const NO_PROGRESS_ENV: &str = "ATCHAT_NO_PROGRESS";

/// The state of the progress line on stderr.
#[derive(Debug, Default)]
pub struct Progress {
    /// The wait being followed: where it is and when it began.
    wait: Option<(String, Duration)>,
    /// A line is on the screen now.
    drawn: bool,
    /// When the next redraw is due, on the port's clock.
    next_draw: Duration,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Whether this process's stderr suits a progress line: a terminal, `TERM` set and not
    /// `dumb` (Emacs shells, some consoles: no cursor control), and `ATCHAT_NO_PROGRESS`
    /// unset or empty.
    pub fn suits_stderr() -> bool {
        let dumb = match std::env::var_os("TERM") {
            Some(term) => term.is_empty() || term == "dumb",
            None => true,
        };
        let off = std::env::var_os(NO_PROGRESS_ENV).is_some_and(|v| !v.is_empty());
        !dumb && !off && std::io::stderr().is_terminal()
    }

    /// Follows the machine's wait at `now` (the clock the machine runs on): erases the line
    /// when there is no wait or another one, draws it when a redraw is due. Returns how long
    /// the driver may block before the next redraw, or `None` when none is due (no wait: the
    /// driver blocks as long as the effect says).
    pub fn tick(&mut self, awaiting: Option<&Pending>, now: Duration) -> Option<Duration> {
        let Some((awaiting, what)) = awaiting.and_then(|a| Some((a, what(a)?))) else {
            self.clear();
            self.wait = None;
            return None;
        };
        let same = self.wait.as_ref().is_some_and(|(at, started)| *at == awaiting.at && *started == awaiting.started);
        if !same {
            self.clear();
            self.wait = Some((awaiting.at.clone(), awaiting.started));
            self.next_draw = awaiting.started.saturating_add(SHOW_AFTER);
        }
        if now < self.next_draw {
            // A redraw is due then; a line erased meanwhile (`-v` wrote) comes back then too.
            return Some(self.next_draw - now);
        }
        let text = line(&what, awaiting, now, width());
        // A terminal that cannot be written to loses only the progress line: whatever must
        // reach stderr reports its own failure.
        let _ = write!(std::io::stderr(), "\r{text}\x1b[K");
        self.drawn = true;
        self.next_draw = now.saturating_add(TICK);
        Some(TICK)
    }

    /// Erases the line if one is drawn: before anything else is written to stderr, and at
    /// the end of a run.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            let _ = write!(std::io::stderr(), "{ERASE}");
            // Drawn again at the next tick of the same wait, whatever the time.
            if let Some((_, started)) = &self.wait {
                self.next_draw = self.next_draw.min(started.saturating_add(SHOW_AFTER));
            }
        }
    }
}

/// The terminal's width in columns (stderr's), 80 if it cannot say.
fn width() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize, which is plain data, on success.
    let columns = unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) == 0 {
            size.ws_col
        } else {
            0
        }
    };
    if columns == 0 {
        80
    } else {
        usize::from(columns)
    }
}

/// What a wait is doing, as the line says it; `None` for chat's report tail, which only
/// chat runs, and briefly.
fn what(awaiting: &Pending) -> Option<String> {
    Some(match awaiting.kind {
        "expect" | "wait carrier" if awaiting.awaited.is_empty() => "waiting".to_string(),
        "expect" | "wait carrier" => format!("waiting for {}", awaiting.awaited),
        "sleep" => "sleeping".to_string(),
        "pause" => "pausing".to_string(),
        "retry pause" => "pausing before the next attempt".to_string(),
        _ => return None,
    })
}

/// The progress line saying `what` of `awaiting` at `now`, at most `width - 1` characters
/// (a line that filled the last column would wrap on some terminals, and `\r` would not
/// erase it).
fn line(what: &str, awaiting: &Pending, now: Duration, width: usize) -> String {
    let elapsed = now.saturating_sub(awaiting.started);
    let time = match awaiting.deadline {
        Some(deadline) => format!("{} / {}", seconds(elapsed), seconds(deadline.saturating_sub(awaiting.started))),
        None => seconds(elapsed),
    };
    let tail = format!(" ({})  {time}", visible(&awaiting.at));
    let room = width.saturating_sub(1).saturating_sub(tail.chars().count()).clamp(12, MAX_WHAT);
    let line = format!("{}{tail}", cut(&visible(what), room));
    cut(&line, width.saturating_sub(1).max(1))
}

/// Seconds with a tenth (`3.2s`), or whole (`60s`) when that is all there is.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `text` with control characters written as escapes: the line must stay one line.
fn visible(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

/// `text` cut to at most `max` characters, the last of them `…` when it was longer.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awaiting(kind: &'static str, awaited: &str, deadline: Option<u64>) -> Pending {
        Pending {
            kind,
            line: 12,
            at: "dial.atc:12".to_string(),
            awaited: awaited.to_string(),
            patterns: Vec::new(),
            started: Duration::from_secs(100),
            deadline: deadline.map(|d| Duration::from_secs(100 + d)),
            idle: None,
        }
    }

    /// The line as [`Progress::tick`] draws it.
    fn shown(awaiting: &Pending, now: Duration, width: usize) -> String {
        line(&what(awaiting).unwrap(), awaiting, now, width)
    }

    #[test]
    fn a_line_says_what_where_and_how_long() {
        let now = Duration::from_millis(103_240);
        assert_eq!(
            shown(&awaiting("expect", "OK or ERROR", Some(60)), now, 80),
            "waiting for OK or ERROR (dial.atc:12)  3.2s / 60s"
        );
        assert_eq!(
            shown(&awaiting("wait carrier", "carrier", None), now, 80),
            "waiting for carrier (dial.atc:12)  3.2s"
        );
        assert_eq!(
            shown(&awaiting("retry pause", "", Some(30)), now, 80),
            "pausing before the next attempt (dial.atc:12)  3.2s / 30s"
        );
        assert_eq!(what(&awaiting("report", "", Some(1))), None);
    }

    #[test]
    fn a_long_wait_is_cut_and_the_time_stays() {
        let many = ["\"+CME ERROR: {n}\""; 6].join(" or ");
        let long = shown(&awaiting("expect", &many, Some(60)), Duration::from_secs(101), 80);
        assert!(long.ends_with("… (dial.atc:12)  1s / 60s"), "{long}");
        assert!(long.chars().count() <= 79, "{long}");
        // A narrow terminal: the line never reaches the last column.
        let narrow = shown(&awaiting("expect", &many, Some(60)), Duration::from_secs(101), 30);
        assert!(narrow.chars().count() <= 29, "{narrow}");
    }

    #[test]
    fn control_characters_stay_on_the_line() {
        let line = shown(&awaiting("expect", "the answer to `AT\r\x1b[2J`", Some(5)), Duration::from_secs(101), 80);
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(line.contains("AT\\r\\u{1b}[2J"), "{line}");
    }

    #[test]
    fn nothing_is_drawn_in_the_first_second() {
        let mut progress = Progress::new();
        let wait = awaiting("expect", "OK", Some(60));
        // Not drawn: the driver is told to come back when the second is up.
        assert_eq!(progress.tick(Some(&wait), Duration::from_millis(100_300)), Some(Duration::from_millis(700)));
        assert!(!progress.drawn);
        assert_eq!(progress.tick(None, Duration::from_millis(100_400)), None);
    }
}
