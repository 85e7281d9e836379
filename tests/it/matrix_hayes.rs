//! The Hayes matrix: every Hayes example and every `stdlib/hayes.atc` proc against every
//! simulator profile (all of them speak V.250: GSM modules answer AT, ATI and ATD too) and
//! the Hayes transcripts, each cell with the outcome the modem's behaviour calls for.
//!
//! The table is `tests/data/matrix/hayes.tsv`, one row per cell or group of cells:
//!
//! ```text
//! script  port  params  exit  fragment  seconds
//! ```
//!
//! - `script`: from the repository root (`examples/quickstart.atc`), or a driver script of
//!   one proc in `tests/data/matrix/hayes/`.
//! - `port`: a profile (`zte`), a group (`@all`, `@hayes`: the V.250 engine's profiles,
//!   `@gsm`: the others), or a fixture profile file in `tests/data/matrix/hayes/`; then
//!   optionally `?scenario=FILE` (a file in `tests/data/examples/` or
//!   `tests/data/matrix/hayes/`). `nodtr:PORT` is the same modem on a port without a DTR
//!   line (a pty, stdin/stdout under pppd, TCP). `replay:FILE` plays a transcript of
//!   `tests/data/transcripts/`.
//! - `params`: `name=value` joined by `,`, or `-`.
//! - `exit`: the exit code; `fragment`: text the outcome's message or its `say` lines
//!   (joined with ` | `) must contain, `-` for none; `seconds`: the most modem time the run
//!   may take (virtual time: no wait beyond what the modem's behaviour requires), `-` for
//!   no bound.
//!
//! A row for one profile replaces a group's row with the same script, scenario and params
//! for that profile: the group says what most modems do, the row what one does otherwise.
//! The test prints the whole matrix, fails on any cell whose outcome differs, and fails if
//! an example or a proc lacks a cell on some profile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use atchat::driver::{self, Transcript};
use atchat::port::replay::ReplayPort;
use atchat::port::sim::{SimClock, SimPort};
use atchat::port::{Port, PortError};
use atchat::sim::Profile;
use atchat::syntax::Sources;
use atchat::vm::{ExitStatus, Machine};
use indexmap::IndexMap;

use crate::support::sim::profiles as bundled;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The examples this matrix covers: each must have a cell on every profile.
const EXAMPLES: [&str; 8] = [
    "examples/quickstart.atc",
    "examples/probe.atc",
    "examples/hayes-init.atc",
    "examples/hayes-dial.atc",
    "examples/escape-hangup.atc",
    "examples/sregisters.atc",
    "examples/answer.atc",
    "examples/bbs-login.atc",
];

/// What a more specific row replaces: script, profile, no DTR, scenario, params.
type Key = (String, String, bool, String, String);

/// One cell: a script on one port.
#[derive(Debug, Clone)]
struct Cell {
    line: usize,
    script: String,
    profile: String,
    scenario: String,
    nodtr: bool,
    params: Vec<(String, String)>,
    exit: u8,
    fragment: Option<String>,
    seconds: Option<f64>,
}

impl Cell {
    /// What a more specific row replaces: the same script, scenario and params.
    fn key(&self) -> Key {
        let params = self.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        (self.script.clone(), self.profile.clone(), self.nodtr, self.scenario.clone(), params)
    }

    fn port(&self) -> String {
        let mut port = self.profile.clone();
        if !self.scenario.is_empty() {
            port = format!("{port}?scenario={}", self.scenario);
        }
        if self.nodtr {
            port = format!("nodtr:{port}");
        }
        port
    }
}

/// A file named in the table: in `tests/data/matrix/hayes/`, else `tests/data/examples/`.
fn data_file(name: &str) -> PathBuf {
    let own = root().join("tests/data/matrix/hayes").join(name);
    if own.exists() {
        return own;
    }
    root().join("tests/data/examples").join(name)
}

