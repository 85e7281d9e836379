//! The `atchat` command line: argument parsing and the subcommands' glue. The work itself is
//! in the pipeline modules; this file only connects them and maps failures to exit codes
//! (0 ok, 1 bad invocation or script, 2 port or I/O error or signal, 3 timeout, 4+ `fail`).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueHint};
use indexmap::IndexMap;

use crate::bytecode::{compiler, encoding, Program};
use crate::check::{self, CheckOptions};
use crate::diagnostics;
use crate::driver::{self, Transcript};
use crate::port::{self, PortSpec, SerialOptions};
use crate::session::{Script, Session};
use crate::syntax::ast::StmtKind;
use crate::syntax::Sources;

/// Exit code for a bad invocation or a script that does not compile.
const EXIT_USAGE: u8 = 1;
/// Exit code for a port or I/O error.
const EXIT_IO: u8 = 2;

/// The exit codes every subcommand uses (chat's own are chat(8)'s, the same up to 4), for
/// `atchat --help` and the man page's EXIT STATUS.
const EXIT_CODES: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "bad invocation, or a script that does not compile"),
    ("2", "port or I/O error, or a signal"),
    ("3", "timeout"),
    ("4 and up", "`fail CODE`, or for a bare `fail` in an `on` handler 4 + the handler's index in declaration order"),
];

fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        text += &format!("  {code:<9}{meaning}\n");
    }
    text
}

