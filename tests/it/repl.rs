//! The REPL: its session and debugger against the simulated modem on virtual time (fast,
//! deterministic), then `atchat repl` itself through a pipe and through a pseudo-terminal.

use std::collections::BTreeSet;
use std::time::Duration;

use atchat::bytecode::Program;
use atchat::driver::{self, Stopped, Watch};
use atchat::port::sim::{SimClock, SimPort};
use atchat::repl::debugger::StopAt;
use atchat::repl::session::{Ended, Entry, Session};
use atchat::repl::transcript::{Class, Lines};
use atchat::syntax::Sources;
use atchat::vm::{Control, Machine};
use indexmap::IndexMap;

/// Collects what a run shows, classified as the REPL shows it.
#[derive(Default)]
struct Bench {
    lines: Lines,
    shown: Vec<(Class, String)>,
    said: Vec<String>,
    stop: Option<StopAt>,
    breaks: BTreeSet<u32>,
}

impl Watch for Bench {
    fn sent(&mut self, _: Duration, bytes: &[u8]) {
        self.lines.sent(bytes);
    }
    fn received(&mut self, _: Duration, bytes: &[u8]) {
        let found = self.lines.received(bytes);
        self.shown.extend(found);
    }
    fn said(&mut self, _: Duration, text: &str) {
        self.said.push(text.to_string());
    }
    fn printed(&mut self, _: Duration, text: &str) {
        self.said.push(format!("print: {text}"));
    }
    fn control(&mut self, _: Duration, _: Control) {}
    fn stop_before(&mut self, program: &Program, pc: usize, depth: usize) -> bool {
        self.stop.is_some_and(|s| s.stops(program, pc, depth, &self.breaks))
    }
}

/// A session on the virtual-time simulated Hayes modem.
struct Bed {
    session: Session,
    port: SimPort,
    bench: Bench,
}

impl Bed {
    fn new() -> Bed {
        Bed {
            session: Session::new(None).expect("empty session"),
            port: SimPort::open("hayes", SimClock::Virtual).expect("sim"),
            bench: Bench::default(),
        }
    }

    /// Runs one entry; returns how it ended.
    #[track_caller]
    fn enter(&mut self, text: &str) -> Ended {
        self.run(Entry::new(text))
    }

    #[track_caller]
    fn run(&mut self, entry: Entry) -> Ended {
        if let Err(e) = self.session.start(&entry) {
            panic!("`{}` rejected:\n{}", entry.code, e.message);
        }
        let stopped = driver::run_watched(&mut self.session.vm, &mut self.port, &mut self.bench, false);
        let outcome = match stopped {
            Stopped::Done(o) => Some(o),
            _ => None,
        };
        let result = self.bench.lines.last_result.clone().filter(|_| entry.at.is_some());
        self.session.finish(&entry, outcome, result.as_deref())
    }
}

#[test]
fn an_at_line_is_sent_and_its_reply_classified() {
    let mut bed = Bed::new();
    assert_eq!(bed.enter("ATI"), Ended::Completed);
    let classes: Vec<Class> = bed.bench.shown.iter().map(|(c, _)| *c).collect();
    assert_eq!(classes.first(), Some(&Class::Echo), "{:?}", bed.bench.shown);
    assert_eq!(bed.bench.shown.last(), Some(&(Class::Final, "OK".to_string())));
    assert!(classes.contains(&Class::Info), "{:?}", bed.bench.shown);
    // An error reply is shown as final too, and the entry still completes: it was answered.
    assert_eq!(bed.enter("AT+NOSUCH"), Ended::Completed);
    assert_eq!(bed.bench.shown.last(), Some(&(Class::Final, "ERROR".to_string())));
}

#[test]
fn statements_keep_variables_and_handlers_between_entries() {
    let mut bed = Bed::new();
    assert_eq!(bed.enter("let greeting = \"hello\""), Ended::Completed);
    assert_eq!(bed.enter("say \"{greeting} modem\""), Ended::Completed);
    assert_eq!(bed.bench.said, ["hello modem"]);
    // A handler declared in one entry watches the waits of the next ones.
    assert_eq!(bed.enter("on ERROR fail 9 \"the modem refused\""), Ended::Completed);
    let Ended::Dropped(outcome) = bed.enter("send \"AT+NOSUCH\"\nexpect OK") else {
        panic!("the handler did not fire")
    };
    assert_eq!(outcome.code, 9);
    assert!(outcome.message.unwrap_or_default().contains("the modem refused"));
    // The failed entry is gone; what came before is intact.
    assert_eq!(bed.enter("send \"ATE0\"\nexpect OK"), Ended::Completed);
    assert_eq!(bed.enter("proc twice(x) {\n  say \"{x}{x}\"\n}"), Ended::Completed);
    assert_eq!(bed.enter("twice(greeting)"), Ended::Completed);
    assert_eq!(bed.bench.said.last().map(String::as_str), Some("hellohello"));
    assert_eq!(bed.enter("send \"ATI3\"\nexpect \"simulated {model} modem\""), Ended::Completed);
    assert_eq!(bed.enter("say \"model {model}\""), Ended::Completed);
    assert_eq!(bed.bench.said.last().map(String::as_str), Some("model Hayes"));
}

