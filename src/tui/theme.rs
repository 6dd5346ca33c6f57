//! Colours and styles. Status is never shown by colour alone (every status has a symbol and a
//! word), and `NO_COLOR` turns colour off entirely.

use ratatui::style::{Color, Modifier, Style};

use crate::config::Severity;
use crate::event::Status;

/// The styles the views use.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set (to anything non-empty).
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// A theme with or without colour.
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Less important text.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Titles and headers.
    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The header bar.
    pub fn bar(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Matched terms in the detail view.
    pub fn highlight(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// An alarm in the header or a banner: white on red, or reversed and underlined without
    /// colour, so it stands out of the bar it sits in.
    pub fn alarm(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// A warning in the header: black on yellow, or bold without colour.
    pub fn caution(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::LightYellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Errors.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Success.
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    /// A status's style; each step up is louder (critical is white on red, warning bold red).
    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Critical => self.alarm(),
            Status::Warning => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            Status::Watch => self.fg(Color::Yellow),
            Status::Quiet => self.dim(),
        }
    }

    /// A severity's style, rising with the severity.
    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.alarm(),
            Severity::High => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            Severity::Medium => self.fg(Color::Yellow),
            Severity::Low | Severity::Info => self.dim(),
        }
    }
}

/// A status as symbol and word, so it reads without colour.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Critical => "▲▲ CRIT",
        Status::Warning => "▲ WARN",
        Status::Watch => "● watch",
        Status::Quiet => "· quiet",
    }
}

/// A severity as a short word.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "med",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}
