//! Prepares the generated tables the tagger reads: gzips the place table
//! (`src/geo/places.txt`, 1.6 MB of text read once at start-up) so the binary carries and keeps
//! resident a third of it, and hashes the table of names (`src/geo/entities.txt`) into a sorted
//! array of 64-bit FNV-1a hashes, compiled in as a static the tagger searches in place.

use std::hash::Hasher;
use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);

    let places = "src/geo/places.txt";
    println!("cargo::rerun-if-changed={places}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&std::fs::read(places)?)?;
    std::fs::write(out.join("places.txt.gz"), gz.finish()?)?;

    let names = "src/geo/entities.txt";
    println!("cargo::rerun-if-changed={names}");
    let mut hashes: Vec<u64> = std::fs::read_to_string(names)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut h = fnv::FnvHasher::default();
            h.write(l.as_bytes());
            h.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut source = format!("static HASHES: [u64; {}] = [\n", hashes.len());
    for h in &hashes {
        source.push_str(&format!("{h:#018x},\n"));
    }
    source.push_str("];\n");
    std::fs::write(out.join("entities.rs"), source)?;
    Ok(())
}
