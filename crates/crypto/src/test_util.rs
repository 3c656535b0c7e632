//! Helpers shared by the in-module tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Decodes a hex string, ignoring whitespace.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            assert_eq!(pair.len(), 2, "odd hex length");
            u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()
        })
        .collect()
}
