//! The naming scheme of the environment variables.

/// The environment variable of a flag: `AXONITE_` and the flag's long name in capitals, with
/// `.` and `-` turned into `_`.
///
/// Every flag of this crate declares exactly this name (a test checks it); subnets are
/// encouraged to follow the scheme for their own flags.
///
/// ```
/// assert_eq!(axonite_cli::env_var_name("wallet.name"), "AXONITE_WALLET_NAME");
/// assert_eq!(axonite_cli::env_var_name("subtensor.chain_endpoint"), "AXONITE_SUBTENSOR_CHAIN_ENDPOINT");
/// assert_eq!(axonite_cli::env_var_name("netuid"), "AXONITE_NETUID");
/// ```
pub fn env_var_name(long: &str) -> String {
    let mut name = String::with_capacity("AXONITE_".len() + long.len());
    name.push_str("AXONITE_");
    for c in long.chars() {
        match c {
            '.' | '-' => name.push('_'),
            c => name.push(c.to_ascii_uppercase()),
        }
    }
    name
}
