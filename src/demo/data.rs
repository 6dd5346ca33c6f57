//! The demo timeline: fictional items from a "Demo Wire" and demo copies of public sources'
//! shapes (RSS with `gdacs:` values, USGS-style GeoJSON, a ReliefWeb-style JSON API). Each item
//! appears at a point of demo time; some are revised later under the same id.

/// Which demo feed an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFeed {
    /// RSS news wire.
    Wire,
    /// RSS disaster alerts with `gdacs:` extension elements.
    Disasters,
    /// GeoJSON earthquakes.
    Quakes,
    /// JSON situation reports with fatalities.
    Reports,
    /// An RSS bulletin that publishes once, then falls silent.
    Bulletin,
}

/// One version of one demo item.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The feed.
    pub feed: DemoFeed,
    /// Seconds of demo time after start when this version appears.
    pub at: u32,
    /// Stable id (versions of one item share it).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Summary.
    pub summary: &'static str,
    /// Country field, where the shape has one (ISO3 for reports, names for disasters).
    pub country: &'static str,
    /// A number: alert level word, magnitude, or fatalities.
    pub value: &'static str,
}

const fn e(
    feed: DemoFeed,
    at: u32,
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    country: &'static str,
    value: &'static str,
) -> Entry {
    Entry {
        feed,
        at,
        id,
        title,
        summary,
        country,
        value,
    }
}

use DemoFeed::{Bulletin, Disasters, Quakes, Reports, Wire};

