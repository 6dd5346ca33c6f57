//! Times the tagger's start-up (the gazetteer registry, the names' index, the terms' automaton)
//! and shows the memory it takes, at its peak and after.
//!
//! ```sh
//! cargo run --release --example matcher_build
//! ```

/// The process's resident memory now and at its peak, from `/proc/self/status`.
fn resident() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("at start: {}", resident());
    let t = std::time::Instant::now();
    let n = watchfloor::geo::all().len();
    println!(
        "registry: {n} countries in {:?}; {}",
        t.elapsed(),
        resident()
    );
    let t = std::time::Instant::now();
    let m = watchfloor::rules::matcher::MatcherBuilder::new().build()?;
    println!(
        "matcher: {} term patterns, names indexed, in {:?}; {} bytes; {}",
        m.pattern_count(),
        t.elapsed(),
        m.memory_usage(),
        resident()
    );
    Ok(())
}
