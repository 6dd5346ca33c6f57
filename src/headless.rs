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
        self.emit_batch(std::slice::from_ref(event), &mut |_| Ok(()))
    }

    /// Every line is encoded first; then each is claimed and written in one call. A line of at
    /// most `PIPE_BUF` (4 KiB) bytes reaches a pipe whole or not at all.
    fn emit_batch(
        &mut self,
        events: &[Event],
        claim: &mut dyn FnMut(usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let lines: Vec<String> = events
            .iter()
            .map(|e| {
                let mut line = e.to_json_line();
                line.push('\n');
                line
            })
            .collect();
        for (i, line) in lines.iter().enumerate() {
            claim(i)?;
            self.out.write_all(line.as_bytes())?;
            self.out.flush()?;
        }
        Ok(())
    }
}
