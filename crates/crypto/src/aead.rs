//! Thin AES-256-GCM layer over `ring`, shared by the keyring (DEK wrapping)
//! and the envelope (data encryption).

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

use crate::CryptoError;

/// AES-256 key length in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// GCM nonce length in bytes (96 bits).
pub(crate) const NONCE_LEN: usize = 12;
/// GCM authentication tag length in bytes.
pub(crate) const TAG_LEN: usize = 16;

fn less_safe_key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::Malformed("AES-256-GCM key must be 32 bytes"))
}

/// Encrypts `in_out` in place and appends the 16-byte tag. Callers reserve
/// `TAG_LEN` bytes of spare capacity so that no reallocation leaves a copy of
/// the plaintext behind.
pub(crate) fn seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    in_out: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    less_safe_key(key)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), in_out)
        .map_err(|_| CryptoError::Malformed("plaintext is too long for AES-256-GCM"))
}

/// Encrypts `in_out` in place and returns the detached tag.
pub(crate) fn seal_in_place_detached(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; TAG_LEN], CryptoError> {
    let tag = less_safe_key(key)?
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), in_out)
        .map_err(|_| CryptoError::Malformed("plaintext is too long for AES-256-GCM"))?;
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(tag.as_ref());
    Ok(out)
}

/// Verifies and decrypts `in_out` (ciphertext || tag) in place, returning the
/// plaintext prefix. On failure the buffer's contents are unspecified; callers
/// keep it in a `Zeroizing` wrapper.
pub(crate) fn open_in_place<'a>(
    key: &[u8; KEY_LEN],
    nonce: &[u8],
    aad: &[u8],
    in_out: &'a mut [u8],
) -> Result<&'a mut [u8], CryptoError> {
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| CryptoError::Malformed("nonce must be 12 bytes"))?;
    if in_out.len() < TAG_LEN {
        return Err(CryptoError::Malformed(
            "ciphertext is shorter than the authentication tag",
        ));
    }
    less_safe_key(key)?
        .open_in_place(nonce, Aad::from(aad), in_out)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    //! Known-answer tests for AES-256-GCM from "The Galois/Counter Mode of
    //! Operation (GCM)", McGrew & Viega, Appendix B, test cases 13-16
    //! (the 256-bit-key cases), run through ring directly and through this
    //! module's helpers.
    use super::*;
    use crate::test_util::hex;

    struct Vector {
        key: &'static str,
        iv: &'static str,
        plaintext: &'static str,
        aad: &'static str,
        ciphertext: &'static str,
        tag: &'static str,
    }

    const K15: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    const P15: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                       1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const C15: &str = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                       8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    const TEST_CASE_13: Vector = Vector {
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        plaintext: "",
        aad: "",
        ciphertext: "",
        tag: "530f8afbc74536b9a963b4f1c4cb738b",
    };
    const TEST_CASE_14: Vector = Vector {
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        plaintext: "00000000000000000000000000000000",
        aad: "",
        ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
        tag: "d0d1c8a799996bf0265b98b5d48ab919",
    };
    const TEST_CASE_15: Vector = Vector {
        key: K15,
        iv: "cafebabefacedbaddecaf888",
        plaintext: P15,
        aad: "",
        ciphertext: C15,
        tag: "b094dac5d93471bdec1a502270e3cc6c",
    };
    // Test case 16: the first 60 bytes of test case 15's plaintext, with AAD.
    const TEST_CASE_16: Vector = Vector {
        key: K15,
        iv: "cafebabefacedbaddecaf888",
        plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                    1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                     8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        tag: "76fc6ece0f4e1768cddf8853bb2d551b",
    };

    fn check_vector(v: &Vector) {
        let key: [u8; KEY_LEN] = hex(v.key).try_into().unwrap();
        let iv: [u8; NONCE_LEN] = hex(v.iv).try_into().unwrap();
        let plaintext = hex(v.plaintext);
        let aad = hex(v.aad);
        let mut expected = hex(v.ciphertext);
        expected.extend_from_slice(&hex(v.tag));

        // ring directly.
        let ring_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
        let mut buf = plaintext.clone();
        ring_key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut buf)
            .unwrap();
        assert_eq!(buf, expected, "ring seal");
        let opened = ring_key
            .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut buf)
            .unwrap();
        assert_eq!(opened, &plaintext[..], "ring open");

        // This module's helpers.
        let mut buf = plaintext.clone();
        seal_in_place(&key, &iv, &aad, &mut buf).unwrap();
        assert_eq!(buf, expected, "seal_in_place");
        let mut detached = plaintext.clone();
        let tag = seal_in_place_detached(&key, &iv, &aad, &mut detached).unwrap();
        assert_eq!([detached, tag.to_vec()].concat(), expected, "detached");
        let opened = open_in_place(&key, &iv, &aad, &mut buf).unwrap();
        assert_eq!(opened, &plaintext[..], "open_in_place");

        // A flipped tag bit must fail.
        let mut bad = expected.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            open_in_place(&key, &iv, &aad, &mut bad),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn aes_256_gcm_known_answer_test_case_13_empty_plaintext() {
        check_vector(&TEST_CASE_13);
    }

    #[test]
    fn aes_256_gcm_known_answer_test_case_14_zero_block() {
        check_vector(&TEST_CASE_14);
    }

    #[test]
    fn aes_256_gcm_known_answer_test_case_15_four_blocks() {
        check_vector(&TEST_CASE_15);
    }

    #[test]
    fn aes_256_gcm_known_answer_test_case_16_partial_block_with_aad() {
        check_vector(&TEST_CASE_16);
    }

    #[test]
    fn open_rejects_bad_nonce_and_short_ciphertext_as_malformed() {
        let key = [7u8; KEY_LEN];
        let mut buf = vec![0u8; TAG_LEN];
        assert!(matches!(
            open_in_place(&key, &[0u8; 11], b"", &mut buf),
            Err(CryptoError::Malformed(_))
        ));
        let mut short = vec![0u8; TAG_LEN - 1];
        assert!(matches!(
            open_in_place(&key, &[0u8; NONCE_LEN], b"", &mut short),
            Err(CryptoError::Malformed(_))
        ));
    }
}
