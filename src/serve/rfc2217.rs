//! The server side of RFC 2217 (Telnet COM-PORT-CONTROL, option 44), with no I/O.
//!
//! Bytes from the client go into [`Rfc2217Server::decode`], which separates data from
//! Telnet commands, answers option negotiation and COM-PORT subnegotiations, and reports
//! the line changes (baud, DTR, RTS, break) the modem must see. Data for the client goes
//! through [`Rfc2217Server::encode_data`] (IAC doubled) and carrier changes through
//! [`Rfc2217Server::modem_state`].

use crate::port::telnet::{escape_iac, Decoder, Event, StrayIac, DO, DONT, IAC, SB, SE, WILL, WONT};

const BINARY: u8 = 0;
const SGA: u8 = 3;
/// RFC 2217 COM-PORT-OPTION.
const COM_PORT: u8 = 44;

/// Client-to-server subnegotiation codes; the server answers with the code plus 100.
const SIGNATURE: u8 = 0;
const SET_BAUDRATE: u8 = 1;
const SET_DATASIZE: u8 = 2;
const SET_PARITY: u8 = 3;
const SET_STOPSIZE: u8 = 4;
const SET_CONTROL: u8 = 5;
const NOTIFY_LINESTATE: u8 = 6;
const NOTIFY_MODEMSTATE: u8 = 7;
const SET_LINESTATE_MASK: u8 = 10;
const SET_MODEMSTATE_MASK: u8 = 11;
const PURGE_DATA: u8 = 12;
const SERVER_OFFSET: u8 = 100;

/// Modem-state bits (RFC 2217): carrier detect, DSR, CTS, and the carrier-changed delta.
const MS_CD: u8 = 0x80;
const MS_DSR: u8 = 0x20;
const MS_CTS: u8 = 0x10;
const MS_DELTA_CD: u8 = 0x08;

/// A change of the serial line the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineControl {
    /// SET-BAUDRATE with a non-zero rate.
    Baud(u32),
    /// SET-CONTROL DTR on (8) or off (9).
    Dtr(bool),
    /// SET-CONTROL RTS on (11) or off (12).
    Rts(bool),
    /// SET-CONTROL BREAK on (5) or off (6).
    Break(bool),
    /// PURGE-DATA of the server's receive buffer (1 or 3): discard pending client data.
    PurgeInput,
}

/// One client connection's Telnet and COM-PORT state.
#[derive(Debug, Clone)]
pub struct Rfc2217Server {
    decoder: Decoder,
    /// Options we perform (WILL sent and not withdrawn), by option code.
    we: [bool; 256],
    /// Options the client performs.
    they: [bool; 256],
    baud: u32,
    datasize: u8,
    parity: u8,
    stopsize: u8,
    dtr: bool,
    rts: bool,
    brk: bool,
    modemstate_mask: u8,
    last_modem_state: Option<u8>,
}

impl Default for Rfc2217Server {
    fn default() -> Rfc2217Server {
        Rfc2217Server::new()
    }
}

impl Rfc2217Server {
    /// A fresh connection at 115200 8N1, DTR and RTS on.
    pub fn new() -> Rfc2217Server {
        Rfc2217Server {
            decoder: Decoder::new(StrayIac::Abandon),
            we: [false; 256],
            they: [false; 256],
            baud: 115_200,
            datasize: 8,
            parity: 1,
            stopsize: 1,
            dtr: true,
            rts: true,
            brk: false,
            modemstate_mask: 0xff,
            last_modem_state: None,
        }
    }

    /// What the server sends first: it offers binary mode, SGA and COM-PORT-OPTION both
    /// ways, so clients that wait for the server (and ones that ask first) both settle.
    pub fn greeting(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        for option in [BINARY, SGA, COM_PORT] {
            self.we[usize::from(option)] = true;
            out.extend_from_slice(&[IAC, WILL, option, IAC, DO, option]);
        }
        out
    }

