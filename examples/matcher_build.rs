//! Times the tagger's start-up: the gazetteer registry, then the automaton over it.
fn main() {
    let t = std::time::Instant::now();
    let n = watchfloor::geo::names().len();
    let registry = t.elapsed();
    let t = std::time::Instant::now();
    let m = watchfloor::rules::matcher::MatcherBuilder::new()
        .build()
        .expect("builds");
    println!(
        "registry: {n} names in {registry:?}; automaton: {} patterns in {:?}, {} bytes",
        m.pattern_count(),
        t.elapsed(),
        m.automaton().memory_usage()
    );
}
