//! The simulated modem (to be written).
