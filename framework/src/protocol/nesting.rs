//! The nesting of MessagePack bytes, checked without recursion before serde decodes them.
//!
//! rmp-serde counts the arrays and maps it meets through `deserialize_any`, but not the
//! one-entry map that holds an enum variant: a recursive enum would nest as deep as the body
//! is long and overflow the decoder's stack. One flat pass over the bytes bounds every kind
//! of nesting, and refuses containers that declare more items than there are bytes left
//! (each item takes at least one), before the decoder preallocates for them.

use rmp::Marker;

/// Checks that the first MessagePack value in `bytes` is whole, nests arrays, maps and
/// extensions at most `max_depth` levels deep, and declares no container larger than the
/// bytes that follow it. Bytes after that value are not looked at. The error says why.
pub(crate) fn check_nesting(bytes: &[u8], max_depth: usize) -> Result<(), String> {
    let mut scan = Scan { bytes, at: 0 };
    // Items still to read in each enclosing container, innermost last.
    let mut open = Levels::default();
    // Items still to read at the current level: one top-level value.
    let mut left: u64 = 1;
    loop {
        if left == 0 {
            match open.pop() {
                Some(outer) => {
                    left = outer;
                    continue;
                }
                None => return Ok(()),
            }
        }
        left -= 1;
        // `Some(items)` for an array or map, `None` once a scalar has been skipped.
        let container = match Marker::from_u8(scan.byte()?) {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                None
            }
            Marker::U8 | Marker::I8 => scan.skip(1)?,
            Marker::U16 | Marker::I16 => scan.skip(2)?,
            Marker::U32 | Marker::I32 | Marker::F32 => scan.skip(4)?,
            Marker::U64 | Marker::I64 | Marker::F64 => scan.skip(8)?,
            Marker::FixStr(len) => scan.skip(len.into())?,
            Marker::Str8 | Marker::Bin8 => scan.sized(1)?,
            Marker::Str16 | Marker::Bin16 => scan.sized(2)?,
            Marker::Str32 | Marker::Bin32 => scan.sized(4)?,
            Marker::FixArray(n) => Some(u64::from(n)),
            Marker::Array16 => Some(scan.int(2)?),
            Marker::Array32 => Some(scan.int(4)?),
            Marker::FixMap(n) => Some(2 * u64::from(n)),
            Marker::Map16 => Some(2 * scan.int(2)?),
            Marker::Map32 => Some(2 * scan.int(4)?),
            Marker::FixExt1 => scan.ext(1, open.len(), max_depth)?,
            Marker::FixExt2 => scan.ext(2, open.len(), max_depth)?,
            Marker::FixExt4 => scan.ext(4, open.len(), max_depth)?,
            Marker::FixExt8 => scan.ext(8, open.len(), max_depth)?,
            Marker::FixExt16 => scan.ext(16, open.len(), max_depth)?,
            Marker::Ext8 => {
                let len = scan.int(1)?;
                scan.ext(len, open.len(), max_depth)?
            }
            Marker::Ext16 => {
                let len = scan.int(2)?;
                scan.ext(len, open.len(), max_depth)?
            }
            Marker::Ext32 => {
                let len = scan.int(4)?;
                scan.ext(len, open.len(), max_depth)?
            }
            Marker::Reserved => return Err("reserved MessagePack marker 0xc1".into()),
        };
        if let Some(items) = container {
            if open.len() >= max_depth {
                return Err(too_deep(max_depth));
            }
            let rest = scan.rest();
            if items > rest {
                return Err(format!(
                    "a container declares {items} items with {rest} bytes left"
                ));
            }
            open.push(left);
            left = items;
        }
    }
}

/// Levels held without allocating; deeper ones spill to the heap. Most bodies nest a few
/// levels, and this check runs on every request and response.
const INLINE_LEVELS: usize = 8;

/// A stack of item counts, the first [`INLINE_LEVELS`] kept inline.
#[derive(Default)]
struct Levels {
    inline: [u64; INLINE_LEVELS],
    len: usize,
    spill: Vec<u64>,
}

impl Levels {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, items: u64) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = items,
            None => self.spill.push(items),
        }
        self.len += 1;
    }

    fn pop(&mut self) -> Option<u64> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get(self.len) {
            Some(items) => Some(*items),
            None => self.spill.pop(),
        }
    }
}

fn too_deep(max_depth: usize) -> String {
    format!("nesting deeper than {max_depth} levels")
}

