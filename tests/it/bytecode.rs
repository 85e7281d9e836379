//! Compile cases and the bytecode's binary form.
//!
//! `tests/data/compile/NAME.atc` is compiled and disassembled; the listing is compared with
//! the golden `NAME.dis`. Every case, and every example, must verify and
//! come back equal from the binary encoding. Hand-made corrupt programs check the verifier's
//! errors; property tests check that no byte string makes decoding panic.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use atchat::bytecode::disassembler::{disassemble, instruction};
use atchat::bytecode::encoding::{decode, encode, DecodeError, FORMAT_VERSION, MAX_FILE_SIZE, MAX_ITEMS};
use atchat::bytecode::pattern::{End, Pattern, PatternProblem, Segment};
use atchat::bytecode::verify::{verify, Site, Table, VerifyError};
use atchat::bytecode::{
    ArmInfo, Comparison, Const, DurArg, GlobalInfo, HandlerInfo, LineEntry, Op, ParamInfo, ProcInfo, Program,
    RetryTable, VarRef, WaitTable,
};
use atchat::syntax::Sources;
use proptest::prelude::*;

use crate::support::golden;
use crate::support::layer::Layer;

fn compile_cases() -> Layer {
    Layer::new("tests/data/compile", "atc").at_least(10)
}

/// Compiles a script file as `atchat` does, naming it by its file name only so listings do
/// not depend on where the repository is.
fn compile_file(path: &Path) -> Result<Program, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let name = path.file_name().unwrap().to_string_lossy();
    let sources = Sources::from_text(&name, &text, path.parent());
    atchat::bytecode::compiler::compile(&sources).map_err(|e| format!("does not compile: {e}"))
}

