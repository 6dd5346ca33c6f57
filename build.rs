//! Gzips the place table (`src/geo/places.txt`, 1.5 MB of text read once at start-up) into the
//! build directory, so the binary carries and keeps resident a third of it.

use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let source = "src/geo/places.txt";
    println!("cargo::rerun-if-changed={source}");
    let text = std::fs::read(source)?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&text)?;
    std::fs::write(out.join("places.txt.gz"), gz.finish()?)?;
    Ok(())
}