#[test]
fn messages_name_the_lines_typed_not_the_session_script() {
    let mut bed = Bed::new();
    assert_eq!(bed.enter("let n = \"1\""), Ended::Completed);
    assert_eq!(bed.enter("send \"AT\"\nexpect OK"), Ended::Completed);
    assert_eq!(bed.enter("on ERROR {\n  fail 9 \"the modem refused\"\n}"), Ended::Completed);
    // A mistake: shown in the entry alone, its lines counted from 1.
    let e = bed.session.start(&Entry::new("if n == \"1\" {\n  say \"{nope}\"\n}")).expect_err("unknown name accepted");
    assert!(e.message.contains("[<input>:2:9]"), "{}", e.message);
    assert!(!e.message.contains("<repl>") && !e.message.contains("on ERROR"), "{}", e.message);
    // A timeout on the entry's second line.
    let Ended::Dropped(o) = bed.enter("say \"x\"\nexpect BUSY within 10ms") else { panic!("no timeout") };
    let message = o.message.unwrap_or_default();
    assert!(message.starts_with("<input>:2: timed out"), "{message}");
    // A handler from an earlier entry is named by that entry's first line.
    let Ended::Dropped(o) = bed.enter("send \"AT+NOSUCH\"\nexpect OK") else { panic!("the handler did not fire") };
    let message = o.message.unwrap_or_default();
    assert!(message.starts_with("<entry `on ERROR {`>:2:"), "{message}");
}

#[test]
fn handlers_fire_on_what_arrives_while_idle_and_the_wait_is_not_saved() {
    let mut bed = Bed::new();
    assert_eq!(bed.enter("on RING {\n  say \"someone is calling\"\n}"), Ended::Completed);
    bed.session.vm.feed(b"\r\n+CMTI: \"SM\",1\r\n\r\nRING\r\n");
    assert_eq!(bed.run(Entry::idle()), Ended::Completed);
    assert_eq!(bed.bench.said, ["someone is calling"]);
    assert_eq!(bed.session.saved.len(), 1);
    // Nothing matched: nothing runs.
    bed.session.vm.feed(b"\r\n+CREG: 1\r\n");
    assert_eq!(bed.run(Entry::idle()), Ended::Completed);
    assert_eq!(bed.bench.said.len(), 1);
    assert!(!bed.session.script(None).contains("sleep"));
    // The session goes on as before.
    assert_eq!(bed.enter("say \"next\""), Ended::Completed);
    assert_eq!(bed.bench.said.last().map(String::as_str), Some("next"));
}

#[test]
fn a_mistake_is_reported_and_changes_nothing() {
    let mut bed = Bed::new();
    assert_eq!(bed.enter("let n = 1"), Ended::Completed);
    let e = bed.session.start(&Entry::new("say \"{nope}\"")).expect_err("unknown name accepted");
    assert!(e.message.contains("nope"), "{}", e.message);
    assert_eq!(bed.enter("say \"{n}\""), Ended::Completed);
    assert_eq!(bed.bench.said, ["1"]);
}

