//! Embedding atchat: one script compiled once, run as many sessions two ways.
//!
//!     cargo run --release --example embed -- [SESSIONS]
//!
//! 1. On plain threads: each thread opens its own simulated modem (`sim:hayes`, the real
//!    clock) and calls `Session::run`, which blocks until the script ends.
//! 2. Step by step, from one thread: every session is resumed with the time and the reply to
//!    its last effect, and told what its modem sent; nothing blocks. This is how an async
//!    runtime would drive sessions (see docs/embedding.md): `Effect::Wait { until }` becomes
//!    "readable or the timer at `until`, whichever first". Here the modems are simulator
//!    engines in memory and the clock is virtual, so the loop jumps from one deadline to the
//!    next.
//!
//! The script is examples/hayes-dial.atc; every session dials its own number.

use std::path::Path;
use std::time::{Duration, Instant};

use atchat::port::{self, PortSpec, SerialOptions};
use atchat::sim::{Modem, Profile, Scenario};
use atchat::{Effect, ExitStatus, Reply, Script, Session, Transcript};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 8,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hayes-dial.atc");
    // Compiled once; every session shares the bytecode and the compiled patterns.
    let script = Script::load(&path)?;

    let started = Instant::now();
    let outcomes = on_threads(&script, count)?;
    report("threads", &outcomes, started.elapsed());

    let started = Instant::now();
    let outcomes = stepped(&script, count)?;
    report("stepped", &outcomes, started.elapsed());
    Ok(())
}

/// Way 1: a thread per session, each with its own port and transcript.
fn on_threads(script: &Script, count: usize) -> Result<Vec<ExitStatus>, Box<dyn std::error::Error>> {
    let spec: PortSpec = "sim:hayes".parse()?;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .map(|i| {
                let spec = &spec;
                scope.spawn(move || -> Result<ExitStatus, String> {
                    let number = format!("555{i:04}");
                    let mut session = Session::new(script, [("number", number.as_str())]).map_err(|e| e.to_string())?;
                    let mut modem = port::open(spec, &SerialOptions::default()).map_err(|e| e.to_string())?;
                    // Collect `say` lines instead of printing them.
                    let mut transcript = Transcript::capturing();
                    Ok(session.run(modem.as_mut(), &mut transcript))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().map_err(|_| "a session thread panicked")?.map_err(Into::into)).collect()
    })
}

/// One session and the modem it talks to, as the stepped loop keeps them.
struct Stepped {
    session: Session,
    modem: Modem,
    /// The reply to give at the next resume.
    reply: Reply,
    /// When to resume next: now, or the deadline of the wait it is in.
    wake: Duration,
    /// Set once the script is over.
    outcome: Option<ExitStatus>,
}

/// Way 2: every session driven from this one thread through the step interface.
fn stepped(script: &Script, count: usize) -> Result<Vec<ExitStatus>, Box<dyn std::error::Error>> {
    let mut all = Vec::with_capacity(count);
    for i in 0..count {
        let number = format!("555{i:04}");
        all.push(Stepped {
            session: Session::new(script, [("number", number)])?,
            modem: Modem::new(Profile::Hayes, Scenario::default()),
            reply: Reply::Ok,
            wake: Duration::ZERO,
            outcome: None,
        });
    }
    // Virtual time: the loop's clock jumps to the next thing due. With real I/O this is the
    // event loop's own wait (epoll, a runtime's timers) on every port and deadline at once.
    let mut now = Duration::ZERO;
    let mut out = Vec::new();
    while all.iter().any(|s| s.outcome.is_none()) {
        for s in all.iter_mut().filter(|s| s.outcome.is_none()) {
            // Whatever the modem sent by now goes to the session first.
            out.clear();
            s.modem.poll_output(now, &mut out);
            let arrived = !out.is_empty();
            s.session.feed(&out);
            if s.wake > now && !arrived {
                continue;
            }
            step(s, now);
        }
        // Sleep until the earliest deadline of a session or of a modem.
        let next = all
            .iter()
            .filter(|s| s.outcome.is_none())
            .flat_map(|s| [Some(s.wake), s.modem.next_wakeup()])
            .flatten()
            .filter(|t| *t > now)
            .min();
        now = next.unwrap_or(now + Duration::from_millis(1));
    }
    Ok(all.into_iter().filter_map(|s| s.outcome).collect())
}

/// Resumes one session and performs its effects until it waits or ends.
fn step(s: &mut Stepped, now: Duration) {
    loop {
        let reply = std::mem::replace(&mut s.reply, Reply::Ok);
        match s.session.resume(now, reply) {
            Effect::Write { bytes, .. } => s.modem.receive(now, &bytes),
            Effect::Wait { until } => {
                // A wait without a deadline still wakes when the modem's output arrives.
                s.wake = until.unwrap_or(Duration::MAX);
                return;
            }
            Effect::QueryCarrier => s.reply = Reply::Carrier(s.modem.carrier()),
            Effect::Control(atchat::Control::Dtr(on)) => s.modem.set_dtr(now, on),
            Effect::Control(atchat::Control::Rts(on)) => s.modem.set_rts(now, on),
            Effect::Control(atchat::Control::Break(d)) => s.modem.send_break(now, d),
            Effect::Control(atchat::Control::Baud(b)) => s.modem.set_baud(b),
            // Nothing to discard or to time out in memory; a real port does both.
            Effect::Control(atchat::Control::DiscardInput | atchat::Control::WriteDeadline(_)) => {}
            Effect::Say(_) | Effect::Print(_) => {}
            Effect::Done(outcome) => {
                s.outcome = Some(outcome);
                return;
            }
        }
    }
}

fn report(way: &str, outcomes: &[ExitStatus], took: Duration) {
    let ok = outcomes.iter().filter(|o| o.code == 0).count();
    println!("{way}: {ok} of {} sessions connected in {:.3} s", outcomes.len(), took.as_secs_f64());
    for o in outcomes.iter().filter(|o| o.code != 0) {
        println!("  exit {}: {}", o.code, o.message.as_deref().unwrap_or(""));
    }
}
