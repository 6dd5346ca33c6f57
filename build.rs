//! Gzips the generated tables read once at start-up (`src/geo/places.txt`, 1.6 MB, and
//! `src/geo/entities.txt`, 1.1 MB) into the build directory, so the binary carries and keeps
//! resident a third of them.

use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    for table in ["places.txt", "entities.txt"] {
        let source = format!("src/geo/{table}");
        println!("cargo::rerun-if-changed={source}");
        let text = std::fs::read(&source)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&text)?;
        std::fs::write(out.join(format!("{table}.gz")), gz.finish()?)?;
    }
    Ok(())
}
