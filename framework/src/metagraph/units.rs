//! Chain integers to the units people reason in.

/// Rao per TAO (and per alpha): balances and stakes on chain are integers of 10⁻⁹ units.
pub const RAO_PER_TAO: u64 = 1_000_000_000;

/// Converts a rao amount to TAO or alpha units (divides by 10⁹).
///
/// ```
/// use axonite::metagraph::rao_to_units;
/// assert_eq!(rao_to_units(1_500_000_000), 1.5);
/// ```
pub fn rao_to_units(rao: u64) -> f64 {
    rao as f64 / RAO_PER_TAO as f64
}

/// Converts TAO or alpha units to rao, rounding to the nearest rao and saturating at the
/// bounds of `u64` (negative or NaN input gives 0).
///
/// ```
/// use axonite::metagraph::units_to_rao;
/// assert_eq!(units_to_rao(1.5), 1_500_000_000);
/// ```
pub fn units_to_rao(units: f64) -> u64 {
    // `as` saturates on overflow and maps NaN to 0, which is exactly the behaviour we want.
    (units * RAO_PER_TAO as f64).round() as u64
}

/// Normalises a `u16` score the pallet stores as a fraction of `u16::MAX` (incentive,
/// dividends, consensus, trust, validator trust, rank) to `0.0..=1.0`.
///
/// ```
/// use axonite::metagraph::u16_to_unit;
/// assert_eq!(u16_to_unit(u16::MAX), 1.0);
/// assert_eq!(u16_to_unit(0), 0.0);
/// ```
pub fn u16_to_unit(value: u16) -> f64 {
    f64::from(value) / f64::from(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tao_of_rao_is_one_unit() {
        assert_eq!(rao_to_units(RAO_PER_TAO), 1.0);
        assert_eq!(rao_to_units(0), 0.0);
        assert_eq!(rao_to_units(1), 1e-9);
        assert_eq!(units_to_rao(1.0), RAO_PER_TAO);
    }

    #[test]
    fn units_to_rao_saturates_instead_of_wrapping() {
        assert_eq!(units_to_rao(-1.0), 0);
        assert_eq!(units_to_rao(f64::NAN), 0);
        assert_eq!(units_to_rao(f64::INFINITY), u64::MAX);
    }

    #[test]
    fn u16_scores_normalise_to_the_unit_interval() {
        assert_eq!(u16_to_unit(u16::MAX), 1.0);
        assert!((u16_to_unit(32_768) - 0.500_007_6).abs() < 1e-6);
    }

    proptest::proptest! {
        #[test]
        fn rao_round_trips_below_2_pow_50(rao in 0u64..(1 << 50)) {
            proptest::prop_assert_eq!(units_to_rao(rao_to_units(rao)), rao);
        }
    }
}
