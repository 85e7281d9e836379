//! `atchat chat ...` and the binary run as `chat`: chat(8)'s `main()` — options, report file,
//! syslog, the terminal, the script — on top of the compiler, the VM and the driver.

use std::cell::RefCell;
use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::rc::Rc;

use indexmap::IndexMap;

use super::compile::{compile, os_error_text, Config};
use super::escape::Subst;
use super::options::{parse, usage_text, ChatArgs};
use super::token::{from_args, tokenize, Tokens};
use super::tty::{set_chat_mode, SavedTty};
use crate::driver::{self, Transcript};
use crate::port::stdio::StdioPort;
use crate::vm::monitor::Output;
use crate::vm::Machine;

/// Where chat's messages go: syslog (unless `-S`), stderr (with `-s`), the report file.
struct Logger {
    syslog: bool,
    stderr: bool,
    report: Option<File>,
}

impl Logger {
    fn log(&self, line: &[u8], error: bool) {
        if self.syslog {
            if let Ok(text) = CString::new(line.to_vec()) {
                let priority = if error { libc::LOG_ERR } else { libc::LOG_INFO };
                // SAFETY: a constant format and a NUL-terminated argument.
                unsafe { libc::syslog(priority, c"%s".as_ptr(), text.as_ptr()) };
            }
        }
        if self.stderr {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(line).and_then(|()| err.write_all(b"\n"));
        }
    }

    fn output(&mut self, out: Output) {
        match out {
            Output::Stderr(bytes) => {
                let _ = std::io::stderr().write_all(&bytes);
            }
            Output::Log { line, error } => self.log(&line, error),
            Output::Report(line) => {
                let text = [b"chat:  ", date().as_slice(), &line, b"\n"].concat();
                let _ = match &mut self.report {
                    Some(f) => f.write_all(&text),
                    None => std::io::stderr().write_all(&text),
                };
            }
        }
    }
}

/// `strftime("%b %d %H:%M:%S ")` of now, in local time.
fn date() -> Vec<u8> {
    let mut buf = [0u8; 32];
    // SAFETY: time/localtime_r/strftime with buffers of the sizes given.
    let n = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&now, &mut tm);
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%b %d %H:%M:%S ".as_ptr(), &tm)
    };
    buf[..n].to_vec()
}

/// Runs chat with `args` (after the program name); `program` is the name for the usage
/// text. Returns the exit code.
pub fn main(program: &str, args: &[Vec<u8>]) -> u8 {
    let Ok(args) = parse(args) else {
        let _ = write!(std::io::stderr(), "{}", usage_text(program));
        return 1;
    };
    if args.help {
        // A stdout that cannot take the help is an I/O error (exit 2), not a panic.
        let mut out = std::io::stdout().lock();
        return match out.write_all(super::help::help_text(program).as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => 0,
            Err(_) => 2,
        };
    }
    let mut report = None;
    for (path, verbose) in &args.report_files {
        report = None;
        let name = String::from_utf8_lossy(path).into_owned();
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(&name) {
            if *verbose {
                let _ = writeln!(f, "Opening \"{name}\"...");
            }
            report = Some((f, name));
        }
    }
    let report_name = report.as_ref().map(|(_, n)| n.clone());
    if !args.no_syslog {
        // SAFETY: a static identifier; openlog keeps the pointer.
        unsafe {
            libc::openlog(c"chat".as_ptr(), libc::LOG_PID | libc::LOG_NDELAY, libc::LOG_LOCAL2);
            let top = if args.verbose { libc::LOG_INFO } else { libc::LOG_WARNING };
            libc::setlogmask((1 << (top + 1)) - 1);
        }
    }
    let logger =
        Rc::new(RefCell::new(Logger { syslog: !args.no_syslog, stderr: args.stderr, report: report.map(|(f, _)| f) }));
    let code = run(&args, program, &logger);
    let mut logger = logger.borrow_mut();
    if let (Some(f), Some(name)) = (&mut logger.report, &report_name) {
        if args.verbose {
            let _ = writeln!(f, "Closing \"{name}\".");
        }
    }
    code
}