#[derive(Parser)]
#[command(
    name = "atchat",
    version,
    about = "Automate modems with declarative chat scripts",
    long_about = "Automate modems with declarative chat scripts: init and dial scripts, GSM and \
                  SMS automation, pppd's connect program. `atchat run` runs a script (.atc) \
                  against a serial device, stdin/stdout (-), tcp://host:port, \
                  rfc2217://host:port or the built-in simulated modem (sim:hayes, sim:gsm); \
                  `atchat chat` runs chat(8) scripts unchanged.",
    after_long_help = exit_codes_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script (`.atc`) or a compiled program (`.atcb`) against a modem.
    Run(RunArgs),
    /// Report every static mistake in scripts, without running them.
    Check {
        /// Scripts to check; `-` reads one from stdin.
        #[arg(required_unless_present = "execute", value_hint = ValueHint::FilePath)]
        files: Vec<PathBuf>,
        /// Also check these statements, a script given on the command line (several `-e`
        /// are joined by newlines); messages call it `<-e>`.
        #[arg(short = 'e', value_name = "STATEMENTS")]
        execute: Vec<String>,
    },
    /// Print the bytecode of a script.
    Disasm {
        #[command(flatten)]
        script: ScriptArg,
    },
    /// Compile a script to a bytecode file.
    Compile {
        /// The script to compile (`.atc`; a `.atcb` is read, verified and written again);
        /// `-` reads a script from stdin.
        #[arg(required_unless_present = "execute", value_hint = ValueHint::FilePath)]
        file: Option<PathBuf>,
        /// The statements to compile, given here instead of in a file (several `-e` are
        /// joined by newlines).
        #[arg(short = 'e', value_name = "STATEMENTS", conflicts_with = "file")]
        execute: Vec<String>,
        /// Where to write the program (default: the script's name with `.atcb`; required
        /// for `-` and `-e`).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Serve the simulated modem.
    Sim(crate::serve::SimArgs),
    /// Talk to a modem: AT lines with classified replies, live statements, a step debugger.
    Repl(ReplArgs),
    // Never parsed by clap: `chat::dispatch` takes `atchat chat ...` first. Declared for
    // `atchat help chat`, the man page and completions; the doc is on `ChatHelp`.
    Chat(crate::chat::help::ChatHelp),
    /// Rewrite a chat(8) script as a native script that behaves the same.
    Import {
        /// The chat script.
        file: PathBuf,
        /// Where to write the native script (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The script runs with chat's -E: `$NAME` is an environment variable (a param).
        #[arg(short = 'E', long)]
        env: bool,
        /// The script runs with chat's -t: the timeout in force until its first TIMEOUT.
        #[arg(short = 't', long, value_name = "SECONDS", allow_negative_numbers = true)]
        timeout: Option<i64>,
    },
    /// List the serial ports of this machine: driver, USB vendor:product, manufacturer,
    /// product, interface and serial number, and the stable /dev/serial/by-id names.
    Ports {
        /// Read DIR/sys and DIR/dev instead of /sys and /dev (a copy of another machine's
        /// sysfs, or a test's).
        #[arg(long, value_name = "DIR", default_value = "/", value_hint = ValueHint::DirPath)]
        root: PathBuf,
    },
    /// Print a shell completion script.
    ///
    /// Install it where the shell looks: bash:
    /// /usr/share/bash-completion/completions/atchat, zsh:
    /// /usr/share/zsh/vendor-completions/_atchat, fish:
    /// /usr/share/fish/vendor_completions.d/atchat.fish.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page atchat(1), or write it and one page per subcommand into a folder.
    Man {
        /// Write atchat.1 and atchat-SUBCOMMAND.1 for every subcommand into DIR (created if
        /// missing) instead of printing atchat.1.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// The whole command line as clap knows it: for completions, man pages and tests.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Serial line settings, shared by `run` and `repl`.
#[derive(Args)]
struct LineArgs {
    /// Line speed of a serial device.
    #[arg(short, long, default_value_t = 115_200)]
    baud: u32,
    /// Flow control: none, rtscts or xonxoff.
    #[arg(long, default_value = "none")]
    flow: port::FlowControl,
    /// Parity: none, odd or even.
    #[arg(long, default_value = "none")]
    parity: port::Parity,
    /// Data bits: 5, 6, 7 or 8.
    #[arg(long, default_value = "8")]
    data_bits: port::DataBits,
    /// Stop bits: 1 or 2.
    #[arg(long, default_value = "1")]
    stop_bits: port::StopBits,
}

impl LineArgs {
    fn options(&self) -> SerialOptions {
        SerialOptions {
            baud: self.baud,
            flow: self.flow,
            parity: self.parity,
            data_bits: self.data_bits,
            stop_bits: self.stop_bits,
        }
    }
}

#[derive(Args)]
struct ReplArgs {
    /// The modem (as for `run`); `:port P` in the REPL opens one later.
    #[arg(short, long)]
    port: Option<String>,
    #[command(flatten)]
    line: LineArgs,
}

/// Where the script comes from: a file, stdin (`-`) or the command line (`-e`).
#[derive(Args)]
struct ScriptArg {
    /// The script (`.atc`) or compiled program (`.atcb`); `-` reads a script from stdin
    /// (messages call it `<stdin>`).
    #[arg(required_unless_present = "execute", value_hint = ValueHint::FilePath)]
    file: Option<PathBuf>,
    /// The script's statements, given here instead of in a file (several `-e` are joined
    /// by newlines, as perl and sed join theirs); messages call it `<-e>`. `use` finds
    /// modules in the current folder and the stdlib.
    #[arg(short = 'e', value_name = "STATEMENTS", conflicts_with = "file")]
    execute: Vec<String>,
}

/// [`ScriptArg`] once parsed.
enum Source<'a> {
    File(&'a Path),
    Stdin,
    Inline(&'a [String]),
}

impl ScriptArg {
    fn source(&self) -> Source<'_> {
        match &self.file {
            Some(file) if file.as_os_str() == "-" => Source::Stdin,
            Some(file) => Source::File(file),
            None => Source::Inline(&self.execute),
        }
    }

    /// A compiled program (`.atcb` file), not script text.
    fn compiled(&self) -> Option<&Path> {
        self.file.as_deref().filter(|f| f.as_os_str() != "-" && is_compiled(f))
    }

    /// The name messages and recordings give the script.
    fn name(&self) -> String {
        match self.source() {
            Source::File(file) => file.display().to_string(),
            Source::Stdin => crate::syntax::loader::STDIN_NAME.to_string(),
            Source::Inline(_) => crate::syntax::loader::INLINE_NAME.to_string(),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    script: ScriptArg,
    /// The modem: a device path, `-` (stdin/stdout, as pppd runs a connect program),
    /// `tcp://host:port`, `rfc2217://host:port` or `sim:PROFILE` (`sim:gsm`, `sim:zte`, `sim:my.toml`).
    /// Give it several times, or a quoted glob (`'/dev/ttyUSB*'`, expanded by atchat), to run
    /// the script on every port at once (docs/bank.md).
    #[arg(short, long)]
    port: Vec<String>,
    /// Run on every port this file lists, each with its own params: one port a line,
    /// then NAME=VALUE words (docs/bank.md).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    ports: Option<PathBuf>,
    /// With several ports: stop the others (hanging up) as soon as one fails.
    #[arg(long)]
    fail_fast: bool,
    #[command(flatten)]
    line: LineArgs,
    /// Give a param a value (also read from the environment as `ATCHAT_<name>`).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Print a transcript on stderr: timestamps, direction, control bytes visible.
    #[arg(short, long)]
    verbose: bool,
    /// Write the transcript as JSON lines to this file. With several ports, one file for all
    /// (each line names its port), or one per port if the name holds `{port}` or `{n}`.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Also log to syslog (facility LOCAL2, ident `atchat`, as chat -v does): `say` and `print` lines
    /// and the failure message, and with `-v` the transcript. Secrets stay masked.
    #[arg(long)]
    syslog: bool,
    /// Record the session to this file (every byte each way, with times; secrets masked):
    /// play it back with `--port replay:FILE` (docs/record-replay.md). With several ports
    /// the name holds `{port}` or `{n}`: one recording per port (docs/bank.md).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Open the step debugger (the REPL) on the script, stopped before its first line.
    #[arg(long)]
    debug: bool,
    /// No progress line on a terminal while a wait runs (also `ATCHAT_NO_PROGRESS=1`).
    /// It is shown only when stderr is a terminal (and TERM is not `dumb`), with one port
    /// that is not `-`.
    #[arg(long)]
    no_progress: bool,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    // chat's command line is not clap's: `atchat chat ...` and a binary named `chat` go
    // straight to the chat front end.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = crate::chat::dispatch(&argv) {
        return ExitCode::from(code);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; everything else is a bad invocation.
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Run(args) => ExitCode::from(run(&args)),
        Command::Check { files, execute } => ExitCode::from(check_files(&files, &execute)),
        Command::Disasm { script } => match load_program(&script) {
            Ok(program) => ExitCode::from(write_stdout(crate::bytecode::disassembler::disassemble(&program))),
            Err(code) => ExitCode::from(code),
        },
        Command::Compile { file, execute, output } => ExitCode::from(compile(&ScriptArg { file, execute }, output)),
        Command::Sim(args) => crate::serve::run(&args),
        Command::Repl(args) => ExitCode::from(crate::repl::run(crate::repl::Options {
            port: args.port,
            serial: args.line.options(),
            ..Default::default()
        })),
        Command::Chat(_) => ExitCode::from(EXIT_USAGE),
        Command::Import { file, output, env, timeout } => {
            ExitCode::from(import_chat(&file, output.as_deref(), env, timeout))
        }
        Command::Ports { root } => ExitCode::from(list_ports(&root)),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a stdout it cannot write.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "atchat", &mut script);
            ExitCode::from(write_stdout(script))
        }
        Command::Man { dir } => ExitCode::from(man(dir.as_deref())),
    }
}

/// `atchat ports`: the table on stdout; a note on stderr when there is no port.
fn list_ports(root: &Path) -> u8 {
    match port::info::list(root) {
        Ok(ports) if ports.is_empty() => {
            error("no serial ports found");
            0
        }
        Ok(ports) => write_stdout(port::info::table(&ports)),
        Err(e) => {
            error(e);
            EXIT_IO
        }
    }
}

/// The man page's sections beyond what clap knows: exit status, ports, environment.
fn man_extra_sections() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODES {
        roff += &format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(meaning));
    }
    roff += ".SH PORTS\n";
    for (spec, meaning) in [
        ("/dev/ttyUSB0", "a serial device (with --baud, --flow, --parity, --data-bits, --stop-bits), opened exclusively, with a UUCP lock in /var/lock"),
        ("-", "standard input and output, as pppd runs a connect program"),
        ("tcp://host:port", "a modem served over TCP"),
        ("rfc2217://host:port", "a serial port served over RFC 2217 (Telnet COM-PORT-OPTION)"),
        ("sim:hayes, sim:gsm", "the built-in simulated modem"),
    ] {
        roff += &format!(".TP\n\\fB{}\\fR\n{}\n", roff_text(spec), roff_text(meaning));
    }
    roff += ".SH ENVIRONMENT\n.TP\n\\fBATCHAT_\\fR\\fIname\\fR\nA value for the script's param \\fIname\\fR, unless \\-D gives one.\n";
    roff += &format!(
        ".TP\n\\fB{}\\fR\n{}\n",
        roff_text(driver::progress::NO_PROGRESS_ENV),
        roff_text("Set (not empty): no progress line on a terminal while a wait runs, as with --no-progress."),
    );
    roff += ".SH \"SEE ALSO\"\n\\fBchat\\fR(8), \\fBpppd\\fR(8)\n";
    roff
}

