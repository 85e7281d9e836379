//! `sim:` ports: the simulated modem in-process (`sim:hayes`, `sim:huawei-e1752`,
//! `sim:./my-modem.toml`, `sim:gsm?scenario=FILE`).
//!
//! The port carries every modem line (DTR, RTS, break, DCD, baud) straight to the
//! [`Modem`] engine. On [`SimClock::Virtual`] time only moves when the driver waits in
//! [`Port::read`] or [`Port::pause`], and then jumps straight to the modem's next event: a
//! script with a 60 s timeout against the virtual sim finishes at once. [`super::open`]
//! opens `sim:` specs on [`SimClock::Real`]; tests open them here on virtual time.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{monotonic_now, Port, PortError};
use crate::sim::{
    LinkEvent, LinkRequest, Modem, ModemProfile, ProfileError, Scenario, ScenarioError, MAX_PROFILE_BYTES,
};

/// Reads and parses a scenario file. The engine only parses text; the file is read here,
/// at the edge, for `sim:` ports and for `atchat sim --scenario`.
pub fn read_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = crate::input::read_to_string(path, crate::input::SCENARIO)
        .map_err(|source| ScenarioError::Read { path: path.display().to_string(), source })?;
    Scenario::parse(&text)
}

/// The modem profile `name_or_file` names: a bundled profile's name (`gsm`,
/// `huawei-e1752`), or a path to a TOML file (it has a `/` or ends in `.toml`). The file
/// is read here, at the edge, for `sim:` ports and for `atchat sim --profile`. A bundled
/// profile is parsed once and shared by every modem that runs it (a bank of `sim:` ports).
pub fn load_profile(name_or_file: &str) -> Result<Arc<ModemProfile>, ProfileError> {
    if !(name_or_file.contains('/') || name_or_file.ends_with(".toml")) {
        return ModemProfile::bundled_shared(name_or_file);
    }
    let read_error = |source| ProfileError::Read { path: name_or_file.to_string(), source };
    let file = std::fs::File::open(name_or_file).map_err(read_error)?;
    // Read one byte past the limit, so a larger file is told apart without reading it all.
    let mut text = String::new();
    use std::io::Read as _;
    file.take(MAX_PROFILE_BYTES as u64 + 1).read_to_string(&mut text).map_err(read_error)?;
    ModemProfile::parse(name_or_file, &text).map(Arc::new)
}

/// Which clock a [`SimPort`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimClock {
    /// The monotonic wall clock: `read` really waits (for `atchat run`, the REPL).
    Real,
    /// Virtual time: `read` advances the clock instead of sleeping (for tests).
    Virtual,
}

/// The simulated modem as a [`Port`].
#[derive(Debug)]
pub struct SimPort {
    name: String,
    /// `name` with the PIN masked, for recordings.
    recorded_name: String,
    modem: Modem,
    clock: SimClock,
    /// Real clock: the monotonic time the sim started at.
    origin: Duration,
    /// Virtual clock: time since the sim started.
    virtual_now: Duration,
    /// Output produced but not yet read.
    pending: Vec<u8>,
}

