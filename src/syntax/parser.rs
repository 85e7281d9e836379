//! pest parse tree → [`Script`].

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use super::SyntaxError;
use crate::lang::literal::{parse_duration, unescape};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/atchat.pest"]
struct Grammar;

/// Parses a whole script.
pub fn parse(source: &str) -> Result<Script, SyntaxError> {
    // Bounded before pest sees it: pest, the checker and the compiler all recurse per level.
    let limit = super::nesting::MAX_NESTING;
    if let Some(span) = super::nesting::too_deep(source, limit) {
        return Err(SyntaxError { span, expected: Vec::new(), too_deep: Some(limit) });
    }
    let mut pairs = Grammar::parse(Rule::file, source).map_err(SyntaxError::from_pest)?;
    let file = pairs.next().expect("the `file` rule always yields one pair");
    let stmts = file.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(stmt).collect();
    Ok(Script { stmts })
}

/// Parses one expression-or-statement entry of the REPL is the same as a script; exposed for
/// rule-level tests.
#[doc(hidden)]
pub fn parses_as(rule_name: &str, source: &str) -> bool {
    let rule = match rule_name {
        "pattern" => Rule::pattern,
        "duration" => Rule::duration,
        "string" => Rule::string,
        "expr" => Rule::expr,
        "condition" => Rule::condition,
        _ => return false,
    };
    matches!(Grammar::parse(rule, source), Ok(pairs) if pairs.as_str() == source)
}

