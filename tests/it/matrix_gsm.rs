//! The GSM matrix: every GSM example and every `stdlib/gsm.atc` proc against every GSM
//! modem profile of the simulator and the GSM transcripts of the corpus, in the scenarios
//! that matter to a user (success, a SIM that wants a PIN, a wrong PIN, a refused command,
//! a call answered / rejected / not answered / busy, a missing final result code).
//!
//! The table is `tests/data/matrix/gsm.tsv`, one row a line, tab-separated:
//!
//! ```text
//! port  scenario  script  params  exit  message  say
//! ```
//!
//! - `port`: a profile (`zte`), a comma list of them, `*` for every GSM profile,
//!   `replay:NAME` (a transcript of `tests/data/transcripts/`), or `NAME.toml` (a test
//!   fixture profile in `tests/data/matrix/gsm/`).
//! - `scenario`: a file of `tests/data/matrix/gsm/` without `.scenario`, or `-`.
//! - `script`: `examples/NAME.atc`, or statements run after `use gsm` (`;` between them).
//! - `params`: `name=value` pairs separated by spaces, or `-`.
//! - `exit`: the exit code the MODEM's behaviour calls for (its profile, scenario or
//!   transcript, whose sources are cited there): never copied from a run.
//! - `message`, `say`: a part of the outcome's message, of the `say` lines (and `print`
//!   lines, as `print: TEXT`) joined by `|`; `-` when nothing is required.
//!
//! A later row for the same port, scenario, script and params replaces an earlier one, so
//! a `*` row states the rule and the rows after it the vendors that differ. The test runs
//! every cell, prints the whole matrix (eprintln, for the record) and fails on any mismatch.

use std::path::{Path, PathBuf};

use atchat::driver::{self, Transcript};
use atchat::port::replay::ReplayPort;
use atchat::port::sim::{SimClock, SimPort};
use atchat::port::Port;
use atchat::syntax::Sources;
use atchat::vm::{ExitStatus, Machine};
use indexmap::IndexMap;

/// The simulator's GSM profiles (`src/sim/profiles/`, all but the Hayes ones).
fn gsm_profiles() -> Vec<&'static str> {
    crate::support::sim::profiles(atchat::sim::Profile::Gsm)
}

/// The procs of `stdlib/gsm.atc` the matrix must call, each in some row.
const PROCS: [&str; 16] = [
    "unlock",
    "wait_registered",
    "signal",
    "operator",
    "text_mode",
    "send_sms",
    "list_sms",
    "read_sms",
    "sms_sender",
    "delete_sms",
    "call",
    "call_state",
    "wait_call_end",
    "end_call",
    "pdp_context",
    "dial_data",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One cell: where, what, and what the modem's behaviour calls for.
#[derive(Debug, Clone)]
struct Cell {
    line: usize,
    port: String,
    scenario: String,
    script: String,
    params: String,
    exit: u8,
    message: String,
    say: String,
}

/// The rows of the table, `*` and lists expanded, later rows replacing earlier ones.
fn cells() -> Vec<Cell> {
    let path = root().join("tests/data/matrix/gsm.tsv");
    let text = std::fs::read_to_string(&path).expect("tests/data/matrix/gsm.tsv");
    let mut cells: IndexMap<(String, String, String, String), Cell> = IndexMap::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        assert_eq!(fields.len(), 7, "gsm.tsv:{}: 7 tab-separated fields, not {}: {line}", index + 1, fields.len());
        let exit = fields[4].parse().unwrap_or_else(|_| panic!("gsm.tsv:{}: exit `{}`", index + 1, fields[4]));
        let ports: Vec<String> = match fields[0] {
            "*" => gsm_profiles().iter().map(|p| p.to_string()).collect(),
            list => list.split(',').map(|p| p.trim().to_string()).collect(),
        };
        for port in ports {
            assert!(
                port.starts_with("replay:") || port.ends_with(".toml") || gsm_profiles().contains(&port.as_str()),
                "gsm.tsv:{}: `{port}` is no GSM profile",
                index + 1
            );
            let cell = Cell {
                line: index + 1,
                port: port.clone(),
                scenario: fields[1].to_string(),
                script: fields[2].to_string(),
                params: fields[3].to_string(),
                exit,
                message: fields[5].to_string(),
                say: fields[6].to_string(),
            };
            cells.insert((port, cell.scenario.clone(), cell.script.clone(), cell.params.clone()), cell);
        }
    }
    cells.into_values().collect()
}

