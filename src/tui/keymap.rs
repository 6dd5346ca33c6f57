//! Keys as data: the default bindings, overrides from the config's `[keys]` table, and the help
//! text generated from the live map so it can never disagree with the real keys.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// One key with its modifiers, as written in the config (`"a"`, `"ctrl-c"`, `"pagedown"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    code: KeyCode,
    ctrl: bool,
    alt: bool,
}

impl KeyBinding {
    /// Parses a key name: a single character, or one of `enter esc tab backtab space up down
    /// left right home end pageup pagedown backspace delete insert f1`..`f12`, with optional
    /// `ctrl-` and `alt-` prefixes.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut rest = raw.trim();
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1
                && (lower.starts_with("ctrl-") || lower.starts_with("ctrl+"))
            {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1
                && (lower.starts_with("alt-") || lower.starts_with("alt+"))
            {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "unknown key {raw:?}; use a character, enter, esc, tab, backtab, space, up, down, left, right, home, end, pageup, pagedown, f1-f12, with optional ctrl- or alt-"
                    ));
                }
            },
        };
        Ok(Self { code, ctrl, alt })
    }

    /// The binding for a key event (shift is part of the character).
    pub fn from_event(ev: &KeyEvent) -> Self {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Self {
            code,
            ctrl,
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Default keys per action.
fn defaults(action: Action) -> &'static [&'static str] {
    match action {
        Action::Up => &["up", "k"],
        Action::Down => &["down", "j"],
        Action::Top => &["g", "home"],
        Action::Bottom => &["G", "end"],
        Action::PageUp => &["pageup", "ctrl-b"],
        Action::PageDown => &["pagedown", "ctrl-f"],
        Action::Open => &["enter"],
        Action::Back => &["esc"],
        Action::NextView => &["tab"],
        Action::PrevView => &["backtab"],
        Action::ShowWatchlist => &["1"],
        Action::ShowAlerts => &["2"],
        Action::ShowFeeds => &["3"],
        Action::ShowHelp => &["?"],
        Action::Acknowledge => &["a"],
        Action::Snooze => &["z"],
        Action::Note => &["n"],
        Action::OpenLink => &["o"],
        Action::CopyLink => &["y"],
        Action::TogglePause => &["p"],
        Action::Filter => &["/"],
        Action::CycleSort => &["s"],
        Action::Search => &["f"],
        Action::Mark => &["space"],
        Action::SavedView => &["v"],
        Action::PollNow => &["r"],
        Action::UnackedOnly => &["u"],
        Action::MuteBell => &["m"],
        Action::Quit => &["q"],
        Action::QuitNow => &["Q", "ctrl-c"],
    }
}

/// The live key map, in help order.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(KeyBinding, Action)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        Self::new(&[]).unwrap_or(Self {
            bindings: Vec::new(),
        })
    }
}

impl KeyMap {
    /// The defaults with `overrides` (action name, keys) applied: an overridden action keeps only
    /// the keys given, and a key given there is taken from whatever action had it by default.
    /// Errors name the action or key at fault.
    pub fn new(overrides: &[(String, Vec<String>)]) -> Result<Self, String> {
        let mut custom: Vec<(Action, Vec<KeyBinding>)> = Vec::new();
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                let near = names
                    .iter()
                    .map(|n| (strsim::jaro_winkler(name, n), *n))
                    .filter(|(s, _)| *s > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, n)| format!("did you mean {n:?}? "))
                    .unwrap_or_default();
                format!(
                    "unknown action {name:?}; {near}actions: {}",
                    names.join(", ")
                )
            })?;
            let parsed = keys
                .iter()
                .map(|k| KeyBinding::parse(k))
                .collect::<Result<Vec<_>, _>>()?;
            if parsed.is_empty() {
                return Err(format!("action {name:?} needs at least one key"));
            }
            for k in &parsed {
                if let Some((other, _)) =
                    custom.iter().find(|(a, ks)| *a != action && ks.contains(k))
                {
                    return Err(format!(
                        "key {k} is bound to both {:?} and {:?}",
                        other.name(),
                        action.name()
                    ));
                }
            }
            custom.push((action, parsed));
        }
        let taken: Vec<KeyBinding> = custom
            .iter()
            .flat_map(|(_, ks)| ks.iter().copied())
            .collect();
        let mut bindings = Vec::new();
        for action in Action::ALL {
            match custom.iter().find(|(a, _)| *a == action) {
                Some((_, keys)) => bindings.extend(keys.iter().map(|k| (*k, action))),
                None => bindings.extend(
                    defaults(action)
                        .iter()
                        .filter_map(|k| KeyBinding::parse(k).ok())
                        .filter(|k| !taken.contains(k))
                        .map(|k| (k, action)),
                ),
            }
        }
        Ok(Self { bindings })
    }

    /// The action for a key event, if bound.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let k = KeyBinding::from_event(ev);
        self.bindings.iter().find(|(b, _)| *b == k).map(|(_, a)| *a)
    }

    /// The keys bound to an action, for help and hints.
    pub fn keys(&self, action: Action) -> Vec<KeyBinding> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The first key for an action as text ("a"), or "unbound".
    pub fn hint(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map_or_else(|| "unbound".to_string(), |k| k.to_string())
    }

    /// Help lines: (keys, description), one per action, in help order.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .map(|a| {
                let keys: Vec<String> = self.keys(*a).iter().map(ToString::to_string).collect();
                (
                    if keys.is_empty() {
                        "unbound".into()
                    } else {
                        keys.join(" ")
                    },
                    a.describe(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_and_overrides() {
        let m = KeyMap::default();
        assert_eq!(m.action(&key('a')), Some(Action::Acknowledge));
        assert_eq!(m.action(&key('G')), Some(Action::Bottom));
        assert_eq!(
            m.action(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::QuitNow)
        );
        assert_eq!(m.action(&key('Q')), Some(Action::QuitNow));
        let m = KeyMap::new(&[
            ("acknowledge".into(), vec!["A".into()]),
            ("quit".into(), vec!["x".into()]),
        ])
        .unwrap();
        assert_eq!(m.action(&key('A')), Some(Action::Acknowledge));
        assert_eq!(m.action(&key('a')), None);
        assert_eq!(m.action(&key('q')), None);
        assert_eq!(m.action(&key('x')), Some(Action::Quit));
        assert!(
            m.help()
                .iter()
                .any(|(k, d)| k == "A" && d.starts_with("acknowledge"))
        );
    }

    #[test]
    fn bad_overrides_say_why() {
        let e = KeyMap::new(&[("acknowlege".into(), vec!["a".into()])]).unwrap_err();
        assert!(e.contains("did you mean \"acknowledge\""), "{e}");
        let e = KeyMap::new(&[("quit".into(), vec!["hyper-q".into()])]).unwrap_err();
        assert!(e.contains("unknown key \"hyper-q\""), "{e}");
        let e = KeyMap::new(&[
            ("quit".into(), vec!["x".into()]),
            ("pause".into(), vec!["x".into()]),
        ])
        .unwrap_err();
        assert!(e.contains("bound to both"), "{e}");
    }
}