#[test]
fn the_saved_session_checks_and_replays() {
    let mut bed = Bed::new();
    bed.enter("ATE1");
    bed.enter("let apn = \"internet\"");
    bed.enter("on NO CARRIER fail \"carrier lost\"");
    bed.enter("AT+NOSUCH");
    bed.enter("send \"AT\"\nexpect BUSY within 1s");
    bed.enter("ATS7=60");
    bed.enter("retry 2 times {\n  send \"AT\"\n  expect OK\n}");
    // A call, the escape typed as `+++`, a repeated command, quotes and braces typed in an
    // AT line: each saved as a statement that checks and does the same again.
    for entry in [
        "ATDT5551234",
        "+++",
        "ATH",
        "A/",
        "let x = \"5\"",
        "AT+X=\"{x}\"",
        "use hayes",
        "hayes.reset()",
        "dtr off",
        "dtr on",
    ] {
        assert_eq!(bed.enter(entry), Ended::Completed, "{entry}");
    }
    let script = bed.session.script(Some("sim:hayes"));
    assert!(script.contains("\nescape\n") && !script.contains("+++"), "{script}");
    assert!(script.contains("send raw \"A/\"\nexpect OK\n"), "{script}");
    assert!(script.contains("send \"AT+NOSUCH\"\nexpect ERROR\n"), "{script}");
    assert!(script.contains("# did not complete:\n#   send \"AT\"\n"), "{script}");
    let sources = Sources::from_text("saved.atc", &script, None);
    let errors = atchat::check::check(&sources, &Default::default());
    assert!(errors.is_empty(), "{script}\n{}", atchat::diagnostics::render_plain(&sources, &errors));
    let program = atchat::bytecode::compiler::compile(&sources).expect("compiles");
    assert_eq!(program.port.as_deref(), Some("sim:hayes"));
    let mut vm = Machine::new(program, &IndexMap::new()).expect("machine");
    let mut port = SimPort::open("hayes", SimClock::Virtual).expect("sim");
    let mut replay = Bench::default();
    let outcome = match driver::run_watched(&mut vm, &mut port, &mut replay, false) {
        Stopped::Done(o) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(outcome.code, 0, "{outcome:?}\n{script}");
    let sent: Vec<&String> = replay.shown.iter().filter(|(c, _)| *c == Class::Echo).map(|(_, t)| t).collect();
    assert_eq!(
        sent,
        ["ATE1", "AT+NOSUCH", "ATS7=60", "AT", "ATDT5551234", "+++", "ATH", "A/", "AT+X=\"{x}\"", "ATZ"],
        "{script}"
    );
}

/// Loads `text` as a script to debug.
fn debuggee(text: &str) -> (Machine, Program) {
    let sources = Sources::from_text("debug.atc", text, None);
    let program = atchat::bytecode::compiler::compile(&sources).expect("compiles");
    (Machine::new(program.clone(), &IndexMap::new()).expect("machine"), program)
}

#[test]
fn breakpoints_and_steps_stop_before_statements() {
    let text = "proc hello() {\n  say \"in proc\"\n}\nsay \"one\"\nhello()\nsay \"two\"\nsend \"AT\"\nexpect OK\nsay \"three\"\n";
    let (mut vm, program) = debuggee(text);
    let mut port = SimPort::open("hayes", SimClock::Virtual).expect("sim");
    let line = |vm: &Machine| program.line(vm.pc());
    let mut bench = Bench { stop: Some(StopAt::AnyLine), ..Bench::default() };
    // Stopped before the first line, as `run --debug` starts.
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, false), Stopped::Paused);
    assert_eq!(line(&vm), 4);
    assert!(bench.said.is_empty());
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, true), Stopped::Paused);
    assert_eq!((line(&vm), bench.said.clone()), (5, vec!["one".to_string()]));
    // `:step` goes into the procedure ...
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, true), Stopped::Paused);
    assert_eq!(line(&vm), 2);
    assert_eq!(vm.depth(), 2);
    // ... `:next` from the call site steps over it.
    let (mut vm, _) = debuggee(text);
    bench.said.clear();
    bench.stop = Some(StopAt::Breakpoints);
    bench.breaks = [5].into();
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, false), Stopped::Paused);
    assert_eq!(line(&vm), 5);
    bench.stop = Some(StopAt::Depth(vm.depth()));
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, true), Stopped::Paused);
    assert_eq!((line(&vm), bench.said.clone()), (6, vec!["one".to_string(), "in proc".to_string()]));
    // `:continue` with a breakpoint on the expect: what is awaited shows once it waits.
    bench.stop = Some(StopAt::Breakpoints);
    bench.breaks = [8].into();
    assert_eq!(driver::run_watched(&mut vm, &mut port, &mut bench, true), Stopped::Paused);
    assert_eq!(line(&vm), 8);
    assert!(vm.variables().is_empty());
    bench.breaks.clear();
    let Stopped::Done(outcome) = driver::run_watched(&mut vm, &mut port, &mut bench, true) else { panic!() };
    assert_eq!(outcome.code, 0);
    assert_eq!(bench.said.last().map(String::as_str), Some("three"));
}
mod terminal;
mod tmux;
