//! The offline demo: a feed server on loopback whose feeds evolve along a timeline, and the
//! demo config pointed at it.

pub mod data;
pub mod server;

use std::path::Path;

use crate::config::{self, Config, ConfigErrors};

/// The shipped demo config, built in so the demo runs from any directory.
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

/// Loads the demo config (the given file, else the built-in copy) and points every feed at
/// the demo server at `base_url`.
pub fn config_for(path: Option<&Path>, base_url: &str) -> Result<Config, ConfigErrors> {
    let mut config = match path {
        Some(p) => config::load(p)?,
        None => config::load_str(Path::new("config/demo.toml (built in)"), DEMO_TOML, &|k| {
            std::env::var(k).ok()
        })?,
    };
    // Only the demo's own placeholder URLs (127.0.0.1 without a port) move to the demo
    // server; feeds added with a real address (a fault server, say) are left as written.
    for feed in &mut config.feeds {
        if let Ok(u) = url::Url::parse(&feed.url)
            && u.host_str() == Some("127.0.0.1")
            && u.port().is_none()
        {
            let rebased = format!("{base_url}{}", u.path());
            feed.url = rebased.clone();
            feed.url_display = rebased;
        }
    }
    Ok(config)
}