    /// Decodes bytes from the client: data goes to `data`, line changes to `controls`,
    /// answers for the client to `reply`.
    pub fn decode(&mut self, input: &[u8], data: &mut Vec<u8>, controls: &mut Vec<LineControl>, reply: &mut Vec<u8>) {
        for &b in input {
            match self.decoder.push(b) {
                None => {}
                Some(Event::Data(b)) => data.push(b),
                Some(Event::Negotiate { verb, option }) => self.negotiate(verb, option, reply),
                Some(Event::Subnegotiation(sub)) => {
                    // Copied out of the decoder so answering it can change the line state.
                    let sub = sub.to_vec();
                    self.subnegotiation(&sub, controls, reply);
                }
            }
        }
    }

    fn negotiate(&mut self, verb: u8, option: u8, reply: &mut Vec<u8>) {
        let supported = matches!(option, BINARY | SGA | COM_PORT);
        let i = usize::from(option);
        // Answer only real changes: acknowledging an acknowledgement loops forever.
        match verb {
            DO if supported && !self.we[i] => {
                self.we[i] = true;
                reply.extend_from_slice(&[IAC, WILL, option]);
            }
            DO if !supported => reply.extend_from_slice(&[IAC, WONT, option]),
            DONT if self.we[i] => {
                self.we[i] = false;
                reply.extend_from_slice(&[IAC, WONT, option]);
            }
            WILL if supported && !self.they[i] => {
                self.they[i] = true;
                reply.extend_from_slice(&[IAC, DO, option]);
            }
            WILL if !supported => reply.extend_from_slice(&[IAC, DONT, option]),
            WONT if self.they[i] => {
                self.they[i] = false;
                reply.extend_from_slice(&[IAC, DONT, option]);
            }
            _ => {}
        }
    }

    fn subnegotiation(&mut self, sub: &[u8], controls: &mut Vec<LineControl>, reply: &mut Vec<u8>) {
        let [COM_PORT, code, value @ ..] = sub else {
            return;
        };
        let first = value.first().copied().unwrap_or(0);
        let answer: Vec<u8> = match *code {
            SIGNATURE => b"atchat sim".to_vec(),
            SET_BAUDRATE => {
                if let [a, b, c, d] = value {
                    let baud = u32::from_be_bytes([*a, *b, *c, *d]);
                    if baud != 0 {
                        self.baud = baud;
                        controls.push(LineControl::Baud(baud));
                    }
                }
                self.baud.to_be_bytes().to_vec()
            }
            SET_DATASIZE => vec![set_or_query(&mut self.datasize, first)],
            SET_PARITY => vec![set_or_query(&mut self.parity, first)],
            SET_STOPSIZE => vec![set_or_query(&mut self.stopsize, first)],
            SET_CONTROL => vec![self.control(first, controls)],
            NOTIFY_LINESTATE => vec![0],
            NOTIFY_MODEMSTATE => {
                vec![self.last_modem_state.unwrap_or(MS_DSR | MS_CTS) & !MS_DELTA_CD]
            }
            SET_LINESTATE_MASK => vec![first],
            SET_MODEMSTATE_MASK => {
                self.modemstate_mask = first;
                vec![first]
            }
            PURGE_DATA => {
                if first == 1 || first == 3 {
                    controls.push(LineControl::PurgeInput);
                }
                vec![first]
            }
            // Flow-control suspend/resume and unknown codes need no answer.
            _ => return,
        };
        reply.extend_from_slice(&[IAC, SB, COM_PORT, code.saturating_add(SERVER_OFFSET)]);
        escape_iac(&answer, reply);
        reply.extend_from_slice(&[IAC, SE]);
    }

    /// SET-CONTROL: queries answer the current state, settings are applied and echoed.
    fn control(&mut self, value: u8, controls: &mut Vec<LineControl>) -> u8 {
        match value {
            0 => 1, // flow control: none
            4 => {
                if self.brk {
                    5
                } else {
                    6
                }
            }
            5 | 6 => {
                self.brk = value == 5;
                controls.push(LineControl::Break(self.brk));
                value
            }
            7 => {
                if self.dtr {
                    8
                } else {
                    9
                }
            }
            8 | 9 => {
                self.dtr = value == 8;
                controls.push(LineControl::Dtr(self.dtr));
                value
            }
            10 => {
                if self.rts {
                    11
                } else {
                    12
                }
            }
            11 | 12 => {
                self.rts = value == 11;
                controls.push(LineControl::Rts(self.rts));
                value
            }
            other => other,
        }
    }

