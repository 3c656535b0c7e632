//! A byte buffer that is zeroized on drop and never printed.

use std::fmt;

use zeroize::Zeroizing;

/// Secret bytes (e.g. a decrypted credential). Zeroized on drop; `Debug`
/// prints `[REDACTED]`.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value drops.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn from_zeroizing(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Do not log or format them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of secret bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn secret_bytes_debug_is_redacted() {
        let s = SecretBytes::from(b"hunter2-plaintext".to_vec());
        let dbg = format!("{s:?} {s:#?}");
        assert!(dbg.contains("[REDACTED]"));
        assert!(!dbg.contains("hunter2"));
        assert!(!dbg.contains("104")); // 'h' as a decimal byte
        assert_eq!(s.expose(), b"hunter2-plaintext");
        assert_eq!(s.len(), 17);
        assert!(!s.is_empty());
    }
}
