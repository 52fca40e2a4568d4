//! What validators ask.

use protocol::Challenge;

/// The challenge of round `round`.
///
/// Deterministic, so that tests can predict it. A real subnet makes its challenges
/// unpredictable (random, or drawn from a dataset) so that miners cannot answer from a table.
pub fn challenge(round: u64) -> Challenge {
    const WORDS: [&str; 5] = ["axon", "synapse", "dendrite", "neuron", "subnet"];
    // The index is below 5, so the cast cannot truncate.
    let word = WORDS[(round % WORDS.len() as u64) as usize];
    Challenge {
        prompt: format!("{word} {round}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_get_different_prompts() {
        assert_eq!(challenge(0).prompt, "axon 0");
        assert_eq!(challenge(6).prompt, "synapse 6");
        assert_ne!(challenge(1), challenge(2));
    }
}
