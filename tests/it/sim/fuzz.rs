//! No input can make the engine panic, hang or grow without bound.

use std::time::Duration;

use atchat::sim::{Modem, ModemProfile, Profile, Scenario};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[derive(Debug, Clone)]
enum Op {
    Send(Vec<u8>),
    Wait(u64),
    Dtr(bool),
    Break,
}

fn op() -> impl Strategy<Value = Op> {
    // Bytes biased towards what the command parser cares about.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"AT+=?;,\"\r\n\x08\x1a\x1bDSEQVXZHOI&0123456789CMGLPINRW*#".to_vec()),
    ];
    prop_oneof![
        prop::collection::vec(byte, 0..40).prop_map(Op::Send),
        // Whole commands, so the vendor profiles' call reports and refusals are reached.
        prop::sample::select(vec!["ATD5551234;\r", "ATH\r", "AT+CLCC\r", "AT+CPIN=\"1234\"\r", "AT+CPIN?\r", "ATA\r",])
            .prop_map(|c| Op::Send(c.as_bytes().to_vec())),
        (0u64..20_000).prop_map(Op::Wait),
        any::<bool>().prop_map(Op::Dtr),
        Just(Op::Break),
    ]
}

/// Feeds `ops` to `modem`: no wakeup at or before now (a driver would spin), bounded output.
fn drive(modem: &mut Modem, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut now = Duration::ZERO;
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Send(bytes) => modem.receive(now, &bytes),
            Op::Wait(ms) => now += Duration::from_millis(ms),
            Op::Dtr(on) => modem.set_dtr(now, on),
            Op::Break => modem.send_break(now, Duration::from_millis(100)),
        }
        modem.poll_output(now, &mut out);
        if let Some(wake) = modem.next_wakeup() {
            prop_assert!(wake > now, "a wakeup at or before now would spin a driver");
        }
    }
    prop_assert!(out.len() < 200_000);
    Ok(())
}

proptest! {
    #[test]
    fn random_input_never_panics(gsm in any::<bool>(), ops in prop::collection::vec(op(), 0..60)) {
        let profile = if gsm { Profile::Gsm } else { Profile::Hayes };
        let scenario = Scenario::parse("noise 0.01\nincoming-call at 3s from \"1\"\nincoming-sms at 2s from \"2\" \"x\"").unwrap();
        let mut modem = Modem::new(profile, scenario);
        drive(&mut modem, ops)?;
    }

    #[test]
    fn every_profile_survives_random_input(
        which in 0usize..64,
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let names: Vec<&str> = ModemProfile::names().collect();
        let profile = ModemProfile::bundled(names[which % names.len()]).unwrap();
        let scenario = Scenario::parse(
            "pin 1234\nring-delay 2s\ncarrier-lost after 5s\nreject 1\nbusy 1\nincoming-call at 3s from \"1\"",
        )
        .unwrap();
        let mut modem = Modem::with_profile(profile, scenario);
        drive(&mut modem, ops)?;
    }

    #[test]
    fn profile_text_never_panics(text in "\\PC{0,300}") {
        let _ = ModemProfile::parse("fuzz.toml", &text);
        let _ = ModemProfile::parse("fuzz.toml", &format!("inherit = \"gsm\"\n{text}"));
    }

    #[test]
    fn scenario_text_never_panics(text in "\\PC{0,200}") {
        let _ = Scenario::parse(&text);
    }
}

#[test]
fn huge_times_do_not_overflow() {
    let mut modem = Modem::new(Profile::Hayes, Scenario::parse("latency 300ms").unwrap());
    modem.receive(Duration::MAX, b"ATD1\r");
    let mut out = Vec::new();
    modem.poll_output(Duration::MAX, &mut out);
    // Time going backwards is treated as "now" and changes nothing.
    modem.receive(Duration::ZERO, b"AT\r");
    modem.poll_output(Duration::ZERO, &mut out);
    assert!(out.starts_with(b"ATD1\r"));
}
