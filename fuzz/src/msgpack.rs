//! The nesting depth of a MessagePack value, computed without recursion, to check decoded
//! values against the depth limit independently of the decoder.

use rmp::Marker;

/// How deeply the first MessagePack value in `bytes` nests arrays, maps and extensions
/// (a scalar is 0, `[1]` is 1, `[[1]]` is 2). `None` if the bytes are not one whole value.
pub fn nesting_depth(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    // Items still to read in each open container.
    let mut open: Vec<u64> = Vec::new();
    let mut deepest = 0usize;
    let mut pending: u64 = 1;
    loop {
        while pending == 0 {
            pending = open.pop()?;
            if open.is_empty() && pending == 0 {
                return Some(deepest);
            }
        }
        pending -= 1;
        let marker = Marker::from_u8(*bytes.get(at)?);
        at += 1;
        let mut int = |n: usize| -> Option<u64> {
            let raw = bytes.get(at..at + n)?;
            at += n;
            Some(raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
        };
        let (skip, items): (u64, u64) = match marker {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                (0, 0)
            }
            Marker::U8 | Marker::I8 => (1, 0),
            Marker::U16 | Marker::I16 => (2, 0),
            Marker::U32 | Marker::I32 | Marker::F32 => (4, 0),
            Marker::U64 | Marker::I64 | Marker::F64 => (8, 0),
            Marker::FixStr(n) => (n.into(), 0),
            Marker::Str8 | Marker::Bin8 => (int(1)?, 0),
            Marker::Str16 | Marker::Bin16 => (int(2)?, 0),
            Marker::Str32 | Marker::Bin32 => (int(4)?, 0),
            Marker::FixArray(n) => (0, n.into()),
            Marker::Array16 => (0, int(2)?),
            Marker::Array32 => (0, int(4)?),
            Marker::FixMap(n) => (0, 2 * u64::from(n)),
            Marker::Map16 => (0, 2 * int(2)?),
            Marker::Map32 => (0, 2 * int(4)?),
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32 => {
                let len = match marker {
                    Marker::FixExt1 => 1,
                    Marker::FixExt2 => 2,
                    Marker::FixExt4 => 4,
                    Marker::FixExt8 => 8,
                    Marker::FixExt16 => 16,
                    Marker::Ext8 => int(1)?,
                    Marker::Ext16 => int(2)?,
                    _ => int(4)?,
                };
                // The decoder counts an extension as one level.
                deepest = deepest.max(open.len() + 1);
                (len + 1, 0)
            }
            Marker::Reserved => return None,
        };
        at = at.checked_add(usize::try_from(skip).ok()?)?;
        if at > bytes.len() {
            return None;
        }
        if matches!(
            marker,
            Marker::FixArray(_)
                | Marker::Array16
                | Marker::Array32
                | Marker::FixMap(_)
                | Marker::Map16
                | Marker::Map32
        ) {
            open.push(pending);
            pending = items;
            deepest = deepest.max(open.len());
        }
        if open.is_empty() && pending == 0 {
            return Some(deepest);
        }
    }
}
