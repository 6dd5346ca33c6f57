//! Countries from coordinates, through OpenStreetMap's country boundaries (ODbL, © OpenStreetMap
//! contributors) as the `country-boundaries` crate ships them: a point at sea is in no country.

use std::sync::LazyLock;

use country_boundaries::{BOUNDARIES_ODBL_360X180, CountryBoundaries, LatLon};

use super::CountryCode;

static BOUNDARIES: LazyLock<Option<CountryBoundaries>> =
    LazyLock::new(|| CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180).ok());

/// The country a point lies in; `None` at sea, outside every country, or for a point that is
/// not on the globe.
pub fn country_at(lat: f64, lon: f64) -> Option<CountryCode> {
    if !lat.is_finite() || !lon.is_finite() {
        return None;
    }
    let at = LatLon::new(lat, lon).ok()?;
    BOUNDARIES
        .as_ref()?
        .ids(at)
        .into_iter()
        .filter(|id| id.len() == 2)
        .find_map(super::lookup)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(lat: f64, lon: f64) -> Option<String> {
        country_at(lat, lon).map(|c| c.to_string())
    }

    #[test]
    fn points_on_land_are_in_their_country_and_points_at_sea_in_none() {
        assert_eq!(code(13.50, 39.47).as_deref(), Some("ET"), "Mekelle");
        assert_eq!(code(13.63, 25.35).as_deref(), Some("SD"), "El Fasher");
        assert_eq!(code(-1.68, 29.22).as_deref(), Some("CD"), "Goma");
        assert_eq!(
            code(18.42, -64.62).as_deref(),
            Some("VG"),
            "Tortola, not GB"
        );
        assert_eq!(code(-10.0, 66.0), None, "Mid-Indian Ridge");
        assert_eq!(code(66.0, 2.0), None, "Norwegian Sea");
        assert_eq!(code(95.0, 0.0), None, "not on the globe");
        assert_eq!(code(f64::NAN, 0.0), None);
    }
}