#[track_caller]
fn compile_text(text: &str) -> Program {
    let sources = Sources::from_text("test.atc", text, None);
    atchat::bytecode::compiler::compile(&sources).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn disassembly_goldens() {
    compile_cases().run(|case| {
        let program = compile_file(&case.path)?;
        let name = case.path.file_name().unwrap().to_string_lossy();
        let listing = format!(
            "{}{}",
            golden::first_line(&format!("disassembly of {name}"), "bytecode::disassembly"),
            disassemble(&program)
        );
        golden::compare(&case.path.with_extension("dis"), &listing)
    });
}

/// A compiled program verifies, and comes back equal from its binary encoding.
fn verifies_and_round_trips(path: &Path) -> Result<(), String> {
    let program = compile_file(path)?;
    if let Err(e) = verify(&program) {
        return Err(format!("does not verify: {e}\n{}", disassemble(&program)));
    }
    let bytes = encode(&program);
    if decode(&bytes).as_ref() != Ok(&program) {
        return Err("decodes to another program".into());
    }
    // Encoding is deterministic: the same program always gives the same file.
    if encode(&decode(&bytes).unwrap()) != bytes {
        return Err("encodes differently the second time".into());
    }
    Ok(())
}

#[test]
fn every_case_and_example_verifies_and_round_trips() {
    compile_cases().run(|case| verifies_and_round_trips(&case.path));
    Layer::new("examples", "atc").at_least(10).run(|case| verifies_and_round_trips(&case.path));
}

#[test]
fn every_stdlib_module_verifies() {
    for (name, _) in atchat::syntax::loader::STDLIB {
        let program = compile_text(&format!("use {name}\n"));
        verify(&program).unwrap_or_else(|e| panic!("stdlib {name}: {e}"));
    }
}

/// A valid program holding every opcode, so the encoder and the decoder agree on each
/// opcode number and operand. The match makes a new opcode a compile error here until it is
/// added to the program.
#[test]
fn every_opcode_round_trips() {
    let d = Duration::from_millis(1500);
    let g = VarRef::Global(0);
    let mut code: Vec<Op> = vec![Op::Const(0), Op::Load(g), Op::Concat(2), Op::Store(g)];
    for c in [Comparison::Eq, Comparison::Ne, Comparison::Lt, Comparison::Le, Comparison::Gt, Comparison::Ge] {
        let next = code.len() as u32 + 5;
        code.extend([Op::Const(0), Op::Const(0), Op::Compare(c), Op::Not, Op::JumpIfFalse(next)]);
    }
    code.extend([Op::Const(0), Op::Pop, Op::Const(0), Op::Send { raw: true, pace: Some(d) }]);
    code.extend([Op::Const(0), Op::Send { raw: false, pace: None }, Op::SendEscape]);
    let expect_at = code.len() as u32;
    code.extend([Op::Expect(0), Op::Sleep(DurArg::Fixed(d)), Op::Sleep(DurArg::Var(g)), Op::Guard, Op::Pause(d)]);
    code.extend([
        Op::SetTimeout(DurArg::Fixed(d)),
        Op::Numeric(true),
        Op::AddHandler(0),
        Op::ScopeEnter,
        Op::ScopeExit,
    ]);
    let retry_at = code.len() as u32;
    code.extend([Op::RetryBegin(0), Op::RetryEnd, Op::Dtr(false), Op::DropDtrOr(retry_at + 4), Op::Rts(true)]);
    code.extend([Op::Break(d), Op::Baud(115_200), Op::Flush, Op::WaitCarrier(None)]);
    code.extend([
        Op::WaitCarrier(Some(DurArg::Var(g))),
        Op::Const(0),
        Op::Say,
        Op::Const(0),
        Op::Print,
        Op::Const(0),
        Op::Call(0),
        Op::Pop,
    ]);
    code.extend([Op::MaskInput(0x7F), Op::Trace { show: true, log: false }, Op::Echo(true), Op::Report(0)]);
    code.extend([Op::ClearReport(0), Op::EndReport, Op::Log { message: 0, error: true }, Op::Const(0), Op::SayRaw]);
    code.extend([Op::IgnoreHangup(true), Op::TryBreak(d), Op::Await(0), Op::DeclareFinal(0)]);
    code.extend([Op::Transact { w: 0, settle: DurArg::Var(g) }, Op::Transact { w: 0, settle: DurArg::Fixed(d) }]);
    code.extend([Op::Alarm(Some(d)), Op::Alarm(None)]);
    let jump_at = code.len() as u32;
    code.extend([Op::Jump(jump_at + 1), Op::Halt]);
    let entry = code.len() as u32;
    code.extend([Op::Load(VarRef::Local(0)), Op::Return { value: true }]);
    // Never reached, but still decoded and checked.
    code.extend([Op::Const(0), Op::Fail { code: 9, message: true }, Op::Exit(0), Op::RetryNow { code: 4, message: 0 }]);
    let handler_at = code.len() as u32;
    code.push(Op::Resume);

    let mut seen = std::collections::BTreeSet::new();
    for op in &code {
        seen.insert(match op {
            Op::Const(_) => 0,
            Op::Load(_) => 1,
            Op::Store(_) => 2,
            Op::Concat(_) => 3,
            Op::Compare(_) => 4,
            Op::Not => 5,
            Op::JumpIfFalse(_) => 6,
            Op::Jump(_) => 7,
            Op::Pop => 8,
            Op::Send { .. } => 9,
            Op::SendEscape => 10,
            Op::Expect(_) => 11,
            Op::Sleep(_) => 12,
            Op::Guard => 13,
            Op::Pause(_) => 14,
            Op::SetTimeout(_) => 15,
            Op::Numeric(_) => 16,
            Op::AddHandler(_) => 17,
            Op::ScopeEnter => 18,
            Op::ScopeExit => 19,
            Op::Resume => 20,
            Op::RetryBegin(_) => 21,
            Op::RetryEnd => 22,
            Op::RetryNow { .. } => 23,
            Op::Dtr(_) => 24,
            Op::DropDtrOr(_) => 25,
            Op::Rts(_) => 26,
            Op::Break(_) => 27,
            Op::Baud(_) => 28,
            Op::Flush => 29,
            Op::WaitCarrier(_) => 30,
            Op::Say => 31,
            Op::Fail { .. } => 32,
            Op::Exit(_) => 33,
            Op::Call(_) => 34,
            Op::Return { .. } => 35,
            Op::Halt => 36,
            Op::MaskInput(_) => 37,
            Op::Trace { .. } => 38,
            Op::Echo(_) => 39,
            Op::Report(_) => 40,
            Op::ClearReport(_) => 41,
            Op::EndReport => 42,
            Op::Log { .. } => 43,
            Op::SayRaw => 44,
            Op::IgnoreHangup(_) => 45,
            Op::TryBreak(_) => 46,
            Op::Transact { .. } => 47,
            Op::DeclareFinal(_) => 48,
            Op::Await(_) => 49,
            Op::Alarm(_) => 50,
            Op::Print => 51,
        });
    }
    assert_eq!(seen.len(), 52, "an opcode is missing from this test");

    let ok = Pattern {
        segments: vec![Segment::Literal(b"OK".to_vec())],
        line_start: true,
        end: End::RestOfLine,
        numeric: Some(b"0".to_vec()),
    };
    let program = Program {
        code,
        consts: vec![Const::Str(b"AT".to_vec())],
        patterns: vec![ok],
        pattern_text: vec!["OK".into()],
        waits: vec![WaitTable {
            arms: vec![ArmInfo { pattern: 0, captures: vec![], target: expect_at + 1 }],
            timeout_target: Some(expect_at + 1),
            within: Some(DurArg::Var(g)),
            idle: Some(DurArg::Fixed(d)),
            watch_handlers: true,
        }],
        handlers: vec![HandlerInfo { pattern: Some(0), captures: vec![], target: handler_at }],
        retries: vec![RetryTable {
            times: Some(3),
            every: Some(d),
            within: Some(DurArg::Fixed(d)),
            body: retry_at + 1,
            end: retry_at + 2,
        }],
        procs: vec![ProcInfo { name: "f".into(), entry, params: 1, locals: 1, local_names: vec!["a".into()] }],
        globals: vec![GlobalInfo { name: "g".into(), param: Some(ParamInfo { default: Some(0), secret: true }) }],
        lines: vec![LineEntry { pc: 0, file: 0, line: 1 }, LineEntry { pc: entry, file: 0, line: 9 }],
        files: vec!["all.atc".into()],
        port: Some("sim:hayes".into()),
    };
    if let Err(e) = verify(&program) {
        panic!("{e}\n{}", disassemble(&program));
    }
    assert_eq!(decode(&encode(&program)), Ok(program));
}

/// The smallest valid program with one of every table, for the round trip of every opcode.
#[test]
fn program_with_every_table_round_trips() {
    let program = compile_text(
        "port \"/dev/ttyS0\"\nsecret param pin = \"0000\"\nparam d = 2s\non timeout say \"quiet\"\n\
         retry 2 times every 1s within d {\n expect { \"+CPIN: {s}\" => say \"{s}\" } idle d\n}\n\
         proc p(x) { sleep x\n return x }\nsay p(1)\nhangup\n",
    );
    verify(&program).unwrap();
    assert!(!program.retries.is_empty() && !program.handlers.is_empty() && program.port.is_some());
    assert_eq!(decode(&encode(&program)), Ok(program));
}

// ---------------------------------------------------------------- the listing

#[test]
fn listing_masks_secret_defaults() {
    let program = compile_text("secret param pin = \"4321\"\nparam apn = \"internet\"\nsay apn\n");
    let listing = disassemble(&program);
    assert!(listing.contains("pin  secret param, default ***"), "{listing}");
    assert!(listing.contains("apn  param, default \"internet\""), "{listing}");
    assert!(!listing.contains("4321"), "{listing}");
}

#[test]
fn instruction_shows_one_line() {
    let program = compile_text("proc f(n) { send \"ATD{n}\" }\nf(\"5\")\n");
    let entry = program.procs[0].entry as usize;
    assert_eq!(instruction(&program, entry + 1), "Load n (local 0)");
    assert_eq!(instruction(&program, 10_000), "pc 10000 is past the end of the code");
}

#[test]
fn listing_survives_out_of_range_indexes() {
    let program = Program {
        code: vec![Op::Const(7), Op::Expect(3), Op::Call(9), Op::Load(VarRef::Global(4)), Op::Halt],
        lines: vec![LineEntry { pc: 0, file: 5, line: 1 }],
        ..Program::default()
    };
    let listing = disassemble(&program);
    assert!(listing.contains("Const #7?") && listing.contains("Call #9?") && listing.contains("global #4?"));
}

// ---------------------------------------------------------------- the verifier

/// `send "ATZ"` / `expect OK`, compiled, as a base for corruption.
fn base() -> Program {
    compile_text("param x = \"1\"\non ERROR fail\nsend \"ATZ\"\nexpect OK\nif x == \"1\" { say \"one\" }\n")
}

fn pc_of(program: &Program, pred: impl Fn(&Op) -> bool) -> usize {
    program.code.iter().position(pred).expect("no such instruction")
}

#[test]
fn rejects_a_jump_out_of_range() {
    let mut p = base();
    let at = pc_of(&p, |op| matches!(op, Op::JumpIfFalse(_)));
    p.code[at] = Op::JumpIfFalse(999);
    let len = p.code.len();
    let e = verify(&p).unwrap_err();
    assert_eq!(e, VerifyError::OutOfRange { table: Table::Code, index: 999, site: Site::Pc(at as u32), len });
    assert_eq!(e.to_string(), format!("target 999 out of range at pc {at} (program has {len} instructions)"));
    // A target one past the end would run off the code too.
    p.code[at] = Op::JumpIfFalse(len as u32);
    assert!(matches!(verify(&p), Err(VerifyError::OutOfRange { table: Table::Code, .. })));
}

#[test]
fn rejects_a_constant_out_of_range() {
    let mut p = base();
    let at = pc_of(&p, |op| matches!(op, Op::Const(_)));
    p.code[at] = Op::Const(40);
    let n = p.consts.len();
    let e = verify(&p).unwrap_err();
    assert_eq!(e.to_string(), format!("constant index 40 out of range at pc {at} (program has {n} constants)"));
    // The same check runs on every decoded file.
    assert_eq!(decode(&encode(&p)), Err(DecodeError::Invalid(e)));
}

#[test]
fn rejects_bad_patterns() {
    let cases = [
        (vec![], PatternProblem::NoSegments),
        (vec![Segment::Capture, Segment::Literal(b"x".to_vec())], PatternProblem::StartsWithCapture),
        (vec![Segment::Literal(Vec::new())], PatternProblem::EmptyLiteral),
        (
            vec![Segment::Literal(b"+CSQ: ".to_vec()), Segment::Capture, Segment::Capture],
            PatternProblem::AdjacentCaptures,
        ),
    ];
    for (segments, problem) in cases {
        let mut p = base();
        p.patterns[0].segments = segments;
        assert_eq!(verify(&p), Err(VerifyError::BadPattern { pattern: 0, problem }));
    }
    let mut p = base();
    p.patterns[0].numeric = Some(Vec::new());
    assert_eq!(verify(&p).unwrap_err().to_string(), "pattern 0 is invalid: its numeric form is empty");
}

#[test]
fn rejects_captures_that_do_not_match_the_pattern() {
    let mut p = compile_text("expect \"CONNECT {rate}\"\nsay rate\n");
    p.waits[0].arms[0].captures.push(VarRef::Global(0));
    let e = verify(&p).unwrap_err();
    assert_eq!(
        e,
        VerifyError::CaptureCount {
            site: Site::Wait { wait: 0, arm: Some(0) },
            pattern: Some(0),
            expected: 1,
            found: 2
        }
    );
    assert_eq!(e.to_string(), "in arm 0 of wait table 0: pattern 0 makes 1 capture but 2 variables are given");
}

#[test]
fn rejects_table_indexes_out_of_range() {
    let mut p = base();
    p.handlers[0].target = 5000;
    assert!(matches!(
        verify(&p),
        Err(VerifyError::OutOfRange { table: Table::Code, index: 5000, site: Site::Handler(0), .. })
    ));

    let mut p = base();
    p.globals[0].param = Some(ParamInfo { default: Some(77), secret: false });
    assert_eq!(
        verify(&p).unwrap_err().to_string(),
        format!("constant index 77 out of range in global 0 (program has {} constants)", p.consts.len())
    );

    let mut p = base();
    let at = pc_of(&p, |op| matches!(op, Op::Await(_)));
    p.code[at] = Op::Await(12);
    assert_eq!(
        verify(&p).unwrap_err().to_string(),
        format!("wait table index 12 out of range at pc {at} (program has 1 wait table)")
    );

    let mut p = base();
    p.lines[0].file = 9;
    assert!(matches!(
        verify(&p),
        Err(VerifyError::OutOfRange { table: Table::File, index: 9, site: Site::Line(0), .. })
    ));

    let mut p = base();
    p.pattern_text.pop();
    assert!(matches!(verify(&p), Err(VerifyError::PatternTextCount { .. })));
}

#[test]
fn rejects_code_that_runs_off_the_end() {
    let mut p = base();
    p.code.push(Op::Flush);
    let pc = p.code.len() as u32 - 1;
    assert_eq!(verify(&p), Err(VerifyError::FallsOffEnd { pc, op: "Flush" }));
    assert_eq!(verify(&Program::default()), Err(VerifyError::EmptyCode));
}

#[test]
fn rejects_stack_underflow() {
    let p = Program { code: vec![Op::Pop, Op::Halt], ..Program::default() };
    let e = verify(&p).unwrap_err();
    assert_eq!(e, VerifyError::StackUnderflow { pc: 0, op: "Pop", needs: 1, has: 0 });
    assert_eq!(e.to_string(), "stack underflow at pc 0: `Pop` pops 1 value but the stack holds 0");

    // A call pops its procedure's parameters.
    let mut p = compile_text("proc f(a, b) { say a }\nf(\"1\", \"2\")\n");
    let at = pc_of(&p, |op| matches!(op, Op::Call(_)));
    p.code.remove(at - 1);
    for proc in &mut p.procs {
        proc.entry -= 1;
    }
    for line in &mut p.lines {
        if line.pc as usize >= at {
            line.pc -= 1;
        }
    }
    assert!(matches!(verify(&p), Err(VerifyError::StackUnderflow { op: "Call", needs: 2, has: 1, .. })));
}

#[test]
fn rejects_inconsistent_stack_heights() {
    // 0: Const; 1: JumpIfFalse 3 (height 0); 2: Const (height 1 at 3); 3: Halt.
    let p = Program {
        code: vec![Op::Const(0), Op::JumpIfFalse(3), Op::Const(0), Op::Halt],
        consts: vec![Const::Int(0)],
        ..Program::default()
    };
    let e = verify(&p).unwrap_err();
    assert!(matches!(e, VerifyError::StackMismatch { pc: 3, .. }), "{e}");
    assert!(e.to_string().starts_with("stack height at pc 3 is "));
}

#[test]
fn rejects_locals_outside_a_procedure() {
    let mut p = compile_text("proc f(a) { say a }\nf(\"1\")\nsay \"done\"\n");
    // The main script has no frame, even though procedure `f` has a slot 0: only the flow
    // analysis can tell.
    let at = pc_of(&p, |op| matches!(op, Op::Say)) - 1;
    assert!(matches!(p.code[at], Op::Const(_)));
    p.code[at] = Op::Load(VarRef::Local(0));
    let e = verify(&p).unwrap_err();
    assert_eq!(e, VerifyError::LocalOutOfRange { slot: 0, site: Site::Pc(at as u32), pc: Some(at as u32), locals: 0 });
    assert_eq!(e.to_string(), format!("local slot 0 out of range at pc {at} (the code there has no local slots)"));

    // And inside the procedure, slot 1 does not exist, although another procedure has it.
    let mut p = compile_text("proc f(a) { say a }\nf(\"1\")\n");
    let at = pc_of(&p, |op| matches!(op, Op::Load(VarRef::Local(0))));
    p.code[at] = Op::Load(VarRef::Local(1));
    p.procs.push(ProcInfo {
        name: "g".into(),
        entry: 0,
        params: 0,
        locals: 2,
        local_names: vec!["x".into(), "y".into()],
    });
    assert!(matches!(verify(&p), Err(VerifyError::LocalOutOfRange { slot: 1, locals: 1, .. })));
}

#[test]
fn rejects_a_misplaced_retry_body() {
    let mut p = compile_text("retry 3 times {\n send \"AT\"\n expect OK\n}\n");
    p.retries[0].body += 1;
    assert!(matches!(verify(&p), Err(VerifyError::RetryLayout { retry: 0, .. })));
    let mut p = compile_text("retry 3 times {\n send \"AT\"\n expect OK\n}\n");
    p.retries[0].end -= 1;
    assert!(verify(&p).unwrap_err().to_string().contains("does not fit the `RetryBegin`"));
}

#[test]
fn rejects_bad_procedure_tables() {
    let mut p = compile_text("proc f(a) { say a }\nf(\"1\")\n");
    p.procs[0].params = 3;
    assert_eq!(verify(&p), Err(VerifyError::ParamsExceedLocals { procedure: 0, params: 3, locals: 1 }));
    let mut p = compile_text("proc f(a) { say a }\nf(\"1\")\n");
    p.procs[0].local_names.push("b".into());
    assert_eq!(verify(&p).unwrap_err().to_string(), "procedure 0 has 1 slot but 2 slot names");
}

// ---------------------------------------------------------------- decoding errors

#[test]
fn rejects_a_newer_format_naming_both_versions() {
    let mut bytes = encode(&base());
    bytes[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e, DecodeError::UnsupportedVersion { found: FORMAT_VERSION + 1, supported: FORMAT_VERSION });
    let message = e.to_string();
    assert!(message.contains("version 2") && message.contains("version 1"), "{message}");
    // Even when the rest is garbage, the version is what the user needs to hear about.
    assert!(matches!(decode(b"ATCB\x07\x00\xff\xff"), Err(DecodeError::UnsupportedVersion { found: 7, .. })));
}

#[test]
fn rejects_what_is_not_bytecode() {
    assert_eq!(decode(b""), Err(DecodeError::BadMagic { found: vec![] }));
    let e = decode(b"# a script\nsend \"AT\"\n").unwrap_err();
    assert_eq!(e.to_string(), "not an atchat bytecode file (it starts with 23 20 61 20, not `ATCB`)");
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = encode(&compile_file(&compile_cases().dir().join("expect.atc")).unwrap());
    for len in 0..bytes.len() {
        assert!(decode(&bytes[..len]).is_err(), "a prefix of {len} bytes decoded");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(decode(&longer), Err(DecodeError::TrailingBytes { count: 1, .. })));
}

#[test]
fn refuses_lengths_beyond_the_file() {
    let bytes = encode(&base());
    // The constants section's length field sits right after the header and the tag.
    let mut huge = bytes.clone();
    huge[7..11].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(decode(&huge), Err(DecodeError::SectionTooLong { section: "constants", declared: u32::MAX, .. })));
    // A count far beyond what the section holds is refused before anything is allocated.
    let mut many = bytes;
    many[11..15].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let e = decode(&many).unwrap_err();
    assert!(matches!(e, DecodeError::CountTooLarge { section: "constants", count: 0x4000_0000, .. }), "{e}");
}

