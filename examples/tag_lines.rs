//! Prints the countries the tagger reads in each line of stdin (a quick check of attribution).
//!
//! ```sh
//! cut -f4 tests/stories/headlines.tsv | cargo run --example tag_lines
//! ```

use std::io::BufRead;

use watchfloor::rules::matcher::MatcherBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let matcher = MatcherBuilder::new().build()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let countries: Vec<String> = matcher
            .scan(&[&line])
            .countries
            .iter()
            .map(|c| c.to_string())
            .collect();
        println!("{}\t{line}", countries.join(","));
    }
    Ok(())
}
