//! Validation of `[[rules]]` entries.

use std::collections::HashSet;
use std::time::Duration;

use super::error::ConfigError;
use super::load::{Validator, is_id};
use super::raw::{RawRule, S};
use super::{After, Corroborate, MinBaseline, Op, Rule, RuleKind, Severity, SilenceScope};

impl Validator<'_> {
    pub(super) fn rule(
        &mut self,
        i: usize,
        r: &RawRule,
        feed_ids: &HashSet<String>,
        value_names: &HashSet<&str>,
    ) -> Option<Rule> {
        let key = |k: &str| format!("rules[{i}].{k}");
        let id = r.id.get_ref().clone();
        if !is_id(&id) {
            self.err(
                &r.id,
                &key("id"),
                format!("{id:?} is not a valid id; use lowercase letters, digits and '-'"),
            );
        }
        let severity = match Severity::parse(r.severity.get_ref()) {
            Some(s) => s,
            None => {
                let other = r.severity.get_ref();
                self.err(
                    &r.severity,
                    &key("severity"),
                    format!("unknown severity {other:?}; use info, low, medium, high or critical"),
                );
                Severity::Info
            }
        };
        let countries = r
            .countries
            .iter()
            .filter_map(|c| self.country(c, &key("countries")))
            .collect();
        for f in &r.feeds {
            if !feed_ids.contains(f.get_ref()) {
                self.err(
                    f,
                    &key("feeds"),
                    format!("no feed {:?} in this config", f.get_ref()),
                );
            }
        }
        let feeds = r.feeds.iter().map(|f| f.get_ref().clone()).collect();
        // Keys that mean nothing to this kind of rule are errors, not silently ignored.
        let kind_name = r.kind.get_ref().as_str();
        let present: [(&str, Option<std::ops::Range<usize>>); 17] = [
            ("any", r.any.as_ref().map(|v| v.span())),
            ("all", r.all.as_ref().map(|v| v.span())),
            ("not", r.not.as_ref().map(|v| v.span())),
            ("field", r.field.as_ref().map(|v| v.span())),
            ("op", r.op.as_ref().map(|v| v.span())),
            ("limit", r.limit.as_ref().map(|v| v.span())),
            ("window", r.window.as_ref().map(|v| v.span())),
            ("of", r.of.as_ref().map(|v| v.span())),
            ("slot", r.slot.as_ref().map(|v| v.span())),
            ("history", r.history.as_ref().map(|v| v.span())),
            ("factor", r.factor.as_ref().map(|v| v.span())),
            ("min", r.min.as_ref().map(|v| v.span())),
            ("scope", r.scope.as_ref().map(|v| v.span())),
            ("after", r.after.as_ref().map(|v| v.span())),
            ("any_of", r.any_of.as_ref().map(|v| v.span())),
            ("with", r.with.as_ref().map(|v| v.span())),
            ("mentions", r.mentions.as_ref().map(|v| v.span())),
        ];
        let applies: &[&str] = match kind_name {
            "keywords" => &["any", "all", "not"],
            "threshold" => &["field", "op", "limit", "window"],
            "count" => &["of", "limit", "window"],
            "spike" => &["of", "slot", "history", "factor", "min"],
            "silence" => &["scope", "after"],
            "factors" => &["min", "any_of", "with", "window", "mentions"],
            _ => &[
                "any", "all", "not", "field", "op", "limit", "window", "of", "slot", "history",
                "factor", "min", "scope", "after", "any_of", "with", "mentions",
            ],
        };
        for (field, span) in present {
            if let Some(span) = span
                && !applies.contains(&field)
            {
                let e = ConfigError::at(
                    self.path,
                    self.source,
                    Some(span),
                    &key(field),
                    format!(
                        "{field} does not apply to a {kind_name} rule (it takes {})",
                        applies.join(", ")
                    ),
                );
                self.errors.push(e);
            }
        }
        let terms = |v: &Option<S<Vec<String>>>| {
            v.as_ref().map(|v| v.get_ref().clone()).unwrap_or_default()
        };
        let kind = match r.kind.get_ref().as_str() {
            "keywords" => {
                if terms(&r.any)
                    .iter()
                    .all(|t| t.trim().trim_end_matches('*').trim().is_empty())
                {
                    self.err(
                        &r.kind,
                        &key("any"),
                        "a keywords rule needs at least one term in any = [...]",
                    );
                }
                RuleKind::Keywords {
                    any: terms(&r.any),
                    all: terms(&r.all),
                    not: terms(&r.not),
                }
            }
            "threshold" => {
                let Some(field) = &r.field else {
                    self.err(
                        &r.kind,
                        &key("field"),
                        "a threshold rule needs field = \"<a name from [feeds.values]>\"",
                    );
                    return None;
                };
                if !value_names.contains(field.get_ref().as_str()) {
                    let mut known: Vec<_> = value_names.iter().copied().collect();
                    known.sort_unstable();
                    self.err(
                        field,
                        &key("field"),
                        format!(
                            "no feed defines a value {:?} in [feeds.values]; defined: {}",
                            field.get_ref(),
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
                let op = match r.op.as_ref().map(|o| (o, o.get_ref().as_str())) {
                    None => Op::Ge,
                    Some((_, ">")) => Op::Gt,
                    Some((_, ">=")) => Op::Ge,
                    Some((_, "<")) => Op::Lt,
                    Some((_, "<=")) => Op::Le,
                    Some((_, "==")) => Op::Eq,
                    Some((o, other)) => {
                        self.err(
                            o,
                            &key("op"),
                            format!("unknown operator {other:?}; use >, >=, <, <= or =="),
                        );
                        Op::Ge
                    }
                };
                let Some(limit) = &r.limit else {
                    self.err(
                        &r.kind,
                        &key("limit"),
                        "a threshold rule needs limit = <number>",
                    );
                    return None;
                };
                let window = r.window.as_ref().map(|_| {
                    self.duration(
                        &r.window,
                        &key("window"),
                        Duration::from_secs(86400),
                        super::load::limits::WINDOW,
                    )
                });
                RuleKind::Threshold {
                    field: field.get_ref().clone(),
                    op,
                    limit: *limit.get_ref(),
                    window,
                }
            }
            "factors" => {
                let mut numbers = |v: &Option<S<Vec<i64>>>, name: &str| -> Vec<u8> {
                    let mut out: Vec<u8> = Vec::new();
                    if let Some(v) = v {
                        for n in v.get_ref() {
                            match u8::try_from(*n) {
                                Ok(k @ 1..=14) if !out.contains(&k) => out.push(k),
                                Ok(1..=14) => {}
                                _ => self.err(
                                    v,
                                    &key(name),
                                    format!("{n} is not a risk factor of the UN Framework of Analysis; use 1 to 14"),
                                ),
                            }
                        }
                    }
                    out.sort_unstable();
                    out
                };
                let any_of = numbers(&r.any_of, "any_of");
                let with = numbers(&r.with, "with");
                let min = match &r.min {
                    None => None,
                    Some(m) => match u32::try_from(*m.get_ref()) {
                        Ok(n @ 1..=14) => Some(n),
                        _ => {
                            self.err(m, &key("min"), "must be a whole number from 1 to 14");
                            None
                        }
                    },
                };
                if min.is_none() && any_of.is_empty() && r.min.is_none() {
                    self.err(
                        &r.kind,
                        &key("min"),
                        "a factors rule needs min = <number of factors>, any_of = [...], or both",
                    );
                }
                let window = match &r.window {
                    None => self.evidence_window,
                    Some(_) => self.duration(
                        &r.window,
                        &key("window"),
                        self.evidence_window,
                        super::load::limits::WINDOW,
                    ),
                };
                RuleKind::Factors {
                    min,
                    any_of,
                    with,
                    window,
                    mentions: r.mentions.as_ref().is_some_and(|m| *m.get_ref()),
                }
            }
            "count" => {
                let Some(limit) = &r.limit else {
                    self.err(
                        &r.kind,
                        &key("limit"),
                        "a count rule needs limit = <whole number>",
                    );
                    return None;
                };
                let l = *limit.get_ref();
                if l < 1.0 || l.fract() != 0.0 || l > 1e6 {
                    self.err(
                        limit,
                        &key("limit"),
                        "must be a whole number from 1 to 1000000",
                    );
                }
                if r.window.is_none() {
                    self.err(
                        &r.kind,
                        &key("window"),
                        "a count rule needs window = \"24h\" (or another duration)",
                    );
                }
                let window = self.duration(
                    &r.window,
                    &key("window"),
                    Duration::from_secs(86400),
                    super::load::limits::WINDOW,
                );
                RuleKind::Count {
                    of: r.of.as_ref().map(|o| o.get_ref().clone()),
                    limit: l as u32,
                    window,
                }
            }
            "spike" => {
                let slot = self.duration(
                    &r.slot,
                    &key("slot"),
                    Duration::from_secs(6 * 3600),
                    super::load::limits::INTERVAL,
                );
                let history = self.duration(
                    &r.history,
                    &key("history"),
                    Duration::from_secs(28 * 86_400),
                    super::load::limits::WINDOW,
                );
                if history < slot * 2 {
                    let span = r.history.as_ref().map_or(r.kind.span(), |h| h.span());
                    self.errors.push(ConfigError::at(
                        self.path,
                        self.source,
                        Some(span),
                        &key("history"),
                        "must be at least two slots long, or there is nothing to compare with",
                    ));
                }
                let factor = match &r.factor {
                    None => 3.0,
                    Some(f) if (1.0..=1000.0).contains(f.get_ref()) => *f.get_ref(),
                    Some(f) => {
                        self.err(f, &key("factor"), "must be a number from 1 to 1000");
                        3.0
                    }
                };
                let min = match &r.min {
                    None => 5,
                    Some(m) => match u32::try_from(*m.get_ref()) {
                        Ok(n) if (1..=1_000_000).contains(&n) => n,
                        _ => {
                            self.err(m, &key("min"), "must be a whole number from 1 to 1000000");
                            5
                        }
                    },
                };
                RuleKind::Spike {
                    of: r.of.as_ref().map(|o| o.get_ref().clone()),
                    slot,
                    history,
                    factor,
                    min,
                }
            }
            "silence" => {
                let scope = match r.scope.as_ref().map(|s| (s, s.get_ref().as_str())) {
                    None | Some((_, "feed")) => SilenceScope::Feed,
                    Some((_, "country")) => SilenceScope::Country,
                    Some((s, other)) => {
                        self.err(
                            s,
                            &key("scope"),
                            format!("unknown scope {other:?}; use \"feed\" or \"country\""),
                        );
                        SilenceScope::Feed
                    }
                };
                let after = match &r.after {
                    Some(a) if a.get_ref() != "auto" => After::Fixed(self.duration(
                        &r.after,
                        &key("after"),
                        Duration::from_secs(86_400),
                        super::load::limits::WINDOW,
                    )),
                    _ => After::Auto,
                };
                RuleKind::Silence { scope, after }
            }
            other => {
                self.err(
                    &r.kind,
                    &key("kind"),
                    format!(
                        "unknown rule kind {other:?}; use keywords, threshold, count, spike, silence or factors"
                    ),
                );
                return None;
            }
        };
        let corroborate = self.corroborate(i, r, &kind);
        let primary_only = r.primary_only.as_ref().is_some_and(|p| *p.get_ref());
        if let (Some(p), RuleKind::Silence { .. }) = (&r.primary_only, &kind) {
            self.err(
                p,
                &key("primary_only"),
                "primary_only does not apply to a silence rule (it reads no item's countries)",
            );
        }
        let min_baseline = self.min_baseline(i, r, &kind);
        let cap_category = r.cap_category.as_ref().and_then(|c| {
            if super::CAP_CATEGORIES.contains(&c.get_ref().as_str()) {
                Some(c.get_ref().clone())
            } else {
                self.err(
                    c,
                    &key("cap_category"),
                    format!(
                        "unknown CAP category {:?}; use one of {}",
                        c.get_ref(),
                        super::CAP_CATEGORIES.join(", ")
                    ),
                );
                None
            }
        });
        let mut factors: Vec<u8> = Vec::new();
        if let Some(f) = &r.factors {
            for n in f.get_ref() {
                match u8::try_from(*n) {
                    Ok(k @ 1..=14) if !factors.contains(&k) => factors.push(k),
                    Ok(k @ 1..=14) => {
                        self.err(f, &key("factors"), format!("factor {k} is listed twice"))
                    }
                    _ => self.err(
                        f,
                        &key("factors"),
                        format!(
                            "{n} is not a risk factor of the UN Framework of Analysis; use 1 to 14"
                        ),
                    ),
                }
            }
            factors.sort_unstable();
        }
        let evidence_only = r.evidence_only.as_ref().is_some_and(|e| *e.get_ref());
        if let Some(e) = &r.evidence_only
            && *e.get_ref()
        {
            if factors.is_empty() {
                self.err(
                    e,
                    &key("evidence_only"),
                    "evidence for what? name the rule's factors = [...] too",
                );
            }
            if !matches!(
                kind,
                RuleKind::Keywords { .. } | RuleKind::Threshold { window: None, .. }
            ) {
                self.err(
                    e,
                    &key("evidence_only"),
                    "only keyword rules and per-item thresholds give evidence item by item",
                );
            }
        }
        Some(Rule {
            id,
            kind,
            severity,
            countries,
            feeds,
            corroborate,
            primary_only,
            min_baseline,
            cap_category,
            factors,
            evidence_only,
        })
    }

    fn min_baseline(&mut self, i: usize, r: &RawRule, kind: &RuleKind) -> Option<MinBaseline> {
        let key = |k: &str| format!("rules[{i}].{k}");
        if let (Some(m), None) = (&r.min_baseline_missing, &r.min_baseline) {
            self.err(
                m,
                &key("min_baseline_missing"),
                "min_baseline_missing says what happens to countries without a risk; set min_baseline too",
            );
        }
        let m = r.min_baseline.as_ref()?;
        if matches!(kind, RuleKind::Silence { .. }) {
            self.err(
                m,
                &key("min_baseline"),
                "min_baseline does not apply to a silence rule (it reads no item's countries)",
            );
            return None;
        }
        let at_least = *m.get_ref();
        if !(0.0..=1.0).contains(&at_least) {
            self.err(
                m,
                &key("min_baseline"),
                "must be a risk between 0 and 1 (0.04 is a 4% risk)",
            );
            return None;
        }
        Some(MinBaseline {
            at_least,
            missing_passes: r
                .min_baseline_missing
                .as_ref()
                .is_some_and(|b| *b.get_ref()),
        })
    }

    /// `min_sources` and `corroborate_within`, which only rules that fire per item take.
    fn corroborate(&mut self, i: usize, r: &RawRule, kind: &RuleKind) -> Corroborate {
        let key = |k: &str| format!("rules[{i}].{k}");
        let per_item = matches!(
            kind,
            RuleKind::Keywords { .. } | RuleKind::Threshold { window: None, .. }
        );
        let mut out = Corroborate::default();
        for (name, span) in [
            ("min_sources", r.min_sources.as_ref().map(|v| v.span())),
            (
                "corroborate_within",
                r.corroborate_within.as_ref().map(|v| v.span()),
            ),
        ] {
            if let Some(span) = span
                && !per_item
            {
                self.errors.push(ConfigError::at(
                    self.path,
                    self.source,
                    Some(span),
                    &key(name),
                    format!(
                        "{name} applies only to rules that fire per item (keywords, or threshold without a window)"
                    ),
                ));
                return out;
            }
        }
        if let Some(m) = &r.min_sources {
            match u32::try_from(*m.get_ref()) {
                Ok(n) if (1..=20).contains(&n) => out.min_sources = n,
                _ => self.err(
                    m,
                    &key("min_sources"),
                    "must be a whole number from 1 to 20 (distinct publishers)",
                ),
            }
        }
        out.within = self.duration(
            &r.corroborate_within,
            &key("corroborate_within"),
            out.within,
            super::STORY_WINDOW_MAX,
        );
        out
    }
}
