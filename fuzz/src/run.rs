//! Running a program on the simulated modem, on virtual time, with a bound on how much it
//! may do; the modem's bytes are recorded so two runs can be compared.

use std::sync::Once;
use std::time::Duration;

use atchat::bytecode::Program;
use atchat::driver::{self, Transcript};
use atchat::port::sim::{SimClock, SimPort};
use atchat::port::{Port, PortError};
use atchat::sim::{Modem, Profile, Scenario};
use atchat::vm::{ExitStatus, Machine};
use indexmap::IndexMap;

/// Port operations one run may perform before it is stopped. Scripts may legitimately loop
/// for a long time (`retry 255 times every 1s`); on virtual time that costs no time but
/// does cost the fuzzer executions.
pub const PORT_BUDGET: u32 = 5_000;

/// The simulated modem on virtual time, stopping the run after [`PORT_BUDGET`] operations
/// the way a user would: with SIGTERM, which the driver turns into a clean exit 2.
pub struct BudgetPort {
    inner: SimPort,
    left: u32,
    /// Every byte written to the modem, in order.
    pub written: Vec<u8>,
}

impl BudgetPort {
    pub fn new(profile: Profile) -> BudgetPort {
        BudgetPort::with_modem(Modem::new(profile, Scenario::default()))
    }

    pub fn with_modem(modem: Modem) -> BudgetPort {
        BudgetPort::with_budget(modem, PORT_BUDGET)
    }

    pub fn with_budget(modem: Modem, budget: u32) -> BudgetPort {
        BudgetPort {
            inner: SimPort::with_modem("sim:fuzz".to_string(), modem, SimClock::Virtual),
            left: budget,
            written: Vec::new(),
        }
    }

    /// Counts one operation; past the budget, asks the driver to stop.
    fn spend(&mut self) -> Result<(), PortError> {
        if self.left == 0 {
            // The handler only sets the driver's stop flag (installed in `run_program`).
            // SAFETY: raising a signal whose handler is async-signal-safe.
            unsafe { libc::raise(libc::SIGTERM) };
            return Err(PortError::Closed { port: self.inner.name().to_string() });
        }
        self.left -= 1;
        Ok(())
    }
}

impl Port for BudgetPort {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        self.spend()?;
        self.written.extend_from_slice(bytes);
        self.inner.write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        self.spend()?;
        self.inner.read(buf, timeout)
    }
    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        self.spend()?;
        self.inner.set_dtr(on)
    }
    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        self.spend()?;
        self.inner.set_rts(on)
    }
    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        self.spend()?;
        self.inner.send_break(duration)
    }
    fn carrier(&mut self) -> Result<bool, PortError> {
        self.spend()?;
        self.inner.carrier()
    }
    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.spend()?;
        self.inner.set_baud(baud)
    }
    fn discard_input(&mut self) -> Result<(), PortError> {
        self.spend()?;
        self.inner.discard_input()
    }
    fn now(&self) -> Duration {
        self.inner.now()
    }
    fn pause(&mut self, duration: Duration) {
        // A loop of pauses reads nothing, so it is stopped by the signal alone.
        let _ = self.spend();
        self.inner.pause(duration);
    }
}

static HANDLERS: Once = Once::new();

/// Runs `program` with `params` on `port` to its end; `None` when the machine cannot be set
/// up (a missing param: exit 1 in the CLI). Transcript and `say` output are captured, not
/// printed, but are produced: masking and formatting run as in `atchat run -v`.
pub fn run_program(program: Program, params: &IndexMap<String, String>, port: &mut BudgetPort) -> Option<ExitStatus> {
    HANDLERS.call_once(driver::install_signal_handlers);
    // A stop flag left over from an earlier run must not stop this one.
    let _ = driver::take_signal();
    let mut vm = Machine::new(program, params).ok()?;
    let mut transcript = Transcript::capturing();
    // The JSON log is written (to nowhere) so that its formatting and masking run too.
    transcript.log = Some(Box::new(std::io::sink()));
    // chat's own output (-v logs, -V, REPORT) is produced and dropped, not printed.
    transcript.sink = Some(Box::new(|_| {}));
    let outcome = driver::run(&mut vm, port, &mut transcript);
    let _ = driver::take_signal();
    Some(outcome)
}

impl BudgetPort {
    /// Whether the run used up its budget (and was stopped rather than ending on its own).
    pub fn exhausted(&self) -> bool {
        self.left == 0
    }
}

/// A value for every param of `program` that has no default, so that it can run.
pub fn params_for(program: &Program) -> IndexMap<String, String> {
    program
        .globals
        .iter()
        .filter(|g| g.param.as_ref().is_some_and(|p| p.default.is_none()))
        .map(|g| (g.name.clone(), "5551234".to_string()))
        .collect()
}
