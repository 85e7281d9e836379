//! A bank: one script on many ports at once, from one process (`atchat run --port A --port B`,
//! `--port '/dev/ttyUSB*'`, `--ports FILE`).
//!
//! Each port gets a thread of its own running one [`Session`] on the driver, with its own
//! params, UUCP lock, clock and deadlines: a session blocks only its own thread, and a port
//! that fails to open, fails mid-run or vanishes ends only its own session. The sessions
//! share the script's compiled program, stderr and the `--log` file (whole lines, each with
//! its port). `--fail-fast` sets a flag every other session checks, so they hang up as on
//! SIGTERM; a signal stops them all the same way.

pub mod glob;
pub mod ports_file;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::driver::Transcript;
use crate::port::{self, PortSpec, SerialOptions};
use crate::record::Recorder;
use crate::session::Session;
use crate::vm::ExitStatus;

/// Stack of a session's thread. The driver and the VM do not recurse (the VM keeps its
/// frames on the heap), so a small stack is plenty; only the pages touched count in memory.
const STACK: usize = 256 * 1024;

/// One port of a bank and the params its session runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The port spec (a glob already expanded).
    pub port: String,
    /// The values given for this port (`--ports FILE`), over those given for all (`-D`).
    pub params: IndexMap<String, String>,
}

/// The members the command line names: each `--port` (a glob expanded to its matches, in
/// sorted order), then each line of the ports file (likewise). `common` are the params of
/// every port, which a line's own params override. A glob that matches nothing, a port named
/// twice (but `sim:`, a new simulated modem each time) or an unreadable ports file is an error.
pub fn members(
    ports: &[String],
    file: Option<&Path>,
    common: &IndexMap<String, String>,
) -> Result<Vec<Member>, String> {
    let mut lines: Vec<(String, IndexMap<String, String>)> =
        ports.iter().map(|p| (p.clone(), IndexMap::new())).collect();
    if let Some(file) = file {
        let text = read_ports_file(file)?;
        let parsed = ports_file::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        lines.extend(parsed.into_iter().map(|l| (l.spec, l.params)));
    }
    let mut out: Vec<Member> = Vec::new();
    for (spec, own) in lines {
        let specs = if glob::is_glob(&spec) {
            let found = glob::expand(&spec)?;
            if found.is_empty() {
                return Err(format!("no port matches `{spec}`"));
            }
            found
        } else {
            vec![spec]
        };
        for port in specs {
            // Each `sim:` port is a modem of its own; anything else named twice is one modem.
            if !port.starts_with("sim:") && out.iter().any(|m| m.port == port) {
                return Err(format!("`{port}` is named twice: one session per port"));
            }
            let mut params = common.clone();
            params.extend(own.clone());
            out.push(Member { port, params });
        }
    }
    Ok(out)
}

fn read_ports_file(file: &Path) -> Result<String, String> {
    crate::input::read_to_string(file, crate::input::PORTS_FILE)
        .map_err(|e| format!("cannot read the ports file `{}`: {e}", file.display()))
}

/// How a bank runs.
#[derive(Default)]
pub struct Options {
    /// Serial line settings for device ports.
    pub serial: SerialOptions,
    /// Stop every other session (hanging up) once one fails.
    pub fail_fast: bool,
    /// Transcript lines on stderr (`-v`), each led by its port.
    pub verbose: bool,
    /// The JSON-lines log every session writes to (`--log`), each line with its port.
    pub log: Option<SharedLog>,
    /// Copy `say` lines (and with `verbose` the transcript) to syslog (`--syslog`).
    pub syslog: bool,
}

/// How one port's session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The port spec.
    pub port: String,
    /// Its exit code and message.
    pub status: ExitStatus,
    /// From the session's start (opening the port included) to its end.
    pub took: Duration,
}