fn scenario_path(name: &str) -> PathBuf {
    let path = root().join("tests/data/matrix/gsm").join(format!("{name}.scenario"));
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The script of a cell, loaded: an example file, or statements after `use gsm`.
fn sources(script: &str) -> Sources {
    if script.ends_with(".atc") {
        return Sources::load(&root().join(script)).unwrap_or_else(|e| panic!("{script}: {e:?}"));
    }
    let text = format!("use gsm\n{}\n", script.replace("; ", "\n"));
    Sources::from_text("matrix.atc", &text, None)
}

/// Runs one cell; returns the outcome and the `say` lines, or why it could not run.
fn run(cell: &Cell) -> Result<(ExitStatus, Vec<String>), String> {
    let mut port: Box<dyn Port> = match cell.port.strip_prefix("replay:") {
        Some(name) => {
            let path = root().join("tests/data/transcripts").join(format!("{name}.transcript"));
            Box::new(ReplayPort::open(&path).map_err(|e| e.to_string())?)
        }
        None => {
            let profile = match cell.port.ends_with(".toml") {
                true => root().join("tests/data/matrix/gsm").join(&cell.port).display().to_string(),
                false => cell.port.clone(),
            };
            let spec = match cell.scenario.as_str() {
                "-" => profile,
                name => format!("{profile}?scenario={}", scenario_path(name).display()),
            };
            Box::new(SimPort::open(&spec, SimClock::Virtual).map_err(|e| e.to_string())?)
        }
    };
    let params: IndexMap<String, String> = match cell.params.as_str() {
        "-" => IndexMap::new(),
        list => list
            .split(' ')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("gsm.tsv:{}: param `{p}`", cell.line));
                (k.to_string(), v.to_string())
            })
            .collect(),
    };
    let sources = sources(&cell.script);
    let options = atchat::check::CheckOptions { params: Some(params.keys().cloned().collect()) };
    let errors = atchat::check::check(&sources, &options);
    if !errors.is_empty() {
        return Err(atchat::diagnostics::render_plain(&sources, &errors));
    }
    let program = atchat::bytecode::compiler::compile(&sources).map_err(|e| e.to_string())?;
    let mut vm = Machine::new(program, &params).map_err(|e| e.to_string())?;
    let mut transcript = Transcript::capturing();
    let outcome = driver::run(&mut vm, port.as_mut(), &mut transcript);
    Ok((outcome, transcript.capture.unwrap_or_default()))
}

#[test]
fn every_gsm_example_and_proc_does_what_the_modem_calls_for() {
    let cells = cells();
    let mut rows = Vec::new();
    let mut wrong = Vec::new();
    for cell in &cells {
        let what = format!("{:<26} {:<12} {:<40} {:<22}", cell.port, cell.scenario, cell.script, cell.params);
        let (outcome, says) = match run(cell) {
            Ok(result) => result,
            Err(e) => {
                wrong.push(format!("gsm.tsv:{}: {what}: does not run: {e}", cell.line));
                continue;
            }
        };
        let message = outcome.message.clone().unwrap_or_default();
        let said = says.join("|");
        let mut problems = Vec::new();
        if outcome.code != cell.exit {
            problems.push(format!("exit {} where the modem calls for {}", outcome.code, cell.exit));
        }
        if cell.message != "-" && !message.contains(&cell.message) {
            problems.push(format!("the message lacks {:?}", cell.message));
        }
        if cell.say != "-" && !said.contains(&cell.say) {
            problems.push(format!("the say lines lack {:?}", cell.say));
        }
        let verdict = if problems.is_empty() { "ok".to_string() } else { format!("WRONG: {}", problems.join("; ")) };
        let shown = if message.is_empty() { said.clone() } else { message.clone() };
        rows.push(format!("{what} exit {:>2} {verdict:<4} {shown}", outcome.code));
        if !problems.is_empty() {
            wrong.push(format!("gsm.tsv:{}: {what}: {}: {message:?}, said {said:?}", cell.line, problems.join("; ")));
        }
    }
    eprintln!("GSM matrix ({} cells; port scenario script params: exit verdict message-or-say):", rows.len());
    for row in &rows {
        eprintln!("  {row}");
    }
    assert!(wrong.is_empty(), "{} of {} cells are wrong:\n{}", wrong.len(), cells.len(), wrong.join("\n"));
}

#[test]
fn the_matrix_covers_every_profile_example_proc_and_gsm_transcript() {
    let cells = cells();
    for profile in gsm_profiles() {
        assert!(cells.iter().any(|c| c.port == profile), "no row runs on {profile}");
    }
    for example in ["gsm-status.atc", "signal.atc", "gsm-sms.atc", "gsm-voice-call.atc", "gprs-ppp.atc"] {
        for profile in gsm_profiles() {
            let runs = cells.iter().filter(|c| c.port == profile && c.script == format!("examples/{example}"));
            assert!(runs.count() >= 2, "{example} on {profile}: a success and a failure are needed");
        }
    }
    let lib = std::fs::read_to_string(root().join("stdlib/gsm.atc")).unwrap();
    let defined: Vec<&str> =
        lib.lines().filter_map(|l| l.strip_prefix("proc ")).map(|rest| &rest[..rest.find('(').unwrap()]).collect();
    assert_eq!(defined, PROCS, "stdlib/gsm.atc's procs and PROCS differ");
    for name in PROCS {
        for profile in gsm_profiles() {
            let call = format!("gsm.{name}(");
            let direct = cells.iter().any(|c| c.port == profile && c.script.contains(&call));
            // call_state is called by call, never alone: the rows of call cover it.
            let via_call =
                name == "call_state" && cells.iter().any(|c| c.port == profile && c.script.contains("gsm.call("));
            assert!(direct || via_call, "gsm.{name} never runs on {profile}");
        }
    }
    // The GSM transcripts: every one that runs a GSM example or gsm.atc.
    for entry in std::fs::read_dir(root().join("tests/data/transcripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "transcript") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let gsm = [
            "examples/gsm-",
            "examples/gprs-ppp",
            "tests/data/transcripts/scripts/unlock.atc",
            "tests/data/transcripts/scripts/call.atc",
        ]
        .iter()
        .any(|s| text.contains(&format!("# script: {s}")));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if gsm {
            assert!(
                cells.iter().any(|c| c.port == format!("replay:{name}")),
                "the GSM transcript {name} is not in the matrix"
            );
        }
    }
}
