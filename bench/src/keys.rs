//! Handing keypairs to role processes: the harness generates them, a child rebuilds them from
//! seeds read on its stdin (never from arguments, environment or logs).

use axonite::Keypair;
use axonite::identity::IdentityError;

/// The line that ends a list of seeds.
pub const END: &str = "END";

/// The stdin line that carries `keypair` to a child. Secret: write it only to a child's stdin.
pub fn seed_line(keypair: &Keypair) -> String {
    format!("SEED {}", hex::encode(keypair.seed()))
}

/// Rebuilds the keypair of a [`seed_line`]; `None` for any other line. The error never
/// contains the line.
pub fn parse_seed_line(line: &str) -> Option<Result<Keypair, IdentityError>> {
    line.strip_prefix("SEED ").map(Keypair::from_seed_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_line_rebuilds_the_same_hotkey() {
        let keypair = Keypair::generate();
        let back = parse_seed_line(&seed_line(&keypair)).unwrap().unwrap();
        assert_eq!(back.hotkey(), keypair.hotkey());
    }

    #[test]
    fn other_lines_are_not_seeds_and_bad_seeds_are_errors() {
        assert!(parse_seed_line(END).is_none());
        assert!(parse_seed_line("SEED nothex").unwrap().is_err());
    }
}