/// The table's rows expanded into cells, specific rows replacing group rows.
fn cells() -> Vec<Cell> {
    let path = root().join("tests/data/matrix/hayes.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut group: BTreeMap<Key, Cell> = BTreeMap::new();
    let mut single: BTreeMap<Key, Cell> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), index + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').filter(|f| !f.is_empty()).collect();
        let [script, port, params, exit, fragment, seconds] = fields[..] else {
            panic!("{at}: want 6 tab-separated fields, got {}: {line:?}", fields.len());
        };
        assert!(root().join(script).is_file(), "{at}: no script {script}");
        let (nodtr, port) = match port.strip_prefix("nodtr:") {
            Some(rest) => (true, rest),
            None => (false, port),
        };
        let (profiles, scenario) = port.split_once("?scenario=").unwrap_or((port, ""));
        if !scenario.is_empty() {
            assert!(data_file(scenario).is_file(), "{at}: no scenario {scenario}");
        }
        let params: Vec<(String, String)> = match params {
            "-" => Vec::new(),
            list => list
                .split(',')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("{at}: param `{p}` needs name=value"));
                    (k.to_string(), v.to_string())
                })
                .collect(),
        };
        let is_group = profiles.starts_with('@');
        let names: Vec<String> = match profiles {
            "@all" => bundled(Profile::Hayes).into_iter().chain(bundled(Profile::Gsm)).map(String::from).collect(),
            "@hayes" => bundled(Profile::Hayes).into_iter().map(String::from).collect(),
            "@gsm" => bundled(Profile::Gsm).into_iter().map(String::from).collect(),
            group if group.starts_with('@') => panic!("{at}: unknown group {group}"),
            one => vec![one.to_string()],
        };
        for profile in names {
            let cell = Cell {
                line: index + 1,
                script: script.to_string(),
                profile,
                scenario: scenario.to_string(),
                nodtr,
                params: params.clone(),
                exit: exit.parse().unwrap_or_else(|_| panic!("{at}: bad exit `{exit}`")),
                fragment: (fragment != "-").then(|| fragment.to_string()),
                seconds: (seconds != "-")
                    .then(|| seconds.parse().unwrap_or_else(|_| panic!("{at}: bad seconds `{seconds}`"))),
            };
            let table = if is_group { &mut group } else { &mut single };
            if let Some(before) = table.insert(cell.key(), cell) {
                panic!("{at}: the same cell as line {}", before.line);
            }
        }
    }
    for (key, cell) in single {
        group.insert(key, cell);
    }
    let mut cells: Vec<Cell> = group.into_values().collect();
    cells.sort_by_key(|c| c.line);
    cells
}

/// A simulated modem on a port without modem lines: DTR cannot be dropped, as on a pty,
/// stdin/stdout under pppd, or TCP.
struct NoDtr(SimPort);

impl Port for NoDtr {
    fn name(&self) -> &str {
        "nodtr"
    }
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        self.0.write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        self.0.read(buf, timeout)
    }
    fn set_dtr(&mut self, _on: bool) -> Result<(), PortError> {
        Err(PortError::Unsupported { port: "nodtr".into(), op: "set DTR", reason: "a port without modem lines".into() })
    }
    fn set_rts(&mut self, _on: bool) -> Result<(), PortError> {
        Err(PortError::Unsupported { port: "nodtr".into(), op: "set RTS", reason: "a port without modem lines".into() })
    }
    fn send_break(&mut self, d: Duration) -> Result<(), PortError> {
        self.0.send_break(d)
    }
    fn carrier(&mut self) -> Result<bool, PortError> {
        self.0.carrier()
    }
    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.0.set_baud(baud)
    }
    fn discard_input(&mut self) -> Result<(), PortError> {
        self.0.discard_input()
    }
    fn now(&self) -> Duration {
        self.0.now()
    }
}