fn span(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn name(pair: Pair<Rule>) -> Name {
    Name { text: pair.as_str().to_string(), span: span(&pair) }
}

fn stmt(pair: Pair<Rule>) -> Stmt {
    let sp = span(&pair);
    let rule = pair.as_rule();
    let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule())).peekable();
    let kind = match rule {
        Rule::use_stmt => StmtKind::Use(name(inner.next().unwrap())),
        Rule::param_stmt => {
            let secret = inner.peek().is_some_and(|p| p.as_rule() == Rule::secret);
            if secret {
                inner.next();
            }
            let n = name(inner.next().unwrap());
            StmtKind::Param { name: n, default: inner.next().map(expr), secret }
        }
        Rule::let_stmt => {
            let n = name(inner.next().unwrap());
            StmtKind::Let { name: n, value: expr(inner.next().unwrap()) }
        }
        Rule::timeout_stmt => StmtKind::Timeout(dur_value(inner.last().unwrap())),
        Rule::results_stmt => StmtKind::Results { numeric: inner.next().unwrap().as_str() == "numeric" },
        Rule::port_stmt => StmtKind::Port(string(inner.next().unwrap())),
        Rule::proc_stmt => {
            let n = name(inner.next().unwrap());
            let mut params = Vec::new();
            let mut body = None;
            for p in inner {
                match p.as_rule() {
                    Rule::proc_param => {
                        let mut it = p.into_inner();
                        let pname = name(it.next().unwrap());
                        params.push(ProcParam { name: pname, default: it.next().map(expr) });
                    }
                    Rule::block => body = Some(block(p)),
                    _ => {}
                }
            }
            StmtKind::Proc { name: n, params, body: body.unwrap() }
        }
        Rule::return_stmt => StmtKind::Return(inner.next().map(expr)),
        Rule::send_stmt => {
            let mut raw = false;
            let mut pace = None;
            let mut value = None;
            for p in inner {
                match p.as_rule() {
                    Rule::send_modifier => send_modifier(p, &mut raw, &mut pace),
                    _ => value = Some(expr(p)),
                }
            }
            StmtKind::Send { value: value.unwrap(), raw, pace }
        }
        Rule::expect_stmt => StmtKind::Expect(expect(inner.collect())),
        Rule::command_stmt => {
            let mut raw = false;
            let mut pace = None;
            let mut value = None;
            let mut rest = Vec::new();
            for p in inner {
                match p.as_rule() {
                    Rule::send_modifier => send_modifier(p, &mut raw, &mut pace),
                    Rule::expr => value = Some(expr(p)),
                    _ => rest.push(p),
                }
            }
            StmtKind::Command { value: value.unwrap(), raw, pace, expect: expect(rest) }
        }
        Rule::final_stmt => StmtKind::Final(string(inner.next().unwrap())),
        Rule::on_stmt => {
            let first = inner.next().unwrap();
            let (pattern, action_pair) = match first.as_rule() {
                Rule::kw_timeout => (None, inner.next().unwrap()),
                _ => (Some(pattern(first)), inner.next().unwrap()),
            };
            StmtKind::On(Handler { pattern, action: action(action_pair) })
        }
        Rule::retry_stmt => {
            let mut retry = Retry { times: None, every: None, within: None, body: Block { stmts: vec![], span: sp } };
            for p in inner {
                match p.as_rule() {
                    Rule::retry_clause => {
                        let c = p.into_inner().next().unwrap();
                        match c.as_rule() {
                            Rule::times => retry.times = Some(integer(first_inner(c))),
                            Rule::every => retry.every = Some(duration(last_inner(c))),
                            _ => retry.within = Some(dur_value(last_inner(c))),
                        }
                    }
                    Rule::block => retry.body = block(p),
                    _ => {}
                }
            }
            StmtKind::Retry(retry)
        }
        Rule::retry_action => StmtKind::RetryNow,
        Rule::if_stmt => if_stmt(inner.collect()),
        Rule::dtr_stmt => StmtKind::Dtr(inner.next().unwrap().as_str() == "on"),
        Rule::rts_stmt => StmtKind::Rts(inner.next().unwrap().as_str() == "on"),
        Rule::break_stmt => StmtKind::Break(inner.next().map(duration)),
        Rule::hangup_stmt => StmtKind::Hangup,
        Rule::escape_stmt => StmtKind::Escape,
        Rule::wait_stmt => StmtKind::WaitCarrier(inner.next().map(|w| dur_value(last_inner(w)))),
        Rule::baud_stmt => StmtKind::Baud(integer(inner.next().unwrap())),
        Rule::flush_stmt => StmtKind::Flush,
        Rule::sleep_stmt => StmtKind::Sleep(dur_value(inner.next().unwrap())),
        Rule::say_stmt => StmtKind::Say(expr(inner.next().unwrap())),
        Rule::print_stmt => StmtKind::Print(expr(inner.next().unwrap())),
        Rule::fail_stmt => {
            let (code, message) = fail_parts(inner.collect());
            StmtKind::Fail { code, message }
        }
        Rule::exit_stmt => StmtKind::Exit(integer(inner.next().unwrap())),
        Rule::call_stmt => StmtKind::Call(call(inner.next().unwrap())),
        other => unreachable!("not a statement rule: {other:?}"),
    };
    Stmt { kind, span: sp }
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_secret
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_results
            | Rule::kw_port
            | Rule::kw_proc
            | Rule::kw_return
            | Rule::kw_send
            | Rule::kw_raw
            | Rule::kw_pace
            | Rule::kw_expect
            | Rule::kw_within
            | Rule::kw_idle
            | Rule::kw_on
            | Rule::kw_fail
            | Rule::kw_ignore
            | Rule::kw_times
            | Rule::kw_every
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_dtr
            | Rule::kw_rts
            | Rule::kw_break
            | Rule::kw_hangup
            | Rule::kw_escape
            | Rule::kw_wait
            | Rule::kw_baud
            | Rule::kw_flush
            | Rule::kw_sleep
            | Rule::kw_say
            | Rule::kw_print
            | Rule::kw_exit
            | Rule::kw_command
            | Rule::kw_final
            | Rule::kw_settle
    )
}

fn first_inner(pair: Pair<Rule>) -> Pair<Rule> {
    pair.into_inner().next().unwrap()
}

/// `raw` or `pace DURATION`, as `send` and `command` take them.
fn send_modifier(p: Pair<Rule>, raw: &mut bool, pace: &mut Option<DurationLit>) {
    let m = p.into_inner().next().unwrap();
    match m.as_rule() {
        Rule::raw => *raw = true,
        _ => *pace = Some(duration(last_inner(m))),
    }
}