/// A read position in the bytes being checked.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    /// Bytes not read yet.
    fn rest(&self) -> u64 {
        (self.bytes.len() - self.at) as u64
    }

    /// Reads one byte.
    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self.bytes.get(self.at).ok_or_else(truncated)?;
        self.at += 1;
        Ok(byte)
    }

    /// Reads a big-endian unsigned integer of `n` bytes (1, 2 or 4).
    fn int(&mut self, n: usize) -> Result<u64, String> {
        (0..n).try_fold(0, |acc, _| Ok((acc << 8) | u64::from(self.byte()?)))
    }

    /// Skips `n` bytes of a scalar.
    fn skip(&mut self, n: u64) -> Result<Option<u64>, String> {
        if n > self.rest() {
            return Err(truncated());
        }
        // At most the bytes left, so it fits in a usize.
        self.at += n as usize;
        Ok(None)
    }

    /// Skips a scalar whose length comes first, in `n` bytes.
    fn sized(&mut self, n: usize) -> Result<Option<u64>, String> {
        let len = self.int(n)?;
        self.skip(len)
    }

    /// Skips an extension (type byte and `len` bytes of data) met inside `enclosing`
    /// containers; the decoder counts it as a level of its own.
    fn ext(&mut self, len: u64, enclosing: usize, max_depth: usize) -> Result<Option<u64>, String> {
        if enclosing >= max_depth {
            return Err(too_deep(max_depth));
        }
        self.skip(len + 1)
    }
}

fn truncated() -> String {
    "truncated MessagePack value".into()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn scalars_nest_zero_levels_and_containers_one_each() {
        assert_eq!(check_nesting(&[0x07], 0), Ok(()));
        assert_eq!(check_nesting(&[0xa2, b'h', b'i'], 0), Ok(()));
        assert!(check_nesting(&[0x90], 0).is_err());
        assert_eq!(check_nesting(&[0x90], 1), Ok(()));
        // {1: [[0]]}: three levels.
        let three = [0x81, 0x01, 0x91, 0x91, 0x00];
        assert!(check_nesting(&three, 2).is_err());
        assert_eq!(check_nesting(&three, 3), Ok(()));
    }

    #[test]
    fn an_extension_counts_as_a_level() {
        let ext = [0x91, 0xd4, 0x01, 0x00]; // [fixext1]
        assert!(check_nesting(&ext, 1).is_err());
        assert_eq!(check_nesting(&ext, 2), Ok(()));
    }

    #[test]
    fn a_container_larger_than_the_bytes_left_is_refused() {
        let huge = [0xdd, 0xff, 0xff, 0xff, 0xff, 0x00]; // array32 of 2^32 - 1 items
        assert!(check_nesting(&huge, 64).unwrap_err().contains("declares"));
        let map = [0x82, 0x00, 0x00]; // 4 items announced, 2 given
        assert!(check_nesting(&map, 64).is_err());
    }

    #[test]
    fn truncated_and_reserved_input_is_refused() {
        assert!(check_nesting(&[], 8).is_err());
        assert!(check_nesting(&[0xcd, 0x01], 8).is_err()); // u16 with one byte
        assert!(check_nesting(&[0xd9, 0x05, b'a'], 8).is_err()); // str8 of 5 with 1
        assert!(check_nesting(&[0xc7, 0x03, 0x01], 8).is_err()); // ext8 without data
        assert!(check_nesting(&[0xc1], 8).is_err());
    }

    #[test]
    fn nesting_past_the_inline_levels_is_counted_like_the_rest() {
        // [[[...[0]...]]]: twenty levels, twelve of them past the inline stack.
        let mut deep = vec![0x91; 20];
        deep.push(0x00);
        assert!(
            check_nesting(&deep, 19)
                .unwrap_err()
                .contains("deeper than 19")
        );
        assert_eq!(check_nesting(&deep, 20), Ok(()));
        // The same levels, each closed with a sibling after it: pops come back through the
        // spilled levels in order.
        let mut wide = vec![0x92; 12];
        wide.push(0x00);
        wide.extend(std::iter::repeat_n(0x01, 12));
        assert_eq!(check_nesting(&wide, 12), Ok(()));
        assert!(check_nesting(&wide[..wide.len() - 1], 12).is_err());
    }

    #[test]
    fn only_the_first_value_is_checked() {
        assert_eq!(check_nesting(&[0x01, 0x91, 0x91], 0), Ok(()));
    }

    proptest! {
        /// Whatever rmp-serde decodes under a limit, the check lets through, so the check
        /// refuses nothing the decoder would have accepted.
        #[test]
        fn accepts_whatever_the_decoder_accepts(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            depth in 0usize..6,
        ) {
            let mut de = rmp_serde::Deserializer::from_read_ref(&bytes[..]);
            de.set_max_depth(depth + 1);
            if serde::Deserialize::deserialize(&mut de).map(|_: serde::de::IgnoredAny| ()).is_ok() {
                prop_assert_eq!(check_nesting(&bytes, depth), Ok(()));
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256), depth in 0usize..80) {
            let _ = check_nesting(&bytes, depth);
        }
    }
}
