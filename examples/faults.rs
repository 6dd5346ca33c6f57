//! A fault server you can point watchfloor at: every path misbehaves in one way.
//!
//! ```sh
//! cargo run --example faults     # starts the server and writes a config; leave it running
//! cargo run --release -- demo --config /tmp/watchfloor-demo-faults.toml
//! ```
//!
//! The written config is the shipped demo plus one feed per fault: the demo feeds keep
//! alerting while the Feeds view (`3`) lists every hostile feed with its error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/faults.rs"]
mod faults;

#[tokio::main]
async fn main() {
    let server = faults::start().await;
    let demo = include_str!("../config/demo.toml");
    let config = format!(
        "{demo}\n# Hostile feeds from `cargo run --example faults`\n{}",
        faults::feeds_toml(&server)
    );
    let path = std::env::temp_dir().join("watchfloor-demo-faults.toml");
    std::fs::write(&path, &config).expect("writing the config");
    println!("fault server on http://{}", server.addr);
    for f in faults::FAULTS {
        println!("  {:<20} {}", f.path, f.what);
    }
    println!();
    println!("demo config plus one feed per fault: {}", path.display());
    println!(
        "in another terminal: cargo run --release -- demo --config {}",
        path.display()
    );
    println!("Ctrl-C stops the server.");
    let _ = tokio::signal::ctrl_c().await;
}
