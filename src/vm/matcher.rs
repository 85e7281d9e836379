//! Streaming multi-pattern matcher. Placeholder types until the matcher branch lands.

/// One pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub segments: Vec<Segment>,
    pub line_start: bool,
    pub end: End,
    pub numeric: Option<Vec<u8>>,
}
/// A piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(Vec<u8>),
    Capture,
}
/// What must follow the last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Here,
    LineEnd,
    RestOfLine,
}
