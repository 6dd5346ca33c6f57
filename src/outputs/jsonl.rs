//! JSON lines: one event per line, each written whole with one call and flushed.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::event::Event;

/// Somewhere whole lines go. Runs on the delivery thread, so it may block.
pub trait LineSink: Send + 'static {
    /// Writes one line, newline included, whole.
    fn write_line(&mut self, line: &str) -> std::io::Result<()>;
}

/// Writes lines to any writer (stdout in headless mode), flushing after each. A line of at
/// most `PIPE_BUF` (4 KiB) bytes reaches a pipe whole or not at all.
#[derive(Debug)]
pub struct JsonLines<W: Write + Send + 'static> {
    out: W,
}

impl<W: Write + Send + 'static> JsonLines<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write + Send + 'static> LineSink for JsonLines<W> {
    fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }
}

/// Collects the events of the lines it is given, in memory (tests, and consumers that batch).
#[derive(Debug, Default, Clone)]
pub struct VecSink(pub Arc<Mutex<Vec<Event>>>);

impl VecSink {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl LineSink for VecSink {
    fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let event: Event = serde_json::from_str(line.trim_end())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
        Ok(())
    }
}