/// Text for roff: a backslash escaped, a hyphen a minus (as options are typed), `code` in
/// bold, a line never starting with a control character.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    let text: String = text
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("\\fB{part}\\fR") } else { part.to_string() })
        .collect();
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

/// `atchat man`: atchat(1) on stdout, or every page into `dir`.
fn man(dir: Option<&Path>) -> u8 {
    let mut command = command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = dir else {
        return write_stdout(top_man_page(&command));
    };
    let mut pages = vec![("atchat.1".to_string(), top_man_page(&command))];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = clap_mangen::Man::new(sub.clone());
        let mut page = Vec::new();
        // Rendering into memory cannot fail.
        let _ = man.render(&mut page);
        pages.push((man.get_filename(), page));
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        error(format!("cannot create `{}`: {e}", dir.display()));
        return EXIT_IO;
    }
    for (name, page) in pages {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, page) {
            error(format!("cannot write `{}`: {e}", path.display()));
            return EXIT_IO;
        }
    }
    0
}

/// atchat(1): clap's sections, then [`man_extra_sections`] before the version.
fn top_man_page(command: &clap::Command) -> Vec<u8> {
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    // Rendering into memory cannot fail.
    let _ = man.render_title(&mut page);
    let _ = man.render_name_section(&mut page);
    let _ = man.render_synopsis_section(&mut page);
    let _ = man.render_description_section(&mut page);
    let _ = man.render_options_section(&mut page);
    let _ = man.render_subcommands_section(&mut page);
    page.extend_from_slice(man_extra_sections().as_bytes());
    let _ = man.render_version_section(&mut page);
    page
}

