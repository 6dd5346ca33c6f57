//! The JSON-lines sink: one event per line on stdout, flushed per line.

use std::io::Write;

use crate::event::Event;
use crate::monitor::Sink;

/// Writes events as JSON lines to any writer (stdout in headless mode).
#[derive(Debug)]
pub struct JsonLines<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> JsonLines<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write + Send> Sink for JsonLines<W> {
    fn emit(&mut self, event: &Event) -> std::io::Result<()> {
        let mut line = event.to_json_line();
        line.push('\n');
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }
}