fn run(args: &ChatArgs, program: &str, logger: &Rc<RefCell<Logger>>) -> u8 {
    let fatal = |code: u8, message: String| {
        logger.borrow().log(message.as_bytes(), true);
        code
    };
    let saved = match set_chat_mode() {
        Ok(saved) => saved,
        Err((what, e)) => return fatal(2, format!("{what}: {}", os_error_text(&e))),
    };
    let code = run_script(args, program, logger);
    match restore(&saved) {
        Ok(()) => code,
        Err(e) => fatal(2, format!("Can't restore terminal parameters: {}", os_error_text(&e))),
    }
}

fn restore(saved: &SavedTty) -> std::io::Result<()> {
    saved.restore()
}

fn run_script(args: &ChatArgs, program: &str, logger: &Rc<RefCell<Logger>>) -> u8 {
    let fatal = |code: u8, message: String| {
        logger.borrow().log(message.as_bytes(), true);
        code
    };
    let (tokens, name): (Tokens, String) = match &args.file {
        Some(_) if !args.script.is_empty() => {
            let _ = write!(std::io::stderr(), "{}", usage_text(program));
            return 1;
        }
        Some(path) => {
            let name = String::from_utf8_lossy(path).into_owned();
            match crate::input::read(std::path::Path::new(&name), crate::input::CHAT_SCRIPT) {
                Ok(data) => (tokenize(&data), name),
                Err(e) => return fatal(1, format!("{name} -- open failed: {}", os_error_text(&e))),
            }
        }
        None => (from_args(&args.script), "<args>".to_string()),
    };
    let env: Option<super::escape::EnvLookup> = if args.env {
        Some(Box::new(|name: &str| std::env::var_os(name).map(std::os::unix::ffi::OsStringExt::into_vec)))
    } else {
        None
    };
    let config = Config {
        echo: args.echo,
        verbose: args.verbose,
        show: args.show,
        timeout: args.timeout,
        pace: args.pace,
        subst: Subst { phone: args.phone.clone(), phone2: args.phone2.clone(), env },
        name,
    };
    let program = compile(&tokens, &config);
    let mut vm = match Machine::new(program, &IndexMap::new()) {
        Ok(vm) => vm,
        Err(e) => return fatal(1, e.to_string()),
    };
    let mut port = match StdioPort::stdio() {
        Ok(p) => p,
        Err(e) => return fatal(2, e.to_string()),
    };
    let sink = Rc::clone(logger);
    let mut transcript = Transcript::default();
    transcript.sink = Some(Box::new(move |out| sink.borrow_mut().output(out)));
    transcript.keep_lines_on_stop = true;
    driver::install_signal_handlers();
    let outcome = driver::run(&mut vm, &mut port, &mut transcript);
    if outcome.code == 2 {
        match outcome.message.as_deref() {
            Some(signal @ ("SIGINT" | "SIGTERM" | "SIGHUP")) => return fatal(2, signal.to_string()),
            // The script's own `Exit(2)` (too many ABORT strings): already logged.
            Some(m) if m.ends_with(": exit 2") => {}
            // A write the modem did not take by the send's alarm (XOFF, CTS): chat's write()
            // is interrupted, the send fails, exit 1.
            Some(m) if m.ends_with(crate::port::WRITE_TIMED_OUT) => {
                if args.verbose {
                    logger.borrow().log(b"alarm", false);
                    logger.borrow().log(b" -- write timed out", false);
                }
                return fatal(1, "Failed".to_string());
            }
            // The modem went away while chat read or wrote: chat gives up as on a timeout,
            // and a pty whose other side closed then fails to restore its settings (exit 2).
            _ => {
                logger.borrow().log(b"Failed", false);
                return 3;
            }
        }
    }
    outcome.code
}
