//! The config as it is written: serde types that keep the span of every value validation may
//! complain about.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub settings: Option<S<RawSettings>>,
    #[serde(default)]
    pub countries: Vec<S<RawCountry>>,
    #[serde(default)]
    pub feeds: Vec<S<RawFeed>>,
    #[serde(default)]
    pub rules: Vec<S<RawRule>>,
    #[serde(default)]
    pub keys: BTreeMap<String, S<RawKeys>>,
    #[serde(default)]
    pub baseline: Option<S<RawBaseline>>,
    #[serde(default)]
    pub views: Vec<S<RawView>>,
    #[serde(default)]
    pub notify: Vec<S<RawNotify>>,
    #[serde(default)]
    pub include: Vec<S<String>>,
    #[serde(default)]
    pub store: Option<S<RawStore>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub url: Option<S<String>>,
    pub lease: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub id: S<String>,
    pub kind: S<String>,
    pub url: Option<S<String>>,
    pub secret: Option<S<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, S<String>>,
    pub token: Option<S<String>>,
    pub room: Option<S<String>>,
    pub command: Option<S<Vec<S<String>>>>,
    pub from: Option<S<String>>,
    #[serde(default)]
    pub to: Vec<S<String>>,
    pub username: Option<S<String>>,
    pub password: Option<S<String>>,
    pub min_severity: Option<S<String>>,
    #[serde(default)]
    pub countries: Vec<S<String>>,
    #[serde(default)]
    pub rules: Vec<S<String>>,
    pub events: Option<S<Vec<String>>>,
    pub digest: Option<S<String>>,
    pub per_minute: Option<S<i64>>,
    pub timeout: Option<S<String>>,
    pub renotify: Option<S<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawView {
    pub name: S<String>,
    #[serde(default)]
    pub list: Option<S<String>>,
    #[serde(default)]
    pub filter: Option<S<String>>,
    #[serde(default)]
    pub sort: Option<S<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBaseline {
    pub escalate_top: Option<S<i64>>,
}

#[derive(Debug)]
pub enum RawKeys {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for RawKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key such as \"q\" or \"ctrl-q\", or a list of keys such as [\"q\", \"ctrl-q\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawKeys, E> {
                Ok(RawKeys::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawKeys, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    out.push(k);
                }
                Ok(RawKeys::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub poll_interval: Option<S<String>>,
    pub window: Option<S<String>>,
    pub timeout: Option<S<String>>,
    pub connect_timeout: Option<S<String>>,
    pub max_body: Option<S<String>>,
    pub user_agent: Option<S<String>>,
    pub retain: Option<S<String>>,
    pub data_dir: Option<S<String>>,
    pub max_items: Option<S<i64>>,
    pub concurrency: Option<S<i64>>,
    pub per_host: Option<S<i64>>,
    pub bell: Option<S<String>>,
    pub notify: Option<bool>,
    pub max_age: Option<S<String>>,
    pub archive_max: Option<S<String>>,
    pub ca_file: Option<S<String>>,
    pub sender: Option<S<String>>,
    pub cap_scope: Option<S<String>>,
    pub evidence_window: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCountry {
    pub code: S<String>,
    pub baseline: Option<S<f64>>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub id: S<String>,
    pub name: Option<String>,
    pub url: S<String>,
    pub format: Option<S<String>>,
    pub interval: Option<S<String>>,
    pub country: Option<S<String>>,
    pub country_codes: Option<S<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, S<String>>,
    pub enabled: Option<bool>,
    pub json: Option<S<RawJson>>,
    pub xml: Option<S<RawXml>>,
    #[serde(default)]
    pub values: BTreeMap<String, S<RawValue>>,
    pub max_age: Option<S<String>>,
    pub auth: Option<S<RawAuth>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub token_url: S<String>,
    pub grant: Option<S<String>>,
    pub client_id: Option<S<String>>,
    pub client_secret: Option<S<String>>,
    pub username: Option<S<String>>,
    pub password: Option<S<String>>,
    pub scope: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJson {
    pub items: S<String>,
    pub id: Option<S<String>>,
    pub title: Option<S<String>>,
    pub url: Option<S<String>>,
    pub published: Option<S<String>>,
    pub summary: Option<S<String>>,
    pub country: Option<S<String>>,
    pub lat: Option<S<String>>,
    pub lon: Option<S<String>>,
    pub next: Option<S<String>>,
    pub page_param: Option<S<String>>,
    pub max_pages: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawXml {
    #[serde(default)]
    pub country: Vec<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub point: Option<String>,
}

#[derive(Debug)]
pub enum RawValue {
    At(String),
    Full(RawValueTable),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "where to read the value: a JSON Pointer or element name as a string (\"/fatalities\", \"gdacs:alertscore\"), or a table { at = \"...\", attr = \"...\", map = { word = number } }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::At(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawValue, A::Error> {
                RawValueTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawValue::Full)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawValueTable {
    pub at: String,
    pub attr: Option<String>,
    #[serde(default)]
    pub map: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub cap_category: Option<S<String>>,
    pub factors: Option<S<Vec<i64>>>,
    pub evidence_only: Option<S<bool>>,
    pub any_of: Option<S<Vec<i64>>>,
    pub with: Option<S<Vec<i64>>>,
    pub mentions: Option<S<bool>>,
    pub id: S<String>,
    pub kind: S<String>,
    pub any: Option<S<Vec<String>>>,
    pub all: Option<S<Vec<String>>>,
    pub not: Option<S<Vec<String>>>,
    pub field: Option<S<String>>,
    pub op: Option<S<String>>,
    pub limit: Option<S<f64>>,
    pub window: Option<S<String>>,
    pub of: Option<S<String>>,
    pub slot: Option<S<String>>,
    pub history: Option<S<String>>,
    pub factor: Option<S<f64>>,
    pub min: Option<S<i64>>,
    pub scope: Option<S<String>>,
    pub after: Option<S<String>>,
    pub min_sources: Option<S<i64>>,
    pub primary_only: Option<S<bool>>,
    pub min_baseline: Option<S<f64>>,
    pub min_baseline_missing: Option<S<bool>>,
    pub corroborate_within: Option<S<String>>,
    pub severity: S<String>,
    #[serde(default)]
    pub countries: Vec<S<String>>,
    #[serde(default)]
    pub feeds: Vec<S<String>>,
}