/// One session of a bank: its port, and the files of its own when `--record` or `--log`
/// name one per port (`rec/{port}.rec`).
pub struct Job {
    /// The port spec.
    pub port: String,
    /// The session to run on it. On the heap, the machine (1 KiB) is not copied into the
    /// thread's frames, whose touched pages stay resident for the session's life.
    pub session: Box<Session>,
    /// Its recording: the file (created already, so a bad name fails before any port opens),
    /// its path for messages, and the header's comment lines.
    pub record: Option<(File, PathBuf, Vec<String>)>,
    /// Its own JSON-lines log, instead of the shared [`Options::log`].
    pub log: Option<File>,
}

impl Job {
    /// A session on `port` with no files of its own.
    pub fn new(port: String, session: Session) -> Job {
        Job { port, session: Box::new(session), record: None, log: None }
    }
}

/// Whether a file name given for a bank names one file per port: it holds `{port}` (the
/// port, as [`file_names`] writes it) or `{n}` (its place in the bank, from 1).
pub fn is_per_port(template: &Path) -> bool {
    let text = template.to_string_lossy();
    text.contains("{port}") || text.contains("{n}")
}

/// The file of each port for a name with `{port}` or `{n}` ([`is_per_port`]). `{port}` is
/// the port with a leading `/dev/` dropped, `sim:` options (`?pin=...`, which may hold a
/// secret) left out, and every character but letters, digits, `.`, `-` and `_` as `_`:
/// `/dev/ttyUSB0` gives `ttyUSB0`, `tcp://modem:2000` gives `tcp___modem_2000`. Two ports
/// that would share a file (`sim:hayes` twice) are an error that says to use `{n}`.
pub fn file_names(template: &Path, ports: &[&str]) -> Result<Vec<PathBuf>, String> {
    let text = template.to_string_lossy();
    let mut names: Vec<PathBuf> = Vec::with_capacity(ports.len());
    for (i, port) in ports.iter().enumerate() {
        let name = PathBuf::from(text.replace("{port}", &port_in_file_name(port)).replace("{n}", &(i + 1).to_string()));
        if let Some(j) = names.iter().position(|n| *n == name) {
            return Err(format!(
                "`{}` and `{port}` would both write `{}`: put `{{n}}` in the name (one file per place in the bank)",
                ports[j],
                name.display()
            ));
        }
        names.push(name);
    }
    Ok(names)
}

fn port_in_file_name(port: &str) -> String {
    let port = port.strip_prefix("/dev/").unwrap_or(port);
    let port = if port.starts_with("sim:") { port.split('?').next().unwrap_or(port) } else { port };
    port.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect()
}

/// Runs every session at once, each on its own thread with its own port, and returns their
/// outcomes in the order given. One session failing, its port vanishing or even its thread
/// dying never ends another (except with `fail_fast`, by design).
pub fn run(jobs: Vec<Job>, options: &Options) -> Vec<Outcome> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let started: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let port = job.port.clone();
                let stop = &stop;
                let spawned = std::thread::Builder::new()
                    .name(format!("atchat {port}"))
                    .stack_size(STACK)
                    .spawn_scoped(scope, move || run_one(job, options, stop));
                (port, Instant::now(), spawned)
            })
            .collect();
        started
            .into_iter()
            .map(|(port, at, spawned)| {
                let failed = |message: String| Outcome {
                    port: port.clone(),
                    status: ExitStatus { code: 2, message: Some(message) },
                    took: at.elapsed(),
                };
                match spawned {
                    Ok(handle) => handle.join().unwrap_or_else(|_| failed("the session's thread panicked".into())),
                    Err(e) => failed(format!("cannot start a thread for `{port}`: {e}")),
                }
            })
            .collect()
    })
}

