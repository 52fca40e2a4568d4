//! How validators score answers.

use protocol::{Answer, Challenge};

/// The score of one miner's answer, from 0 to 1: 1 for the expected answer, 0 for a wrong
/// answer or none (timeout, refusal, unreachable miner).
///
/// A real subnet grades here (quality, latency, agreement between miners). The scores of a
/// round become weights through [`Validator::set_scores`](axonite_actors::Validator::set_scores).
pub fn score(challenge: &Challenge, answer: Option<&Answer>) -> f64 {
    match answer {
        Some(answer) if answer.text == expected(challenge) => 1.0,
        _ => 0.0,
    }
}

/// The validator's reference solution: the prompt reversed, character by character.
fn expected(challenge: &Challenge) -> String {
    challenge.prompt.chars().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(prompt: &str) -> Challenge {
        Challenge {
            prompt: prompt.to_owned(),
        }
    }

    fn answer(text: &str) -> Answer {
        Answer {
            text: text.to_owned(),
        }
    }

    #[test]
    fn the_reversed_prompt_scores_one() {
        assert_eq!(score(&challenge("abc déf"), Some(&answer("féd cba"))), 1.0);
    }

    #[test]
    fn a_wrong_answer_or_none_scores_zero() {
        assert_eq!(score(&challenge("abc"), Some(&answer("abc"))), 0.0);
        assert_eq!(score(&challenge("abc"), None), 0.0);
    }
}
