//! Round-trip checks: whatever the framework decodes must encode, decode again, and encode
//! to the same bytes (bytes, not values, are compared so NaN floats compare equal).

use axonite::protocol::codec::{decode_body, encode_body};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::msgpack::nesting_depth;

/// Checks a decoded envelope of type `$ty` (lifetimes elided, e.g. `RequestHead<'_>`): it
/// re-encodes, and the encoding decodes to an equal value that encodes to the same bytes. A
/// macro because envelopes borrow from the bytes they were decoded from.
#[macro_export]
macro_rules! check_envelope {
    ($ty:ty, $value:expr) => {{
        let value: &$ty = $value;
        let bytes =
            axonite::protocol::codec::encode_envelope(value).expect("a decoded envelope encodes");
        let back: $ty = axonite::protocol::codec::decode_envelope(&bytes)
            .expect("a re-encoded envelope decodes");
        assert_eq!(&back, value, "envelope changed in a round trip");
        let again = axonite::protocol::codec::encode_envelope(&back).expect("encodes twice");
        assert_eq!(again, bytes, "envelope encoding is not stable");
    }};
}

/// Checks a body decoded under `max_depth`: it nests no deeper than the limit, re-encodes,
/// and the encoding decodes under the same limit to the same bytes.
pub fn body<T: Serialize + DeserializeOwned>(value: &T, max_depth: usize) {
    let bytes = encode_body(value).expect("a decoded body encodes");
    let depth = nesting_depth(&bytes).expect("the encoder writes one whole value");
    assert!(
        depth <= max_depth,
        "decoded a body nesting {depth} levels under a limit of {max_depth}"
    );
    let back: T = decode_body(&bytes, max_depth).expect("a re-encoded body decodes");
    let again = encode_body(&back).expect("encodes twice");
    assert_eq!(again, bytes, "body encoding is not stable");
}