/// An error message on stderr. A stderr that cannot be written loses the message, not the
/// exit code.
fn error(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "atchat: {message}");
}

/// A report (a diagnostic) on stderr, rendered by miette's handler.
fn report(report: &miette::Report) {
    let _ = writeln!(std::io::stderr(), "{report:?}");
}

/// What a command produces, on stdout. A stdout that cannot be written is an I/O error
/// (exit 2); a reader that went away (`| head`) ends the command quietly, as it ends any
/// Unix tool.
fn write_stdout(text: impl AsRef<[u8]>) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_ref()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_IO,
        Err(e) => {
            error(format!("cannot write to standard output: {e}"));
            EXIT_IO
        }
    }
}

/// `atchat check`: every mistake in every file (and in the `-e` script), then exit 1 if
/// there was any.
fn check_files(files: &[PathBuf], execute: &[String]) -> u8 {
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        error("`-` (stdin) is given twice: stdin holds one script");
        return EXIT_USAGE;
    }
    let mut failed = false;
    let inline = (!execute.is_empty()).then(|| Sources::inline(execute));
    let loaded = files.iter().map(|file| match file.as_os_str() == "-" {
        true => Sources::load_stdin(),
        false => Sources::load(file),
    });
    for loaded in inline.into_iter().chain(loaded) {
        match loaded {
            Ok(sources) => {
                let errors = check::check(&sources, &CheckOptions { params: None });
                if !errors.is_empty() {
                    failed = true;
                    for r in diagnostics::reports(&sources, &errors) {
                        report(&r);
                    }
                }
            }
            Err(e) => {
                failed = true;
                report(&diagnostics::load_report(&e));
            }
        }
    }
    if failed {
        return EXIT_USAGE;
    }
    // Said on stderr, as compilers say "Finished": stdout stays empty for pipelines, and a
    // person sees that the check ran rather than wondering whether it did.
    let count = files.len() + usize::from(!execute.is_empty());
    let noun = if count == 1 { "file" } else { "files" };
    let _ = writeln!(std::io::stderr(), "ok: {count} {noun}");
    0
}

