//! Frame header parsing: `FrameHeader::parse` and `parse_any` on arbitrary bytes, any set of
//! expected types and any limit.
//!
//! Input: `[expected types: bit mask][limit: u32 BE][header bytes...]`.
#![no_main]

use axonite::protocol::{FrameError, FrameHeader, FrameType};
use libfuzzer_sys::fuzz_target;
// Linked for its allocation guard.
use axonite_fuzz as _;

const ALL: [FrameType; 7] = [
    FrameType::HandshakeRequest,
    FrameType::HandshakeResponse,
    FrameType::RequestHead,
    FrameType::ResponseHead,
    FrameType::Body,
    FrameType::StreamChunk,
    FrameType::StreamEnd,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    let Some((limit, bytes)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let max_len = u32::from_be_bytes(*limit) as usize;
    // An empty set is outside the documented contract, but must still not panic.
    let expected: Vec<FrameType> = ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, t)| *t)
        .collect();

    let parsed = FrameHeader::parse_any(bytes, &expected, max_len);
    match &parsed {
        Ok(header) => {
            assert!(expected.contains(&header.ty));
            assert!(header.len as usize <= max_len);
            // What was accepted is exactly what the encoder writes for it.
            assert_eq!(
                &FrameHeader::encode(header.ty, header.len)[..],
                &bytes[..FrameHeader::LEN]
            );
            assert_eq!(
                header.ty.is_envelope(),
                !matches!(header.ty, FrameType::Body | FrameType::StreamChunk)
            );
        }
        Err(FrameError::Truncated) => assert!(bytes.len() < FrameHeader::LEN),
        Err(FrameError::UnknownType(b)) => {
            assert_eq!(Some(b), bytes.first());
            assert!(FrameType::from_byte(*b).is_err());
        }
        Err(FrameError::Unexpected { got, .. }) => assert!(!expected.contains(got)),
        Err(FrameError::TooLarge { len, limit }) => {
            assert!(*len > *limit as u64);
            assert_eq!(*limit, max_len);
        }
    }
    // `parse` is `parse_any` with one type.
    for ty in ALL {
        let one = FrameHeader::parse(bytes, ty, max_len);
        let any = FrameHeader::parse_any(bytes, &[ty], max_len);
        assert_eq!(one, any);
    }
});
