//! `decode_body` under a depth limit, for a nested typed body (recursive struct and enum) and
//! for a dynamic one (`serde_json::Value`, what a schemaless synapse would use). A decoded
//! body must nest no deeper than the limit and must round-trip; deep input must be refused
//! with an error, not a stack overflow.
//!
//! Input: `[depth limit][kind][body...]`.
#![no_main]

use axonite::protocol::codec::decode_body;
use axonite_fuzz::body::{Expr, Query};
use axonite_fuzz::roundtrip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [depth, kind, body @ ..] = data else {
        return;
    };
    let depth = usize::from(*depth);
    match kind % 3 {
        0 => {
            if let Ok(v) = decode_body::<Query>(body, depth) {
                roundtrip::body(&v, depth);
            }
        }
        1 => {
            if let Ok(v) = decode_body::<Expr>(body, depth) {
                roundtrip::body(&v, depth);
            }
        }
        _ => {
            if let Ok(v) = decode_body::<serde_json::Value>(body, depth) {
                roundtrip::body(&v, depth);
            }
        }
    }
});