fn is_compiled(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "atcb")
}

/// Reads and verifies a `.atcb` file. Errors are printed; the exit code returned.
fn read_compiled(file: &Path) -> Result<Program, u8> {
    let bytes = crate::input::read(file, crate::input::PROGRAM).map_err(|e| {
        error(format!("cannot read `{}`: {e}", file.display()));
        EXIT_USAGE
    })?;
    encoding::decode(&bytes).map_err(|e| {
        error(format!("`{}` is not a valid atchat program: {e}", file.display()));
        EXIT_USAGE
    })
}

/// Reads and parses the script (a file, stdin or `-e`) and its modules.
fn load_sources(script: &ScriptArg) -> Result<Sources, u8> {
    let loaded = match script.source() {
        Source::File(file) => Sources::load(file),
        Source::Stdin => Sources::load_stdin(),
        Source::Inline(parts) => Sources::inline(parts),
    };
    loaded.map_err(|e| {
        report(&diagnostics::load_report(&e));
        EXIT_USAGE
    })
}

/// Checks and compiles. `params` (when about to run) lets the checker report missing and
/// unknown params. Errors are printed; the exit code returned.
fn check_and_compile(sources: &Sources, params: Option<&IndexMap<String, String>>) -> Result<Program, u8> {
    let options = CheckOptions { params: params.map(|p| p.keys().cloned().collect()) };
    let errors = check::check(sources, &options);
    if !errors.is_empty() {
        for r in diagnostics::reports(sources, &errors) {
            report(&r);
        }
        return Err(EXIT_USAGE);
    }
    compiler::compile(sources).map_err(|e| {
        report(&diagnostics::compile_report(sources, &e));
        EXIT_USAGE
    })
}

/// A script or a compiled program, for `disasm` and `compile`.
fn load_program(script: &ScriptArg) -> Result<Program, u8> {
    if let Some(file) = script.compiled() {
        return read_compiled(file);
    }
    check_and_compile(&load_sources(script)?, None)
}

fn compile(script: &ScriptArg, output: Option<PathBuf>) -> u8 {
    // Checked first: a script from stdin is read once, and an invocation that cannot write
    // anything should not consume it.
    let output = match (output, script.source()) {
        (Some(output), _) => output,
        (None, Source::File(file)) => file.with_extension("atcb"),
        (None, _) => {
            error("a script from stdin or -e has no file name to derive one from: give -o FILE");
            return EXIT_USAGE;
        }
    };
    let program = match load_program(script) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let secrets = encoding::secret_defaults(&program);
    if let Some(name) = secrets.first() {
        error(format!(
            "secret param `{name}` has a default, which a .atcb file would hold in plain text; \
             remove it from the script and give the value when running (`-D {name}=VALUE` or \
             ATCHAT_{name})"
        ));
        return EXIT_USAGE;
    }
    match std::fs::write(&output, encoding::encode(&program)) {
        Ok(()) => 0,
        Err(e) => {
            error(format!("cannot write `{}`: {e}", output.display()));
            EXIT_IO
        }
    }
}