    /// Data for the client, with IAC doubled.
    pub fn encode_data(&self, data: &[u8], out: &mut Vec<u8>) {
        escape_iac(data, out);
    }

    /// A NOTIFY-MODEMSTATE for the client when the carrier changed (and at the first
    /// call), filtered by the client's mask. DSR and CTS are always on.
    pub fn modem_state(&mut self, carrier: bool, out: &mut Vec<u8>) {
        let mut state = MS_DSR | MS_CTS;
        if carrier {
            state |= MS_CD;
        }
        let delta = match self.last_modem_state {
            Some(last) if last == state => return,
            Some(_) => MS_DELTA_CD,
            None => 0,
        };
        self.last_modem_state = Some(state);
        let masked = (state | delta) & self.modemstate_mask;
        out.extend_from_slice(&[IAC, SB, COM_PORT, NOTIFY_MODEMSTATE + SERVER_OFFSET]);
        escape_iac(&[masked], out);
        out.extend_from_slice(&[IAC, SE]);
    }
}

/// A SET-DATASIZE/PARITY/STOPSIZE value: 0 queries, anything else sets.
fn set_or_query(slot: &mut u8, value: u8) -> u8 {
    if value != 0 {
        *slot = value;
    }
    *slot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(server: &mut Rfc2217Server, input: &[u8]) -> (Vec<u8>, Vec<LineControl>, Vec<u8>) {
        let (mut data, mut controls, mut reply) = (Vec::new(), Vec::new(), Vec::new());
        server.decode(input, &mut data, &mut controls, &mut reply);
        (data, controls, reply)
    }

    #[test]
    fn data_and_doubled_iac() {
        let mut s = Rfc2217Server::new();
        let (data, _, reply) = decode(&mut s, b"AT\xff\xff\r");
        assert_eq!(data, b"AT\xff\r");
        assert!(reply.is_empty());
        let mut out = Vec::new();
        s.encode_data(b"a\xffb", &mut out);
        assert_eq!(out, b"a\xff\xffb");
    }

    #[test]
    fn negotiation_answers_once() {
        let mut s = Rfc2217Server::new();
        let (_, _, reply) = decode(&mut s, &[IAC, WILL, COM_PORT, IAC, DO, 1]);
        assert_eq!(reply, [IAC, DO, COM_PORT, IAC, WONT, 1]);
        let (_, _, reply) = decode(&mut s, &[IAC, WILL, COM_PORT]);
        assert!(reply.is_empty());
    }

    #[test]
    fn controls_and_answers() {
        let mut s = Rfc2217Server::new();
        let mut input = vec![IAC, SB, COM_PORT, SET_BAUDRATE, 0, 0, 0x25, 0x80, IAC, SE];
        input.extend_from_slice(&[IAC, SB, COM_PORT, SET_CONTROL, 9, IAC, SE]);
        let (data, controls, reply) = decode(&mut s, &input);
        assert!(data.is_empty());
        assert_eq!(controls, vec![LineControl::Baud(9600), LineControl::Dtr(false)]);
        assert_eq!(reply, [IAC, SB, COM_PORT, 101, 0, 0, 0x25, 0x80, IAC, SE, IAC, SB, COM_PORT, 105, 9, IAC, SE]);
    }

    #[test]
    fn modem_state_only_on_change() {
        let mut s = Rfc2217Server::new();
        let mut out = Vec::new();
        s.modem_state(false, &mut out);
        assert_eq!(out, [IAC, SB, COM_PORT, 107, 0x30, IAC, SE]);
        out.clear();
        s.modem_state(false, &mut out);
        assert!(out.is_empty());
        s.modem_state(true, &mut out);
        assert_eq!(out, [IAC, SB, COM_PORT, 107, 0xb8, IAC, SE]);
    }

    #[test]
    fn garbage_is_harmless() {
        let mut s = Rfc2217Server::new();
        let junk: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let _ = decode(&mut s, &junk);
        let long_sb: Vec<u8> = [IAC, SB, COM_PORT].into_iter().chain(std::iter::repeat(7).take(1000)).collect();
        let _ = decode(&mut s, &long_sb);
    }
}
