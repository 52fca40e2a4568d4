//! Making a node's "invalid transaction" answers readable.
//!
//! Subtensor checks some rules (registration and weight rate limits, stake, coldkey swaps)
//! before a transaction enters the pool, and refuses with `InvalidTransaction::Custom(n)`.
//! A Substrate node words it `Invalid Transaction ... Custom error: 5`; Chopsticks sends
//! `{"invalid":{"custom":5}}`. The numbers are not stable across runtime versions (spec 218
//! refuses a registration over the interval limit with 5, later runtimes with 6), so they are
//! reported, not named.

/// The subtensor custom validity code in a node's rejection message, in either wording.
pub(crate) fn custom_code(message: &str) -> Option<u8> {
    const MARKERS: [&str; 2] = ["Custom error: ", "\"custom\":"];
    MARKERS.iter().find_map(|marker| {
        let start = message.find(marker)? + marker.len();
        let digits: String = message[start..]
            .chars()
            .skip_while(|c| c.is_whitespace())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// The node's message, with the custom code spelled out when there is one.
pub(crate) fn explain(message: &str) -> String {
    let message = message.trim();
    match custom_code(message) {
        Some(code) => format!("{message} (subtensor custom validity error {code})"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_codes_are_found_in_both_wordings() {
        assert_eq!(custom_code("Invalid Transaction: Custom error: 6"), Some(6));
        assert_eq!(custom_code(r#"{"invalid":{"custom":5}}"#), Some(5));
        assert_eq!(
            explain(r#"{"invalid":{"custom":5}} "#),
            r#"{"invalid":{"custom":5}} (subtensor custom validity error 5)"#
        );
    }

    #[test]
    fn other_messages_are_kept_as_they_are() {
        assert_eq!(
            explain("Transaction is outdated"),
            "Transaction is outdated"
        );
        assert_eq!(custom_code("Custom error: x"), None);
        assert_eq!(custom_code("Custom error: 300"), None);
    }
}