/// Runs a cell; its outcome, `say` lines and the modem time it took.
fn run(cell: &Cell) -> Result<(ExitStatus, Vec<String>, Duration), String> {
    let mut port: Box<dyn Port> = if let Some(file) = cell.profile.strip_prefix("replay:") {
        Box::new(ReplayPort::open(&root().join("tests/data/transcripts").join(file)).map_err(|e| e.to_string())?)
    } else {
        let profile = if cell.profile.ends_with(".toml") {
            data_file(&cell.profile).display().to_string()
        } else {
            cell.profile.clone()
        };
        let spec = match cell.scenario.as_str() {
            "" => profile,
            file => format!("{profile}?scenario={}", data_file(file).display()),
        };
        let sim = SimPort::open(&spec, SimClock::Virtual).map_err(|e| e.to_string())?;
        if cell.nodtr {
            Box::new(NoDtr(sim))
        } else {
            Box::new(sim)
        }
    };
    let path = root().join(&cell.script);
    let sources = Sources::load(&path).map_err(|e| format!("{e:?}"))?;
    let given: IndexMap<String, String> = cell.params.iter().cloned().collect();
    let errors =
        atchat::check::check(&sources, &atchat::check::CheckOptions { params: Some(given.keys().cloned().collect()) });
    if !errors.is_empty() {
        return Err(atchat::diagnostics::render_plain(&sources, &errors));
    }
    let program = atchat::bytecode::compiler::compile(&sources).map_err(|e| format!("{e:?}"))?;
    let mut vm = Machine::new(program, &given).map_err(|e| format!("{e:?}"))?;
    let mut transcript = Transcript::capturing();
    let start = port.now();
    let outcome = driver::run(&mut vm, port.as_mut(), &mut transcript);
    let took = port.now() - start;
    Ok((outcome, transcript.capture.unwrap_or_default(), took))
}

#[test]
fn hayes_examples_and_procs_on_every_profile_and_transcript() {
    let cells = cells();
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for cell in &cells {
        let params = cell.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        let what =
            format!("{} x {} {}", cell.script.trim_start_matches("tests/data/matrix/hayes/"), cell.port(), params);
        let (outcome, says, took) = match run(cell) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {}: {what}: {e}", cell.line));
                continue;
            }
        };
        let message = outcome.message.clone().unwrap_or_default();
        let said = says.join(" | ");
        let mut wrong = Vec::new();
        if outcome.code != cell.exit {
            wrong.push(format!("exit {} where the table says {}", outcome.code, cell.exit));
        }
        if let Some(part) = &cell.fragment {
            if !message.contains(part.as_str()) && !said.contains(part.as_str()) {
                wrong.push(format!("neither message nor says contain {part:?}"));
            }
        }
        if let Some(most) = cell.seconds {
            if took.as_secs_f64() > most {
                wrong.push(format!("took {:.1} s of modem time, more than {most} s", took.as_secs_f64()));
            }
        }
        let verdict = if wrong.is_empty() { "ok".to_string() } else { format!("FAILS: {}", wrong.join("; ")) };
        let shown = if message.is_empty() { said } else { message };
        lines.push(format!("{what:<72} exit {:<3} {:>6.1}s {shown:?}: {verdict}", outcome.code, took.as_secs_f64()));
        if !wrong.is_empty() {
            problems.push(format!(
                "line {}: {what}: {}; message {:?}; says {:?}",
                cell.line,
                wrong.join("; "),
                outcome.message,
                says
            ));
        }
    }
    eprintln!("Hayes matrix ({} cells):\n  {}", cells.len(), lines.join("\n  "));

    // Coverage: every example and every proc on every profile.
    let lib = std::fs::read_to_string(root().join("stdlib/hayes.atc")).unwrap();
    let procs: Vec<&str> =
        lib.lines().filter_map(|l| l.strip_prefix("proc ")).map(|r| &r[..r.find('(').unwrap()]).collect();
    let profiles: Vec<&str> = bundled(Profile::Hayes).into_iter().chain(bundled(Profile::Gsm)).collect();
    for profile in &profiles {
        let on: Vec<&Cell> = cells.iter().filter(|c| c.profile == *profile && c.exit == 0).collect();
        for example in EXAMPLES {
            if !cells.iter().any(|c| c.profile == *profile && c.script == example) {
                problems.push(format!("{example} has no cell on {profile}"));
            }
        }
        for proc in &procs {
            let call = format!("hayes.{proc}(");
            let called = cells
                .iter()
                .filter(|c| c.profile == *profile)
                .any(|c| std::fs::read_to_string(root().join(&c.script)).unwrap().contains(&call));
            if !called {
                problems.push(format!("hayes.{proc} is called by no cell on {profile}"));
            }
        }
        if on.is_empty() {
            problems.push(format!("no cell succeeds on {profile}"));
        }
    }
    for transcript in ["ati-only-ok.transcript", "hayes-busy.transcript", "hayes-dial-connect.transcript"] {
        if !cells.iter().any(|c| c.profile == format!("replay:{transcript}")) {
            problems.push(format!("no cell plays {transcript}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