#[test]
fn refuses_files_and_item_counts_past_the_limits() {
    let mut big = encode(&base());
    big.resize(MAX_FILE_SIZE + 1, 0);
    assert!(matches!(decode(&big), Err(DecodeError::FileTooLarge { .. })));
    // One byte per `Halt`: a small file that would still mean a million instructions.
    let many = Program { code: vec![Op::Halt; MAX_ITEMS + 1], ..Program::default() };
    let e = decode(&encode(&many)).unwrap_err();
    assert_eq!(e, DecodeError::TooManyItems { section: "code", limit: MAX_ITEMS });
}

#[test]
fn rejects_bad_tags_and_durations() {
    let p = Program { code: vec![Op::Sleep(DurArg::Fixed(Duration::from_secs(1))), Op::Halt], ..Program::default() };
    let bytes = encode(&p);
    // The code section ends with Sleep (opcode, operand kind, 8 + 4 bytes of duration), Halt.
    let op_at = bytes.len() - 15;
    assert_eq!(bytes[op_at], p.code[0].code());
    let mut bad_op = bytes.clone();
    bad_op[op_at] = 0xee;
    assert!(matches!(decode(&bad_op), Err(DecodeError::BadTag { what: "opcode", tag: 0xee, .. })));
    let mut bad_nanos = bytes.clone();
    let nanos_at = op_at + 2 + 8;
    bad_nanos[nanos_at..nanos_at + 4].copy_from_slice(&1_000_000_000u32.to_le_bytes());
    assert!(matches!(decode(&bad_nanos), Err(DecodeError::BadDuration { nanos: 1_000_000_000, .. })));
}

