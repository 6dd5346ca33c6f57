//! Typing into the footer: the filter, a snooze duration, a note; and the triage records they
//! produce.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Effect, Prompt, View};
use crate::event::{Triage, TriageAction, TriageTarget};

/// The longest snooze: past this an alert is better acknowledged.
pub const MAX_SNOOZE: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// A snooze duration as typed ("30m", "4h", "1d"), or why it cannot be one, in words.
pub fn snooze_for(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::config::units::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a duration; write a number and a unit: 30m, 4h, 1d (s, m, h, d)")
    })?;
    if d.is_zero() {
        return Err("a snooze must be longer than 0 (type 0 alone to end one)".into());
    }
    if d > MAX_SNOOZE {
        return Err(format!(
            "{text} is longer than the 30-day limit; acknowledge it instead, or snooze up to 30d"
        ));
    }
    Ok(d)
}

impl App {
    pub(super) fn prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => {
                self.prompt = None;
                self.input.clear();
            }
            KeyCode::Esc => {
                if self.prompt == Some(Prompt::Filter) {
                    self.filter.clear();
                }
                self.prompt = None;
                self.input.clear();
            }
            KeyCode::Enter => return self.submit_prompt(),
            KeyCode::Backspace => {
                self.input.pop();
                if self.prompt == Some(Prompt::Filter) {
                    self.filter = self.input.clone();
                }
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if self.input.chars().count() < 500 {
                    self.input.push(c);
                }
                if self.prompt == Some(Prompt::Filter) {
                    self.filter = self.input.clone();
                    self.select(0);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn submit_prompt(&mut self) -> Vec<Effect> {
        let prompt = self.prompt.take();
        let input = std::mem::take(&mut self.input);
        match prompt {
            None | Some(Prompt::Filter) => Vec::new(),
            Some(Prompt::Search) => {
                self.start_search(&input);
                Vec::new()
            }
            Some(Prompt::Snooze {
                target,
                keys,
                label,
            }) => {
                let text = input.trim();
                if text.is_empty() {
                    self.say(format!(
                        "Not snoozed: type how long, such as 1h, 4h or 1d (0 ends a snooze of {label})"
                    ));
                    return Vec::new();
                }
                if text == "0" || text == "off" {
                    self.say(format!("Snooze of {label} ended"));
                    self.marked.clear();
                    return self.triage_all(target, keys, TriageAction::Unsnooze, None, None);
                }
                match snooze_for(text) {
                    Ok(d) => {
                        let until = self.now
                            + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(4));
                        self.say(format!(
                            "Snoozed {label} until {} UTC",
                            until.format("%Y-%m-%d %H:%M")
                        ));
                        self.marked.clear();
                        self.triage_all(target, keys, TriageAction::Snooze, Some(until), None)
                    }
                    Err(why) => {
                        self.say(format!("Not snoozed: {why}"));
                        Vec::new()
                    }
                }
            }
            Some(Prompt::Note {
                target,
                keys,
                label,
            }) => {
                let text = crate::text::clean(&input, 500);
                if text.is_empty() {
                    self.say("Empty note not saved");
                    return Vec::new();
                }
                self.say(format!("Note added to {label}"));
                self.marked.clear();
                self.triage_all(target, keys, TriageAction::Note, None, Some(text))
            }
        }
    }

    /// One triage record for each key.
    fn triage_all(
        &self,
        target: TriageTarget,
        keys: Vec<String>,
        action: TriageAction,
        until: Option<DateTime<Utc>>,
        note: Option<String>,
    ) -> Vec<Effect> {
        keys.into_iter()
            .map(|key| Effect::Triage(self.triage(target, key, action, until, note.clone())))
            .collect()
    }

    pub(super) fn triage(
        &self,
        target: TriageTarget,
        key: String,
        action: TriageAction,
        until: Option<DateTime<Utc>>,
        note: Option<String>,
    ) -> Triage {
        Triage {
            at: self.now,
            who: self.who.clone(),
            target,
            key,
            action,
            until,
            note,
        }
    }

    /// Until when a target is snoozed, if it is now.
    pub fn snoozed_until(&self, target: TriageTarget, key: &str) -> Option<DateTime<Utc>> {
        let triage = match target {
            TriageTarget::Alert => self
                .snapshot
                .alerts
                .iter()
                .find(|r| r.alert.id == key)
                .map(|r| &r.triage),
            TriageTarget::Country => self
                .snapshot
                .countries
                .iter()
                .find(|r| r.code.as_str() == key)
                .map(|r| &r.triage),
        }?;
        triage
            .snoozed
            .as_ref()
            .filter(|_| triage.snoozed_at(self.now))
            .map(|(_, until)| *until)
    }

    /// What triage acts on: the marked rows of the current list, else the selection; an
    /// alert row stands for every alert of its item. Returns the target kind, the keys, a label
    /// in words, and whether all of them are acknowledged already.
    pub(super) fn target(&self) -> Option<(TriageTarget, Vec<String>, String, bool)> {
        let target = match self.view {
            View::Alerts | View::Detail => TriageTarget::Alert,
            View::Watchlist | View::Country => TriageTarget::Country,
            _ => return None,
        };
        let mut chosen: Vec<String> = self
            .marked
            .iter()
            .filter(|(t, _)| *t == target && matches!(self.view, View::Alerts | View::Watchlist))
            .map(|(_, k)| k.clone())
            .collect();
        chosen.sort();
        if chosen.is_empty() {
            match target {
                TriageTarget::Alert => chosen.push(self.selected_alert()?.alert.id.clone()),
                TriageTarget::Country => {
                    let code = if self.view == View::Country {
                        self.country_key?
                    } else {
                        self.selected_country()?.code
                    };
                    chosen.push(code.to_string());
                }
            }
        }
        let label = self.marked_label(target, &chosen);
        let (keys, acked) = match target {
            TriageTarget::Country => {
                let acked = chosen.iter().all(|k| {
                    self.snapshot
                        .countries
                        .iter()
                        .any(|r| r.code.as_str() == k && r.triage.acked.is_some())
                });
                (chosen, acked)
            }
            TriageTarget::Alert => {
                let mut keys = Vec::new();
                let mut acked = true;
                for id in &chosen {
                    let Some(row) = self.snapshot.alerts.iter().find(|r| &r.alert.id == id) else {
                        continue;
                    };
                    for member in self.alert_group(row) {
                        acked &= member.triage.acked.is_some();
                        if !keys.contains(&member.alert.id) {
                            keys.push(member.alert.id.clone());
                        }
                    }
                }
                (keys, acked)
            }
        };
        (!keys.is_empty()).then_some((target, keys, label, acked))
    }
}
