//! Times the tagger's start-up: the gazetteer registry, then the automaton over it.
//!
//! ```sh
//! cargo run --release --example matcher_build
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = std::time::Instant::now();
    let n = watchfloor::geo::names().len();
    let registry = t.elapsed();
    let t = std::time::Instant::now();
    let m = watchfloor::rules::matcher::MatcherBuilder::new().build()?;
    println!(
        "registry: {n} names in {registry:?}; automaton: {} patterns in {:?}, {} bytes",
        m.pattern_count(),
        t.elapsed(),
        m.automaton().memory_usage()
    );
    Ok(())
}