/// Param values: `-D name=value`, then from the environment for the declared params `-D`
/// did not give: `ATCHAT_<name>` as written in the script, else `ATCHAT_<NAME>` in upper
/// case, as environment variables are usually spelt (`ATCHAT_PAUSE` for `param pause`).
fn param_values(args: &RunArgs, declared: &[String]) -> Result<IndexMap<String, String>, u8> {
    let mut values = IndexMap::new();
    for d in &args.define {
        let Some((name, value)) = d.split_once('=') else {
            error(format!("`-D {d}` needs the form NAME=VALUE"));
            return Err(EXIT_USAGE);
        };
        values.insert(name.to_string(), value.to_string());
    }
    for name in declared {
        if !values.contains_key(name) {
            let from_env = std::env::var(format!("ATCHAT_{name}"))
                .or_else(|_| std::env::var(format!("ATCHAT_{}", name.to_ascii_uppercase())));
            if let Ok(v) = from_env {
                values.insert(name.clone(), v);
            }
        }
    }
    Ok(values)
}

/// The program to run and its param values.
fn prepare(args: &RunArgs) -> Result<(Program, IndexMap<String, String>), u8> {
    if let Some(file) = args.script.compiled() {
        let program = read_compiled(file)?;
        let declared: Vec<String> =
            program.globals.iter().filter(|g| g.param.is_some()).map(|g| g.name.clone()).collect();
        let values = param_values(args, &declared)?;
        return Ok((program, values));
    }
    let sources = load_sources(&args.script)?;
    let declared: Vec<String> = match &sources.files[0].script {
        Ok(script) => script
            .stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Param { name, .. } => Some(name.text.clone()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let values = param_values(args, &declared)?;
    let program = check_and_compile(&sources, Some(&values))?;
    Ok((program, values))
}

fn run(args: &RunArgs) -> u8 {
    // Refused before stdin is read: it holds either the script or the modem's bytes.
    if matches!(args.script.source(), Source::Stdin) && args.port.iter().any(|p| p == "-") {
        error("`run -` reads the script from stdin, so stdin cannot also be the modem (`--port -`): give the script as a file or with -e");
        return EXIT_USAGE;
    }
    let bank = args.ports.is_some() || args.port.len() > 1 || args.port.iter().any(|p| crate::bank::glob::is_glob(p));
    if bank {
        return run_bank(args);
    }
    if args.debug {
        if args.record.is_some() {
            error("--record records `atchat run`; it cannot be combined with --debug");
            return EXIT_USAGE;
        }
        return debug(args);
    }
    let (program, values) = match prepare(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let spec_text = match args.port.first().cloned().or_else(|| program.port.clone()) {
        Some(p) => p,
        None => {
            error("no port given: use --port (a device, `-`, tcp://host:port, or sim:hayes)");
            return EXIT_USAGE;
        }
    };
    let script = match Script::from_program(program) {
        Ok(script) => script,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let mut session = match Session::new(&script, values.clone()) {
        Ok(session) => session,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let options = args.line.options();
    // A port spec that is wrong in itself (`tcp://host` with no port) is a bad invocation,
    // like a bad option; a port that cannot be opened or used (including a scenario or
    // replay file it names) is an I/O failure.
    let spec: PortSpec = match spec_text.parse() {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    // The script's own `port "-"`: stdin held the script, there is no modem left on it.
    if spec == PortSpec::Stdio && matches!(args.script.source(), Source::Stdin) {
        error("the script read from stdin names the port `-` (stdin/stdout), which held the script: give the script as a file or with -e");
        return EXIT_USAGE;
    }
    let mut port = match port::open(&spec, &options) {
        Ok(p) => p,
        Err(e) => {
            error(e);
            return EXIT_IO;
        }
    };
    let mut transcript = Transcript::default();
    transcript.verbose = args.verbose;
    transcript.syslog = args.syslog;
    if args.syslog {
        driver::open_syslog();
    }
    if let Some(path) = &args.log {
        match std::fs::File::create(path) {
            Ok(f) => transcript.log = Some(Box::new(std::io::LineWriter::new(f))),
            Err(e) => {
                error(format!("cannot write log `{}`: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    }
    if let Some(path) = &args.record {
        let header = record_header(args, &values, script.program());
        match crate::record::Recorder::create(path, header) {
            Ok(r) => transcript.record = Some(r),
            Err(e) => {
                error(format!("cannot write the recording `{}`: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    }
    // Never on stdin/stdout: that is pppd's connect program, whose stderr is pppd's log
    // (or, with `nodetach`, a terminal shared with pppd's own lines). Never on a replay,
    // which runs on virtual time.
    let watched_port = !matches!(spec, PortSpec::Stdio | PortSpec::Replay(_));
    if watched_port && !args.no_progress && driver::Progress::suits_stderr() {
        transcript.progress = Some(driver::Progress::new());
    }
    driver::install_signal_handlers();
    let outcome = session.run(port.as_mut(), &mut transcript);
    if let Some(message) = &outcome.message {
        error(message);
        if args.syslog {
            driver::syslog(libc::LOG_ERR, &format!("{message} (exit {})", outcome.code));
        }
    }
    if let (Some(recorder), Some(path)) = (transcript.record.take(), &args.record) {
        if let Err(e) = recorder.finish() {
            error(format!("the recording `{}` is incomplete: {e}", path.display()));
            // The user asked for a recording and has none: not a success.
            if outcome.code == 0 {
                return EXIT_IO;
            }
        }
    }
    outcome.code
}

/// `atchat run` on several ports (docs/bank.md): the script is compiled once, every port's
/// params are checked before any port is opened, then all run at once; a summary table ends
/// on stderr.
fn run_bank(args: &RunArgs) -> u8 {
    if args.debug {
        error("--debug works on one port; give one --port");
        return EXIT_USAGE;
    }
    if args.record.as_deref().is_some_and(|path| !crate::bank::is_per_port(path)) {
        error("with several ports, --record needs `{port}` or `{n}` in the file name, one recording per port (e.g. --record 'rec/{port}.rec')");
        return EXIT_USAGE;
    }
    let loaded = match args.script.compiled() {
        Some(file) => Script::load(file),
        None => match load_sources(&args.script) {
            Ok(sources) => Script::from_sources(sources),
            Err(code) => return code,
        },
    };
    let script = match loaded {
        Ok(script) => script,
        Err(crate::session::ScriptError::Check { sources, errors }) => {
            for report in diagnostics::reports(&sources, &errors) {
                eprintln!("{report:?}");
            }
            return EXIT_USAGE;
        }
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let declared: Vec<String> = script.params().map(str::to_string).collect();
    let common = match param_values(args, &declared) {
        Ok(values) => values,
        Err(code) => return code,
    };
    let members = match crate::bank::members(&args.port, args.ports.as_deref(), &common) {
        Ok(members) if members.is_empty() => {
            error("no port given: the ports file lists none");
            return EXIT_USAGE;
        }
        Ok(members) if matches!(args.script.source(), Source::Stdin) && members.iter().any(|m| m.port == "-") => {
            error("`run -` read the script from stdin, so stdin cannot also be a modem (`-` in the ports file)");
            return EXIT_USAGE;
        }
        Ok(members) => members,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let ports: Vec<&str> = members.iter().map(|m| m.port.as_str()).collect();
    // Every file is named and created before any port opens: a bad name is a bad invocation.
    let per_port = |template: Option<&Path>, what: &str| -> Result<Vec<Option<(File, PathBuf)>>, String> {
        let Some(template) = template.filter(|t| crate::bank::is_per_port(t)) else {
            return Ok(ports.iter().map(|_| None).collect());
        };
        crate::bank::file_names(template, &ports)?
            .into_iter()
            .map(|path| match File::create(&path) {
                Ok(file) => Ok(Some((file, path))),
                Err(e) => Err(format!("cannot write {what} `{}`: {e}", path.display())),
            })
            .collect()
    };
    let (records, logs) =
        match (per_port(args.record.as_deref(), "the recording"), per_port(args.log.as_deref(), "log")) {
            (Ok(records), Ok(logs)) => (records, logs),
            (Err(e), _) | (_, Err(e)) => {
                error(e);
                return EXIT_USAGE;
            }
        };
    let mut jobs = Vec::with_capacity(members.len());
    for ((member, record), log) in members.into_iter().zip(records).zip(logs) {
        let header = record_header(args, &member.params, script.program());
        match Session::new(&script, member.params) {
            Ok(session) => {
                let mut job = crate::bank::Job::new(member.port, session);
                job.record = record.map(|(file, path)| (file, path, header));
                job.log = log.map(|(file, _)| file);
                jobs.push(job);
            }
            Err(e) => {
                error(format!("`{}`: {e}", member.port));
                return EXIT_USAGE;
            }
        }
    }
    let mut options = crate::bank::Options {
        serial: args.line.options(),
        fail_fast: args.fail_fast,
        verbose: args.verbose,
        log: None,
        syslog: args.syslog,
    };
    if args.syslog {
        driver::open_syslog();
    }
    if let Some(path) = args.log.as_deref().filter(|p| !crate::bank::is_per_port(p)) {
        match std::fs::File::create(path) {
            Ok(f) => options.log = Some(crate::bank::SharedLog::new(Box::new(f))),
            Err(e) => {
                error(format!("cannot write log `{}`: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    }
    driver::install_signal_handlers();
    let outcomes = crate::bank::run(jobs, &options);
    eprint!("{}", crate::bank::summary(&outcomes));
    crate::bank::exit_code(&outcomes)
}

/// The recording's first comments: who wrote it, and the script and params as the
/// transcript test runner reads them (`# script:`, `# param:`), secret values masked.
fn record_header(args: &RunArgs, values: &IndexMap<String, String>, program: &Program) -> Vec<String> {
    let secret =
        |name: &str| program.globals.iter().any(|g| g.name == name && g.param.as_ref().is_some_and(|p| p.secret));
    let mut header = vec![format!("recorded by atchat {}", env!("CARGO_PKG_VERSION"))];
    header.push(format!("script: {}", args.script.name()));
    for (name, value) in values {
        let shown = if secret(name) { crate::record::MASK } else { value.as_str() };
        header.push(format!("param: {name}={shown}"));
    }
    header
}

/// `atchat run --debug`: the REPL with the script loaded, stopped before its first line.
fn debug(args: &RunArgs) -> u8 {
    // The debugger shows and reloads the script's file.
    let Source::File(file) = args.script.source() else {
        error("--debug needs the script in a file (the debugger shows and reloads it), not `-` or -e");
        return EXIT_USAGE;
    };
    // Checked here as for `run`, so mistakes and missing params are reported the same way.
    let params = match prepare(args) {
        Ok((_, values)) => values,
        Err(code) => return code,
    };
    crate::repl::run(crate::repl::Options {
        port: args.port.first().cloned(),
        serial: args.line.options(),
        debug: Some(file.to_path_buf()),
        params,
    })
}

/// `atchat import`: a chat script as a native script.
fn import_chat(file: &Path, output: Option<&Path>, env: bool, timeout: Option<i64>) -> u8 {
    let data = match crate::input::read(file, crate::input::CHAT_SCRIPT) {
        Ok(d) => d,
        Err(e) => {
            error(format!("cannot read `{}`: {e}", file.display()));
            return EXIT_USAGE;
        }
    };
    let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let options = crate::chat::import::ImportOptions { env, name, timeout };
    let text = match crate::chat::import::import(&crate::chat::token::tokenize(&data), &options) {
        Ok(text) => text,
        Err(e) => {
            error(format!("cannot import `{}`: {e}", file.display()));
            return EXIT_USAGE;
        }
    };
    match output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => 0,
            Err(e) => {
                error(format!("cannot write `{}`: {e}", path.display()));
                EXIT_IO
            }
        },
        None => write_stdout(&text),
    }
}
