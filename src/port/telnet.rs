//! Telnet byte framing (RFC 854), with no I/O and no option policy.
//!
//! [`Decoder`] splits a Telnet byte stream into [`Event`]s: data bytes (IAC IAC undone),
//! option negotiation and subnegotiations. [`escape_iac`] is the other direction. What to
//! agree to and what a subnegotiation means is left to the caller: the RFC 2217 client
//! (`port::rfc2217`) and the simulator's RFC 2217 server (`serve::rfc2217`) share this
//! framing but not their answers.

/// Interpret as command.
pub const IAC: u8 = 255;
/// Asks the other side to stop performing an option.
pub const DONT: u8 = 254;
/// Asks the other side to perform an option.
pub const DO: u8 = 253;
/// Refuses to perform, or stops performing, an option.
pub const WONT: u8 = 252;
/// Offers to perform, or agrees to perform, an option.
pub const WILL: u8 = 251;
/// Begins a subnegotiation.
pub const SB: u8 = 250;
/// Ends a subnegotiation.
pub const SE: u8 = 240;

/// A longest subnegotiation kept; bytes beyond it are dropped. RFC 2217 messages are a few
/// bytes, and a peer streaming an endless one must not grow memory without bound.
const MAX_SUB: usize = 64;

/// One thing the peer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A data byte, IAC escapes removed.
    Data(u8),
    /// `IAC verb option`, where `verb` is [`WILL`], [`WONT`], [`DO`] or [`DONT`].
    Negotiate { verb: u8, option: u8 },
    /// The bytes between `IAC SB` and `IAC SE`, IAC IAC undone, at most 64 of them; the
    /// first is the option.
    Subnegotiation(&'a [u8]),
}

/// What `IAC x` means inside a subnegotiation when `x` is neither IAC nor SE. RFC 854 does
/// not say; the two RFC 2217 ends in atchat have always read it differently, and sharing
/// the framing keeps each one's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrayIac {
    /// `x` is a value byte and the subnegotiation goes on.
    KeepByte,
    /// The subnegotiation is abandoned and `x` dropped; what follows is data.
    Abandon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// Splits a Telnet byte stream into [`Event`]s, one byte at a time, so a command split
/// across reads is still recognised.
#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    sub: Vec<u8>,
    stray_iac: StrayIac,
}

impl Decoder {
    /// A decoder at the start of a stream, reading a stray IAC in a subnegotiation as
    /// `stray_iac` says.
    pub fn new(stray_iac: StrayIac) -> Decoder {
        Decoder { state: State::Data, sub: Vec::new(), stray_iac }
    }

    /// Takes one byte from the peer; returns the event it completes, if any.
    pub fn push(&mut self, b: u8) -> Option<Event<'_>> {
        let (next, event) = match (self.state, b) {
            (State::Data, IAC) => (State::Iac, None),
            (State::Data, _) => (State::Data, Some(Event::Data(b))),
            (State::Iac, IAC) => (State::Data, Some(Event::Data(IAC))),
            (State::Iac, WILL | WONT | DO | DONT) => (State::Verb(b), None),
            (State::Iac, SB) => {
                self.sub.clear();
                (State::Sub, None)
            }
            // NOP, GA, data mark and the other two-byte commands mean nothing to a modem.
            (State::Iac, _) => (State::Data, None),
            (State::Verb(verb), option) => (State::Data, Some(Event::Negotiate { verb, option })),
            (State::Sub, IAC) => (State::SubIac, None),
            (State::Sub, _) => {
                self.push_sub(b);
                (State::Sub, None)
            }
            (State::SubIac, SE) => {
                self.state = State::Data;
                return Some(Event::Subnegotiation(&self.sub));
            }
            (State::SubIac, IAC) => {
                self.push_sub(IAC);
                (State::Sub, None)
            }
            (State::SubIac, _) => match self.stray_iac {
                StrayIac::KeepByte => {
                    self.push_sub(b);
                    (State::Sub, None)
                }
                StrayIac::Abandon => (State::Data, None),
            },
        };
        self.state = next;
        event
    }

    fn push_sub(&mut self, b: u8) {
        if self.sub.len() < MAX_SUB {
            self.sub.push(b);
        }
    }
}

/// Appends `bytes` to `out` with every IAC doubled, as data and subnegotiation values must
/// be sent.
pub fn escape_iac(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b == IAC {
            out.push(IAC);
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything `input` decodes to, subnegotiations copied out.
    fn decode(decoder: &mut Decoder, input: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &b in input {
            if let Some(event) = decoder.push(b) {
                events.push(format!("{event:?}"));
            }
        }
        events
    }

    #[test]
    fn data_commands_and_subnegotiations_are_told_apart() {
        let mut d = Decoder::new(StrayIac::KeepByte);
        let events = decode(&mut d, &[b'A', IAC, IAC, IAC, 241, IAC, DO, 44, IAC, SB, 44, 1, IAC, IAC, IAC, SE, b'B']);
        assert_eq!(
            events,
            [
                "Data(65)",
                "Data(255)",
                "Negotiate { verb: 253, option: 44 }",
                "Subnegotiation([44, 1, 255])",
                "Data(66)",
            ]
        );
    }

    #[test]
    fn a_command_split_across_reads_is_recognised() {
        let mut d = Decoder::new(StrayIac::KeepByte);
        assert!(decode(&mut d, &[IAC]).is_empty());
        assert!(decode(&mut d, &[WILL]).is_empty());
        assert_eq!(decode(&mut d, &[3]), ["Negotiate { verb: 251, option: 3 }"]);
    }

    #[test]
    fn a_stray_iac_in_a_subnegotiation_is_read_as_asked() {
        let input = [IAC, SB, 44, IAC, 7, 1, IAC, SE];
        let mut keep = Decoder::new(StrayIac::KeepByte);
        assert_eq!(decode(&mut keep, &input), ["Subnegotiation([44, 7, 1])"]);
        let mut abandon = Decoder::new(StrayIac::Abandon);
        assert_eq!(decode(&mut abandon, &input), ["Data(1)"]);
    }

    #[test]
    fn an_endless_subnegotiation_is_cut_at_the_cap() {
        let mut d = Decoder::new(StrayIac::KeepByte);
        let mut input = vec![IAC, SB];
        input.extend(std::iter::repeat_n(7u8, 10_000));
        assert!(decode(&mut d, &input).is_empty());
        assert_eq!(d.push(IAC), None);
        let event = d.push(SE);
        assert!(matches!(event, Some(Event::Subnegotiation(sub)) if sub.len() == MAX_SUB), "{event:?}");
    }

    #[test]
    fn escaping_doubles_only_iac() {
        let mut out = vec![b'x'];
        escape_iac(&[0, IAC, b'\r', IAC, IAC], &mut out);
        assert_eq!(out, [b'x', 0, IAC, IAC, b'\r', IAC, IAC, IAC, IAC]);
    }
}