/// The whole timeline, about ten minutes of demo time (it loops: see
/// [`super::server::LAP`]).
pub const TIMELINE: &[Entry] = &[
    e(
        Bulletin,
        0,
        "bul-1",
        "Weekly humanitarian bulletin: Sahel",
        "Demo bulletin: a weekly summary; this source publishes once in the demo, then goes quiet.",
        "",
        "",
    ),
    e(
        Wire,
        0,
        "dw-1001",
        "Shelling hits displacement camp near El Fasher",
        "Demo Wire: residents said artillery struck the edge of the camp overnight; aid groups report civilians killed and hundreds displaced.",
        "",
        "",
    ),
    e(
        Wire,
        0,
        "dw-1002",
        "Floods displace thousands around Maiduguri",
        "Demo Wire: seasonal flooding has displaced families across Borno State, officials said.",
        "",
        "",
    ),
    e(
        Disasters,
        0,
        "EQ9000101",
        "Green earthquake alert in Peru",
        "Demo disaster alert: a moderate earthquake; low humanitarian impact expected.",
        "Peru",
        "Green",
    ),
    e(
        Quakes,
        0,
        "demo90001",
        "M 4.6 - 32 km SW of Jalalabad, Afghanistan",
        "",
        "",
        "4.6",
    ),
    e(
        Reports,
        0,
        "rep-501",
        "Mali: attacks on villages in Mopti region",
        "Demo situation report: armed men attacked two villages; local sources count the dead.",
        "mli",
        "12",
    ),
    e(
        Wire,
        30,
        "dw-1003",
        "Witnesses describe massacre in village outside Geneina",
        "Demo Wire: survivors said gunmen went house to house; a local monitor called it a massacre.",
        "",
        "",
    ),
    e(
        Reports,
        40,
        "rep-504",
        "Sudan: massacre in a village outside Geneina, witnesses say",
        "Demo situation report: a second source on the killings near Geneina; dozens reported dead.",
        "sdn",
        "40",
    ),
    e(
        Disasters,
        45,
        "FL9000102",
        "Orange flood alert in South Sudan",
        "Demo disaster alert: river flooding in Jonglei and Upper Nile.",
        "South Sudan",
        "Orange",
    ),
    e(
        Reports,
        50,
        "rep-502",
        "Mali: further clashes reported near Ségou",
        "Demo situation report: clashes between armed groups; casualties reported.",
        "MLI",
        "9",
    ),
    e(
        Wire,
        60,
        "dw-1004",
        "Armed group abducts 40 in Tillabéri region",
        "Demo Wire: an armed group abducted villagers, including children, local officials said.",
        "",
        "",
    ),
    e(
        Reports,
        80,
        "rep-503",
        "Ethiopia: humanitarian update for Amhara",
        "Demo situation report: access constraints continue; three deaths reported in clashes.",
        "eth",
        "3",
    ),
    e(
        Wire,
        90,
        "dw-1005",
        "Des civils massacrés près de Djibo, selon des témoins",
        "Demo Wire (FR) : des habitants affirment que des hommes armés ont tué des dizaines de civils.",
        "",
        "",
    ),
    e(
        Quakes,
        100,
        "demo90002",
        "M 6.3 - 45 km NE of Mekelle, Ethiopia",
        "",
        "",
        "6.3",
    ),
    e(
        Wire,
        120,
        "dw-1006",
        "Radio broadcasts call to exterminate minority in North Kivu",
        "Demo Wire: a local station aired calls to 'exterminate the cockroaches', monitors said.",
        "",
        "",
    ),
    e(
        Quakes,
        130,
        "demo90003",
        "M 5.8 - 12 km S of Bukavu, Democratic Republic of the Congo",
        "",
        "",
        "5.8",
    ),
    e(
        Wire,
        150,
        "dw-1007",
        "UN experts warn of ethnic cleansing in Darfur",
        "Demo Wire: a panel of experts said attacks on one community amounted to ethnic cleansing.",
        "",
        "",
    ),
    e(
        Quakes,
        160,
        "demo90002",
        "M 6.4 - 45 km NE of Mekelle, Ethiopia",
        "",
        "",
        "6.4",
    ),
    e(
        Reports,
        170,
        "rep-506",
        "Mali: convoy ambushed on the Gao road",
        "Demo situation report: an ambush on a civilian convoy; eight dead.",
        "mli",
        "8",
    ),
    e(
        Wire,
        180,
        "dw-1008",
        "Airstrike on market in Sagaing kills dozens",
        "Demo Wire: an airstrike hit a crowded market; residents said dozens were killed.",
        "",
        "",
    ),
    e(
        Disasters,
        200,
        "TC9000103",
        "Red tropical cyclone alert for Myanmar",
        "Demo disaster alert: a severe cyclone is forecast to reach the Rakhine coast.",
        "Myanmar",
        "Red",
    ),
    e(
        Wire,
        210,
        "dw-1009",
        "Masacre en Artibonite: pandillas atacan a residentes",
        "Demo Wire (ES): vecinos denuncian una masacre tras el ataque de una pandilla.",
        "",
        "",
    ),
    e(
        Wire,
        240,
        "dw-1010",
        "Reports of mass killings in Kordofan town",
        "Demo Wire: aid workers describe mass killings after the town changed hands.",
        "",
        "",
    ),
    e(
        Quakes,
        260,
        "demo90003",
        "M 6.1 - 12 km S of Bukavu, Democratic Republic of the Congo",
        "",
        "",
        "6.1",
    ),
    e(
        Wire,
        300,
        "dw-1011",
        "Ceasefire talks to resume in Jeddah",
        "Demo Wire: delegations are expected next week, mediators said.",
        "",
        "",
    ),
    e(
        Wire,
        360,
        "dw-1012",
        "Video game 'Massacre Island' tops download charts",
        "Demo Wire: the horror title sold a million copies.",
        "",
        "",
    ),
    e(
        Wire,
        420,
        "dw-1013",
        "Militia accused of summary executions in Ituri",
        "Demo Wire: a rights group said it documented summary executions of displaced people.",
        "",
        "",
    ),
    e(
        Reports,
        480,
        "rep-505",
        "Syria: shelling in Idlib countryside",
        "Demo situation report: shelling damaged a clinic; two dead.",
        "",
        "2",
    ),
    e(
        Wire,
        540,
        "dw-1014",
        "Government denies genocide accusations over Rakhine campaign",
        "Demo Wire: officials rejected the findings of an inquiry.",
        "",
        "",
    ),
];