fn last_inner(pair: Pair<Rule>) -> Pair<Rule> {
    pair.into_inner().last().unwrap()
}

fn block(pair: Pair<Rule>) -> Block {
    let sp = span(&pair);
    Block { stmts: pair.into_inner().map(stmt).collect(), span: sp }
}

fn expect(pairs: Vec<Pair<Rule>>) -> Expect {
    let mut e = Expect { arms: vec![], on_timeout: None, within: None, idle: None, settle: None };
    for p in pairs {
        match p.as_rule() {
            Rule::pattern => {
                let pat = pattern(p);
                let sp = pat.span();
                e.arms.push(Arm { pattern: pat, action: Action { kind: ActionKind::Ignore, span: sp } });
            }
            Rule::arms => {
                for arm in p.into_inner() {
                    let mut it = arm.into_inner();
                    let head = it.next().unwrap();
                    let act = action(it.next().unwrap());
                    match head.as_rule() {
                        Rule::kw_timeout => e.on_timeout = Some(act),
                        _ => e.arms.push(Arm { pattern: pattern(head), action: act }),
                    }
                }
            }
            Rule::limit => {
                let l = p.into_inner().next().unwrap();
                match l.as_rule() {
                    Rule::within => e.within = Some(dur_value(last_inner(l))),
                    Rule::settle => e.settle = Some(dur_value(last_inner(l))),
                    _ => e.idle = Some(dur_value(last_inner(l))),
                }
            }
            _ => {}
        }
    }
    e
}

fn pattern(pair: Pair<Rule>) -> Pattern {
    let inner = first_inner(pair);
    match inner.as_rule() {
        Rule::string => Pattern::Text(string(inner)),
        _ => Pattern::Code { name: inner.as_str().to_string(), span: span(&inner) },
    }
}

fn action(pair: Pair<Rule>) -> Action {
    let sp = span(&pair);
    let inner = first_inner(pair);
    let kind = match inner.as_rule() {
        Rule::fail_action => {
            let (code, message) = fail_parts(inner.into_inner().filter(|p| p.as_rule() != Rule::kw_fail).collect());
            ActionKind::Fail { code, message }
        }
        Rule::kw_retry => ActionKind::Retry,
        Rule::kw_ignore => ActionKind::Ignore,
        Rule::exit_stmt => ActionKind::Exit(integer(last_inner(inner))),
        Rule::say_stmt => ActionKind::Say(expr(last_inner(inner))),
        Rule::print_stmt => ActionKind::Print(expr(last_inner(inner))),
        _ => ActionKind::Block(block(inner)),
    };
    Action { kind, span: sp }
}

fn fail_parts(pairs: Vec<Pair<Rule>>) -> (Option<IntLit>, Option<Expr>) {
    let mut code = None;
    let mut message = None;
    for p in pairs {
        match p.as_rule() {
            Rule::integer => code = Some(integer(p)),
            Rule::expr => message = Some(expr(p)),
            _ => {}
        }
    }
    (code, message)
}

fn if_stmt(pairs: Vec<Pair<Rule>>) -> StmtKind {
    let mut it = pairs.into_iter();
    let cond = condition(it.next().unwrap());
    let then = block(it.next().unwrap());
    let otherwise = it.next().map(|p| match p.as_rule() {
        Rule::block => block(p),
        _ => {
            // `else if`: an if statement inside a block of its own.
            let sp = span(&p);
            let nested = if_stmt(p.into_inner().filter(|q| !is_keyword(q.as_rule())).collect());
            Block { stmts: vec![Stmt { kind: nested, span: sp }], span: sp }
        }
    });
    StmtKind::If { cond, then, otherwise }
}

fn condition(pair: Pair<Rule>) -> Cond {
    let mut parts = pair.into_inner().filter(|p| p.as_rule() == Rule::conjunct).map(conjunct);
    let first = parts.next().unwrap();
    parts.fold(first, |a, b| Cond::Or(Box::new(a), Box::new(b)))
}