// ---------------------------------------------------------------- properties

/// Encodings of the compile cases, to corrupt.
fn samples() -> &'static [Vec<u8>] {
    static SAMPLES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SAMPLES
        .get_or_init(|| compile_cases().paths().iter().map(|(_, path)| encode(&compile_file(path).unwrap())).collect())
}

fn arb_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![Just(Duration::ZERO), (0u64..10_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))]
}

fn arb_var() -> impl Strategy<Value = VarRef> {
    prop_oneof![(0u16..4).prop_map(VarRef::Global), (0u16..4).prop_map(VarRef::Local)]
}

fn arb_dur_arg() -> impl Strategy<Value = DurArg> {
    prop_oneof![arb_duration().prop_map(DurArg::Fixed), arb_var().prop_map(DurArg::Var)]
}

/// Any opcode with small operands: indexes are sometimes in range, sometimes not.
fn arb_op() -> impl Strategy<Value = Op> {
    (0u8..37, 0u32..8, arb_var(), any::<bool>(), arb_duration(), arb_dur_arg()).prop_map(|(k, n, v, b, d, a)| match k {
        0 => Op::Const(n),
        1 => Op::Load(v),
        2 => Op::Store(v),
        3 => Op::Concat(n as u16),
        4 => Op::Compare([Comparison::Eq, Comparison::Lt, Comparison::Ge][n as usize % 3]),
        5 => Op::Not,
        6 => Op::JumpIfFalse(n),
        7 => Op::Jump(n),
        8 => Op::Pop,
        9 => Op::Send { raw: b, pace: b.then_some(d) },
        10 => Op::SendEscape,
        11 => Op::Expect(n),
        12 => Op::Sleep(a),
        13 => Op::Guard,
        14 => Op::Pause(d),
        15 => Op::SetTimeout(a),
        16 => Op::Numeric(b),
        17 => Op::AddHandler(n),
        18 => Op::ScopeEnter,
        19 => Op::ScopeExit,
        20 => Op::Resume,
        21 => Op::RetryBegin(n),
        22 => Op::RetryEnd,
        23 => Op::RetryNow { code: n as u8, message: n },
        24 => Op::Dtr(b),
        25 => Op::DropDtrOr(n),
        26 => Op::Rts(b),
        27 => Op::Break(d),
        28 => Op::Baud(n),
        29 => Op::Flush,
        30 => Op::WaitCarrier(b.then_some(a)),
        31 => Op::Say,
        32 => Op::Fail { code: n as u8, message: b },
        33 => Op::Exit(n as u8),
        34 => Op::Call(n),
        35 => Op::Return { value: b },
        _ => Op::Halt,
    })
}