/// One session from opening its port to its end.
fn run_one(job: Job, options: &Options, stop: &AtomicBool) -> Outcome {
    let Job { port, mut session, record, log } = job;
    let started = Instant::now();
    let status = if stop.load(Ordering::SeqCst) {
        ExitStatus { code: 2, message: Some("not started: another session failed".into()) }
    } else {
        match port.parse().and_then(|spec: PortSpec| port::open(&spec, &options.serial)) {
            Err(e) => ExitStatus { code: 2, message: Some(e.to_string()) },
            Ok(mut opened) => {
                let mut transcript = Transcript::default();
                transcript.verbose = options.verbose;
                transcript.label = Some(port.clone());
                transcript.syslog = options.syslog;
                transcript.log = match log {
                    Some(file) => Some(Box::new(std::io::LineWriter::new(file))),
                    None => options.log.as_ref().map(|l| Box::new(l.writer()) as Box<dyn Write>),
                };
                let recorded = record.map(|(file, path, header)| {
                    transcript.record = Some(Recorder::new(Box::new(std::io::LineWriter::new(file)), header));
                    path
                });
                let status = session.run_until(opened.as_mut(), &mut transcript, stop);
                finish_recording(transcript.record.take(), recorded.as_deref(), status)
            }
        }
    };
    if status.code != 0 && options.fail_fast {
        stop.store(true, Ordering::SeqCst);
        // The others are blocked in their waits: interrupt them.
        port::wake::wake_all();
    }
    Outcome { port, status, took: started.elapsed() }
}

/// A session's status once its recording is complete: a successful run whose recording
/// could not be written is not a success (exit 2), as with one port.
fn finish_recording(recorder: Option<Recorder>, path: Option<&Path>, status: ExitStatus) -> ExitStatus {
    match (recorder.map(Recorder::finish), path) {
        (Some(Err(e)), Some(path)) if status.code == 0 => {
            ExitStatus { code: 2, message: Some(format!("the recording `{}` is incomplete: {e}", path.display())) }
        }
        _ => status,
    }
}

/// The exit status of a bank: 0 if every session succeeded, else the code of the first
/// session that did not, in the order the ports were given (command line, then ports file).
pub fn exit_code(outcomes: &[Outcome]) -> u8 {
    outcomes.iter().map(|o| o.status.code).find(|&c| c != 0).unwrap_or(0)
}

/// The summary table printed at the end: port, exit code, time, message.
pub fn summary(outcomes: &[Outcome]) -> String {
    let width = outcomes.iter().map(|o| o.port.chars().count()).max().unwrap_or(0).max(4);
    let mut out = format!("{:<width$}  EXIT      TIME  MESSAGE\n", "PORT");
    for o in outcomes {
        let message = o.status.message.as_deref().unwrap_or(if o.status.code == 0 { "ok" } else { "" });
        out += &format!("{:<width$}  {:>4}  {:>7.3}s  {message}\n", o.port, o.status.code, o.took.as_secs_f64());
    }
    let failed = outcomes.iter().filter(|o| o.status.code != 0).count();
    out += &format!("{} of {} ports succeeded\n", outcomes.len() - failed, outcomes.len());
    out
}

/// A log file several sessions write to: each session's writer hands it whole lines only,
/// so lines from different ports never interleave.
#[derive(Clone)]
pub struct SharedLog(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedLog {
    /// Shares `file` (written a line at a time).
    pub fn new(file: Box<dyn Write + Send>) -> SharedLog {
        SharedLog(Arc::new(Mutex::new(file)))
    }

    /// A writer for one session.
    pub fn writer(&self) -> LineWriter {
        LineWriter { shared: self.clone(), pending: Vec::new() }
    }
}

/// One session's end of a [`SharedLog`]: keeps a partial line until its newline comes.
pub struct LineWriter {
    shared: SharedLog,
    pending: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let mut file = self.shared.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            file.write_all(&self.pending[..=end])?;
            file.flush()?;
            self.pending.drain(..=end);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut file = self.shared.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(&self.pending)?;
        self.pending.clear();
        file.flush()
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.flush();
        }
    }
}
