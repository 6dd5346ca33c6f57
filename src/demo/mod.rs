//! The offline demo: a feed server on loopback whose feeds evolve along a timeline, and the
//! demo config pointed at it.

pub mod data;
pub mod server;

use std::path::Path;

use crate::config::{self, Config, ConfigErrors};

/// The shipped demo config, built in so the demo runs from any directory.
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

/// The risk-factor pack the demo config includes, built in with it.
pub const PACK_TOML: &str = include_str!("../../config/packs/un-framework.toml");

/// The built-in demo config with the pack's rules in place of its `include` (so it needs no
/// file beside the binary).
fn built_in() -> String {
    let own: String = DEMO_TOML
        .lines()
        .filter(|l| !l.starts_with("include = "))
        .collect::<Vec<_>>()
        .join("\n");
    format!("{own}\n\n{PACK_TOML}")
}

/// Loads the demo config (the given file, else the built-in copy) and points every feed at
/// the demo server at `base_url`. The demo stays offline: feeds on other hosts than loopback
/// are disabled (the demo speeds polling up, which real sources must never see); their ids
/// are returned with the config.
pub fn config_for(
    path: Option<&Path>,
    base_url: &str,
) -> Result<(Config, Vec<String>), ConfigErrors> {
    let mut config = match path {
        Some(p) => config::load(p)?,
        None => config::load_str(
            Path::new("config/demo.toml (built in)"),
            &built_in(),
            &|k| std::env::var(k).ok(),
        )?,
    };
    // Only the demo's own placeholder URLs (127.0.0.1 without a port) move to the demo
    // server; feeds added with a real address (a fault server, say) are left as written.
    let mut offline = Vec::new();
    for feed in &mut config.feeds {
        let Ok(u) = url::Url::parse(&feed.url) else {
            continue;
        };
        if u.host_str() == Some("127.0.0.1") && u.port().is_none() {
            let rebased = format!("{base_url}{}", u.path());
            feed.url = rebased.clone();
            feed.url_display = rebased;
        } else if !is_loopback(&u) && feed.enabled {
            feed.enabled = false;
            offline.push(feed.id.clone());
        }
    }
    Ok((config, offline))
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