fn arb_pattern() -> impl Strategy<Value = Pattern> {
    let segment = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..4).prop_map(Segment::Literal),
        1 => Just(Segment::Capture),
    ];
    (
        proptest::collection::vec(segment, 0..4),
        any::<bool>(),
        prop_oneof![Just(End::Here), Just(End::LineEnd), Just(End::RestOfLine)],
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..2)),
    )
        .prop_map(|(segments, line_start, end, numeric)| Pattern { segments, line_start, end, numeric })
}

fn arb_program() -> impl Strategy<Value = Program> {
    let consts = proptest::collection::vec(
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..6).prop_map(Const::Str),
            any::<i64>().prop_map(Const::Int),
            arb_duration().prop_map(Const::Duration),
        ],
        0..4,
    );
    let arm = (0u32..4, proptest::collection::vec(arb_var(), 0..2), 0u32..12)
        .prop_map(|(pattern, captures, target)| ArmInfo { pattern, captures, target });
    let wait = (
        proptest::collection::vec(arm, 0..3),
        proptest::option::of(0u32..12),
        proptest::option::of(arb_dur_arg()),
        proptest::option::of(arb_dur_arg()),
        any::<bool>(),
    )
        .prop_map(|(arms, timeout_target, within, idle, watch_handlers)| WaitTable {
            arms,
            timeout_target,
            within,
            idle,
            watch_handlers,
        });
    let handler = (proptest::option::of(0u32..4), proptest::collection::vec(arb_var(), 0..2), 0u32..12)
        .prop_map(|(pattern, captures, target)| HandlerInfo { pattern, captures, target });
    let retry = (
        proptest::option::of(0u32..5),
        proptest::option::of(arb_duration()),
        proptest::option::of(arb_dur_arg()),
        0u32..12,
        0u32..12,
    )
        .prop_map(|(times, every, within, body, end)| RetryTable { times, every, within, body, end });
    let procedure = ("[a-z.]{1,6}", 0u32..12, 0u16..3, 0u16..3, proptest::collection::vec("[a-z]{1,3}", 0..3))
        .prop_map(|(name, entry, params, locals, local_names)| ProcInfo { name, entry, params, locals, local_names });
    let global = ("[a-z\\n]{1,6}", proptest::option::of((proptest::option::of(0u32..4), any::<bool>()))).prop_map(
        |(name, param)| GlobalInfo { name, param: param.map(|(default, secret)| ParamInfo { default, secret }) },
    );
    let line = (0u32..12, 0u16..2, 0u32..100).prop_map(|(pc, file, line)| LineEntry { pc, file, line });
    (
        (
            proptest::collection::vec(arb_op(), 0..12),
            consts,
            proptest::collection::vec(arb_pattern(), 0..4),
            proptest::collection::vec("\\PC{0,8}", 0..4),
            proptest::collection::vec(wait, 0..3),
        ),
        (
            proptest::collection::vec(handler, 0..3),
            proptest::collection::vec(retry, 0..2),
            proptest::collection::vec(procedure, 0..3),
            proptest::collection::vec(global, 0..4),
            proptest::collection::vec(line, 0..4),
            proptest::collection::vec("[a-z/.]{1,8}", 0..2),
            proptest::option::of("\\PC{0,8}"),
        ),
    )
        .prop_map(
            |(
                (code, consts, patterns, pattern_text, waits),
                (handlers, retries, procs, globals, lines, files, port),
            )| {
                Program {
                    code,
                    consts,
                    patterns,
                    pattern_text,
                    waits,
                    handlers,
                    retries,
                    procs,
                    globals,
                    lines,
                    files,
                    port,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let mut with_header = b"ATCB\x01\x00".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = decode(&with_header);
    }

    #[test]
    fn corrupted_encodings_never_panic(
        sample in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = sample.get(samples()).clone();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(program) = decode(&bytes) {
            // Whatever decodes is a program the verifier accepts, and lists without panicking.
            prop_assert_eq!(verify(&program), Ok(()));
            let _ = disassemble(&program);
        }
    }

    /// Any program, valid or not: the verifier, the listing and the encoding never panic,
    /// and decoding gives back the program exactly when the verifier accepts it.
    #[test]
    fn encoding_round_trips_exactly_the_verified_programs(program in arb_program()) {
        let verdict = verify(&program);
        let _ = disassemble(&program);
        let decoded = decode(&encode(&program));
        match verdict {
            Ok(()) => prop_assert_eq!(decoded, Ok(program)),
            Err(e) => prop_assert_eq!(decoded, Err(DecodeError::Invalid(e))),
        }
    }
}
