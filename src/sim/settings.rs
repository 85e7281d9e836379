//! The modem's configurable state: E/Q/V/X flags, &C/&D and the S-registers.
//!
//! Kept apart from the engine so `&F`, `&W` and `Z` are plain copies of one value: the
//! active settings, the stored profile and the factory defaults are all a [`Settings`].

/// S-register numbers the modem knows; `ATSn` on any other number is an ERROR, as on a
/// real modem that lacks the register.
const KNOWN_REGISTERS: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 25];

/// Size of the register file; every index in [`KNOWN_REGISTERS`] is below it.
const REGISTER_COUNT: usize = 26;

/// One complete set of V.250 settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `E`: echo command-state characters back to the DTE.
    pub echo: bool,
    /// `Q`: suppress result codes (information text is still sent).
    pub quiet: bool,
    /// `V`: verbose (`OK`) or numeric (`0`) result codes.
    pub verbose: bool,
    /// `X`: which call-progress result codes are reported (0..=4).
    pub x: u8,
    /// `&C`: 0 = DCD always on, 1 = DCD follows carrier.
    pub dcd_mode: u8,
    /// `&D`: what an on-to-off DTR transition does (0..=3).
    pub dtr_mode: u8,
    /// `L`, `M`, `&K`, `&S`: accepted and kept so `&V` can show them, no effect.
    pub speaker_volume: u8,
    /// `M`: speaker control.
    pub speaker_mode: u8,
    /// `&K`: flow control selection.
    pub flow: u8,
    /// `&S`: DSR behaviour.
    pub dsr_mode: u8,
    regs: [u8; REGISTER_COUNT],
}

impl Settings {
    /// Factory defaults (`AT&F`), as V.250 and the Hayes manuals give them.
    pub fn factory() -> Settings {
        let mut regs = [0u8; REGISTER_COUNT];
        regs[2] = 43; // escape character '+'
        regs[3] = 13; // command line terminator CR
        regs[4] = 10; // response formatting LF
        regs[5] = 8; // command line editing BS
        regs[6] = 2; // seconds to wait for dial tone
        regs[7] = 50; // seconds to wait for carrier
        regs[8] = 2; // seconds a comma pauses
        regs[9] = 6; // carrier detect time, 1/10 s
        regs[10] = 14; // carrier loss before hang-up, 1/10 s
        regs[11] = 95; // DTMF duration, ms
        regs[12] = 50; // escape guard time, 1/50 s
        regs[25] = 5; // DTR must stay off this long to count, 1/100 s
        Settings {
            echo: true,
            quiet: false,
            verbose: true,
            x: 4,
            dcd_mode: 1,
            dtr_mode: 2,
            speaker_volume: 1,
            speaker_mode: 1,
            flow: 3,
            dsr_mode: 0,
            regs,
        }
    }

    /// Whether register `n` exists.
    pub fn has_register(n: u32) -> bool {
        usize::try_from(n).is_ok_and(|n| KNOWN_REGISTERS.contains(&n))
    }

    /// The value of register `n`, 0 for a register that does not exist.
    pub fn reg(&self, n: usize) -> u8 {
        self.regs.get(n).copied().unwrap_or(0)
    }

    /// Sets register `n`; returns false (nothing changed) for an unknown register or a
    /// value above 255.
    pub fn set_reg(&mut self, n: u32, value: u32) -> bool {
        let (Ok(index), Ok(value)) = (usize::try_from(n), u8::try_from(value)) else {
            return false;
        };
        if !KNOWN_REGISTERS.contains(&index) {
            return false;
        }
        match self.regs.get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// The lines `AT&V` shows for this profile.
    pub fn describe(&self) -> Vec<String> {
        let flags = format!(
            "E{} L{} M{} Q{} V{} X{} &C{} &D{} &K{} &S{}",
            u8::from(self.echo),
            self.speaker_volume,
            self.speaker_mode,
            u8::from(self.quiet),
            u8::from(self.verbose),
            self.x,
            self.dcd_mode,
            self.dtr_mode,
            self.flow,
            self.dsr_mode
        );
        let regs: Vec<String> = KNOWN_REGISTERS.iter().map(|&n| format!("S{n:02}:{:03}", self.reg(n))).collect();
        let mut lines = vec![flags];
        for chunk in regs.chunks(7) {
            lines.push(chunk.join(" "));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_registers_and_large_values_are_refused() {
        let mut s = Settings::factory();
        assert!(!s.set_reg(13, 1));
        assert!(!s.set_reg(7, 256));
        assert!(!s.set_reg(u32::MAX, 1));
        assert!(s.set_reg(7, 255));
        assert_eq!(s.reg(7), 255);
        assert_eq!(s.reg(999), 0);
    }
}