impl SimPort {
    /// Opens a sim port from `spec`, what follows `sim:`: a profile (a bundled name such
    /// as `hayes`, `gsm`, `huawei-e1752`, or a `.toml` file) then optional
    /// `?key=value&...` with `scenario=FILE`, `pin=DIGITS` and `clock=virtual` (which wins
    /// over `clock`: a dry run of a script whose waits take no real time, and transcripts
    /// whose times tests can state exactly).
    pub fn open(spec: &str, mut clock: SimClock) -> Result<SimPort, PortError> {
        let bad = |reason: String| PortError::BadSpec { spec: format!("sim:{spec}"), reason };
        let (profile, query) = spec.split_once('?').unwrap_or((spec, ""));
        let profile = load_profile(profile).map_err(|e| bad(e.to_string()))?;
        let mut scenario = Scenario::default();
        let mut pin = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("scenario", path)) => {
                    scenario = read_scenario(Path::new(path)).map_err(|e| bad(e.to_string()))?;
                }
                Some(("pin", digits)) => {
                    let text = format!("pin {digits}");
                    let parsed = Scenario::parse(&text).map_err(|_| bad(format!("`{digits}` is not a PIN")))?;
                    pin = parsed.pin;
                }
                Some(("clock", "virtual")) => clock = SimClock::Virtual,
                Some(("clock", "real")) => clock = SimClock::Real,
                _ => {
                    return Err(bad(format!(
                        "unknown option `{pair}`; use `scenario=FILE`, `pin=DIGITS` or `clock=virtual`"
                    )))
                }
            }
        }
        if pin.is_some() {
            scenario.pin = pin;
        }
        let mut port = SimPort::with_modem(format!("sim:{spec}"), Modem::with_profile(profile, scenario), clock);
        port.recorded_name = recorded_name(&port.name);
        Ok(port)
    }

    /// A port around an engine built by the caller (tests that need a custom scenario).
    pub fn with_modem(name: String, mut modem: Modem, clock: SimClock) -> SimPort {
        // No network in-process: a `tcp:` dial string is refused (see `collect`), any
        // other number reaches the built-in far end.
        modem.set_network(|number| number.starts_with("tcp:"));
        SimPort {
            recorded_name: name.clone(),
            name,
            modem,
            clock,
            origin: monotonic_now(),
            virtual_now: Duration::ZERO,
            pending: Vec::new(),
        }
    }

    /// The engine, to inspect what the modem did (messages sent, breaks seen).
    pub fn modem(&self) -> &Modem {
        &self.modem
    }

    /// The time the engine is at.
    fn sim_now(&self) -> Duration {
        match self.clock {
            SimClock::Real => monotonic_now().saturating_sub(self.origin),
            SimClock::Virtual => self.virtual_now,
        }
    }

    fn collect(&mut self) {
        let now = self.sim_now();
        self.modem.poll_output(now, &mut self.pending);
        for request in self.modem.take_link_requests() {
            if let LinkRequest::Dial(number) = request {
                // The in-process sim opens no sockets: say why the dial fails, as
                // information text, before the modem's NO CARRIER.
                let note = format!(
                    "\r\n{number}: the in-process sim does not dial TCP; serve it with \
                     `atchat sim --pty` (docs/sim.md)\r\n"
                );
                self.pending.extend_from_slice(note.as_bytes());
                self.modem.link_event(now, LinkEvent::Hangup);
                self.modem.poll_output(now, &mut self.pending);
            }
        }
    }

    fn take(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        n
    }
}

/// `sim:gsm?pin=1234&...` as `sim:gsm?pin=***&...`: a recording shows no PIN.
fn recorded_name(name: &str) -> String {
    let Some((head, query)) = name.split_once('?') else {
        return name.to_string();
    };
    let pairs: Vec<&str> =
        query.split('&').map(|pair| if pair.starts_with("pin=") { "pin=***" } else { pair }).collect();
    format!("{head}?{}", pairs.join("&"))
}

impl Port for SimPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn recorded_name(&self) -> String {
        self.recorded_name.clone()
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        let now = self.sim_now();
        self.modem.receive(now, bytes);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        let deadline = self.sim_now().saturating_add(timeout);
        loop {
            self.collect();
            if !self.pending.is_empty() || buf.is_empty() {
                return Ok(self.take(buf));
            }
            let now = self.sim_now();
            if now >= deadline {
                return Ok(0);
            }
            // Wake at the modem's next event if it comes before the deadline. An event
            // already due (it produced no output) must not stall the loop: step past it.
            let wake = match self.modem.next_wakeup() {
                Some(w) if w > now => w.min(deadline),
                Some(_) => now.saturating_add(Duration::from_nanos(1)).min(deadline),
                None => deadline,
            };
            match self.clock {
                SimClock::Virtual => self.virtual_now = wake,
                SimClock::Real => {
                    // Woken early (a stop, a signal): give the caller a look at why.
                    super::wake::sleep(wake.saturating_sub(now));
                    if self.sim_now() < wake {
                        return Ok(0);
                    }
                }
            }
        }
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        let now = self.sim_now();
        self.modem.set_dtr(now, on);
        Ok(())
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        let now = self.sim_now();
        self.modem.set_rts(now, on);
        Ok(())
    }

    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        let now = self.sim_now();
        self.modem.send_break(now, duration);
        if self.clock == SimClock::Virtual {
            // A break occupies the line for its duration, as on a real port.
            self.virtual_now = self.virtual_now.saturating_add(duration);
        }
        Ok(())
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        // Bring the modem up to now first: the carrier may have been lost meanwhile.
        self.collect();
        Ok(self.modem.carrier())
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.modem.set_baud(baud);
        Ok(())
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        self.collect();
        self.pending.clear();
        Ok(())
    }

    fn now(&self) -> Duration {
        match self.clock {
            SimClock::Real => monotonic_now(),
            SimClock::Virtual => self.virtual_now,
        }
    }

    fn pause(&mut self, duration: Duration) {
        match self.clock {
            SimClock::Real => std::thread::sleep(duration),
            SimClock::Virtual => self.virtual_now = self.virtual_now.saturating_add(duration),
        }
    }
}
