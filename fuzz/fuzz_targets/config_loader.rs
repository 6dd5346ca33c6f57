//! Arbitrary text into the config loader: it must return errors, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ =
            watchfloor::config::load_str(Path::new("fuzz.toml"), text, &|_| Some("value".into()));
    }
});