fn conjunct(pair: Pair<Rule>) -> Cond {
    let mut parts = pair.into_inner().filter(|p| p.as_rule() == Rule::negation).map(negation);
    let first = parts.next().unwrap();
    parts.fold(first, |a, b| Cond::And(Box::new(a), Box::new(b)))
}

fn negation(pair: Pair<Rule>) -> Cond {
    let mut negate = false;
    let mut cond = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_not => negate = true,
            Rule::condition => cond = Some(condition(p)),
            _ => cond = Some(comparison(p)),
        }
    }
    let cond = cond.unwrap();
    if negate {
        Cond::Not(Box::new(cond))
    } else {
        cond
    }
}

fn comparison(pair: Pair<Rule>) -> Cond {
    let mut it = pair.into_inner();
    let left = expr(it.next().unwrap());
    match it.next() {
        None => Cond::Truthy(left),
        Some(op) => {
            let op = match op.as_str() {
                "==" => CompareOp::Eq,
                "!=" => CompareOp::Ne,
                "<=" => CompareOp::Le,
                ">=" => CompareOp::Ge,
                "<" => CompareOp::Lt,
                _ => CompareOp::Gt,
            };
            Cond::Compare { left, op, right: expr(it.next().unwrap()) }
        }
    }
}

fn expr(pair: Pair<Rule>) -> Expr {
    let inner = first_inner(pair);
    match inner.as_rule() {
        Rule::string => Expr::Str(string(inner)),
        Rule::duration => Expr::Duration(duration(inner)),
        Rule::integer => Expr::Int(integer(inner)),
        Rule::call => Expr::Call(call(inner)),
        _ => Expr::Var(name(inner)),
    }
}

fn call(pair: Pair<Rule>) -> Call {
    let sp = span(&pair);
    let mut it = pair.into_inner();
    let q = it.next().unwrap();
    let qs = q.as_span();
    let (module, n) = match q.as_str().split_once('.') {
        Some((m, n)) => (
            Some(Name { text: m.to_string(), span: Span::new(qs.start(), qs.start() + m.len()) }),
            Name { text: n.to_string(), span: Span::new(qs.start() + m.len() + 1, qs.end()) },
        ),
        None => (None, Name { text: q.as_str().to_string(), span: Span::new(qs.start(), qs.end()) }),
    };
    let args = it
        .map(|a| {
            let mut parts: Vec<Pair<Rule>> = a.into_inner().collect();
            let value = expr(parts.pop().unwrap());
            Argument { name: parts.pop().map(name), value }
        })
        .collect();
    Call { module, name: n, args, span: sp }
}

fn integer(pair: Pair<Rule>) -> IntLit {
    IntLit { value: pair.as_str().parse().ok(), span: span(&pair) }
}

fn dur_value(pair: Pair<Rule>) -> DurationValue {
    let inner = first_inner(pair);
    match inner.as_rule() {
        Rule::duration => DurationValue::Lit(duration(inner)),
        _ => DurationValue::Var(name(inner)),
    }
}

fn duration(pair: Pair<Rule>) -> DurationLit {
    let text = pair.as_str().to_string();
    DurationLit { value: parse_duration(&text), text, span: span(&pair) }
}

fn string(pair: Pair<Rule>) -> StringLit {
    let sp = span(&pair);
    let mut parts: Vec<StrPart> = Vec::new();
    let push_text = |parts: &mut Vec<StrPart>, bytes: &[u8]| match parts.last_mut() {
        Some(StrPart::Text(t)) => t.extend_from_slice(bytes),
        _ => parts.push(StrPart::Text(bytes.to_vec())),
    };
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::text => push_text(&mut parts, p.as_str().as_bytes()),
            Rule::escape => push_text(&mut parts, &unescape(p.as_str())),
            _ => parts.push(StrPart::Hole(name(first_inner(p)))),
        }
    }
    StringLit { parts, span: sp }
}
