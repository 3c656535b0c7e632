use super::*;
use crate::test_util::hex;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use secrecy::ExposeSecret;

fn key_bytes() -> [u8; 32] {
    // Contains 0xfb/0xff so standard and URL-safe encodings differ.
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = 0xf0 | (i as u8 & 0x0f);
    }
    k[0] = 0xfb;
    k[1] = 0xff;
    k
}

#[test]
fn from_base64_accepts_standard_url_safe_padded_unpadded_and_whitespace() {
    let bytes = key_bytes();
    let reference = MasterKey::from_bytes(bytes);
    let encodings = [
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
        format!("  {}\n", STANDARD.encode(bytes)),
    ];
    assert_ne!(encodings[0], encodings[2], "alphabets should differ here");
    for e in &encodings {
        let k = MasterKey::from_base64(e).unwrap();
        assert_eq!(k.id(), reference.id());
        assert_eq!(&k.key[..], &bytes[..]);
    }
}

#[test]
fn from_base64_rejects_short_long_and_malformed_without_echoing_input() {
    let short = STANDARD.encode([0xabu8; 31]);
    let long = STANDARD.encode([0xcdu8; 33]);
    let cases: [(&str, KeyError); 6] = [
        (&short, KeyError::WrongLength(31)),
        (&long, KeyError::WrongLength(33)),
        ("Kx9#pQ2$mW7&vR4*Zt8!", KeyError::NotBase64),
        ("c2VjcmV0LWtleS1tYXRlcmlhbA*==", KeyError::NotBase64),
        ("", KeyError::Empty),
        ("   \t\n", KeyError::Empty),
    ];
    for (input, expected) in cases {
        let err = MasterKey::from_base64(input).unwrap_err();
        assert_eq!(err, expected, "input {input:?}");
        let text = format!("{err} {err:?}");
        let trimmed = input.trim();
        if !trimmed.is_empty() {
            assert!(!text.contains(trimmed), "error echoes input: {text}");
            // Nor any 6-character window of it.
            for w in trimmed.as_bytes().windows(6) {
                assert!(!text.contains(std::str::from_utf8(w).unwrap()));
            }
        }
    }
    assert_eq!(
        KeyError::WrongLength(31).to_string(),
        "master key must decode to 32 bytes, got 31"
    );
}

#[test]
fn to_base64_round_trips_through_from_base64() {
    let k = MasterKey::generate().unwrap();
    let encoded = k.to_base64();
    assert_eq!(encoded.expose_secret().len(), 44);
    let back = MasterKey::from_base64(encoded.expose_secret()).unwrap();
    assert_eq!(back.id(), k.id());
    assert_eq!(&back.key[..], &k.key[..]);
}

#[test]
fn generate_gives_distinct_keys() {
    let a = MasterKey::generate().unwrap();
    let b = MasterKey::generate().unwrap();
    assert_ne!(&a.key[..], &b.key[..]);
    assert_ne!(a.id(), b.id());
}

#[test]
fn id_is_kek_prefix_and_truncated_hmac_sha256() {
    let bytes = key_bytes();
    let k = MasterKey::from_bytes(bytes);
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &bytes),
        b"credvault kek id v1",
    );
    let expected: String = tag.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(k.id(), format!("kek_{expected}"));
    assert_eq!(k.id().len(), 20);
    // Stable: same key, same id.
    assert_eq!(MasterKey::from_bytes(bytes).id(), k.id());
}

/// Key ids are stored next to every wrapped data key, and the JWT secret signs every session:
/// both must stay what they are for a given master key, across builds and dependency
/// upgrades. The expected values were computed outside this code (Python's `hmac` and
/// `openssl dgst -sha256 -mac HMAC`), so a change to the message, the truncation, the hex
/// encoding or the HKDF steps fails here.
#[test]
fn kek_id_and_derived_subkey_are_fixed_for_a_known_key() {
    let k = MasterKey::from_bytes(key_bytes());
    assert_eq!(k.id(), "kek_664a7b23f71dab88");
    assert_eq!(
        &k.derive("credvault jwt v1")[..],
        &hex("9d4d29d0aea348057418c9fbe24b5ab2a303fa91d7ccf662610f7901b2a840e2")[..]
    );
    // Read from its base64 form, the same key keeps the same id.
    let encoded = STANDARD.encode(key_bytes());
    assert_eq!(
        MasterKey::from_base64(&encoded).unwrap().id(),
        "kek_664a7b23f71dab88"
    );
}

#[test]
fn hkdf_known_answer_rfc5869_cases_1_and_3() {
    // Case 1: first 32 bytes of the 42-byte OKM (= T(1)).
    let okm = hkdf_sha256_32(
        &hex("000102030405060708090a0b0c"),
        &[0x0b; 22],
        &hex("f0f1f2f3f4f5f6f7f8f9"),
    );
    assert_eq!(
        &okm[..],
        &hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")[..]
    );
    // Case 3: empty salt and info.
    let okm = hkdf_sha256_32(&[], &[0x0b; 22], &[]);
    assert_eq!(
        &okm[..],
        &hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")[..]
    );
}

#[test]
fn derive_matches_ring_hkdf_and_separates_labels() {
    let k = MasterKey::from_bytes(key_bytes());
    let jwt = k.derive("credvault jwt v1");
    let mut expected = [0u8; 32];
    ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, &[])
        .extract(&key_bytes())
        .expand(&[b"credvault jwt v1"], ring::hkdf::HKDF_SHA256)
        .unwrap()
        .fill(&mut expected)
        .unwrap();
    assert_eq!(*jwt, expected);
    assert_eq!(*k.derive("credvault jwt v1"), *jwt, "deterministic");
    assert_ne!(*k.derive("other label"), *jwt);
    assert_ne!(
        *MasterKey::generate().unwrap().derive("credvault jwt v1"),
        *jwt
    );
}

#[test]
fn master_key_and_keyring_debug_are_redacted() {
    let bytes = key_bytes();
    let k = MasterKey::from_bytes(bytes);
    let id = k.id().to_owned();
    let b64 = STANDARD.encode(bytes);
    let dbg = format!("{k:?} {k:#?}");
    assert!(dbg.contains("[REDACTED]"));
    assert!(dbg.contains(&id));
    assert!(!dbg.contains(&b64));
    let without_id = dbg.replace(&id, "");
    assert!(!without_id.contains("251")); // 0xfb as a decimal byte
    assert!(!without_id.contains("fbff"));

    let retired = MasterKey::generate().unwrap();
    let retired_id = retired.id().to_owned();
    let ring = Keyring::new(k, vec![retired]);
    let dbg = format!("{ring:?}");
    assert!(dbg.contains(&id) && dbg.contains(&retired_id));
    assert!(!dbg.contains(&b64));
    // The ids are hex and may contain "251" by chance (the retired key is random).
    let without_ids = dbg.replace(&id, "").replace(&retired_id, "");
    assert!(!without_ids.contains("251"));
}

#[test]
fn keyring_lists_active_first_and_drops_duplicates() {
    let a = MasterKey::from_bytes([1; 32]);
    let b = MasterKey::from_bytes([2; 32]);
    let (a_id, b_id) = (a.id().to_owned(), b.id().to_owned());
    let ring = Keyring::new(
        a,
        vec![
            MasterKey::from_bytes([2; 32]),
            b,
            MasterKey::from_bytes([1; 32]),
        ],
    );
    assert_eq!(ring.active_kek_id(), a_id);
    assert_eq!(ring.active().id(), a_id);
    assert_eq!(ring.kek_ids(), vec![a_id, b_id]);
}

#[test]
fn wrap_is_60_bytes_and_unwraps_under_its_kek_only() {
    let ring = Keyring::new(MasterKey::from_bytes([1; 32]), vec![]);
    let dek = [0x42u8; 32];
    let (id, wrapped) = ring.wrap(&dek).unwrap();
    assert_eq!(id, ring.active_kek_id());
    assert_eq!(wrapped.len(), WRAPPED_DEK_LEN);
    assert_eq!(*ring.unwrap(&id, &wrapped).unwrap(), dek);

    // A keyring without that KEK names the missing id.
    let other = Keyring::new(MasterKey::from_bytes([2; 32]), vec![]);
    assert!(matches!(
        other.unwrap(&id, &wrapped),
        Err(CryptoError::UnknownKek(ref s)) if *s == id
    ));
    assert!(matches!(
        ring.unwrap(&id, &wrapped[..59]),
        Err(CryptoError::Malformed(_))
    ));
    let mut flipped = wrapped.clone();
    flipped[20] ^= 0x01;
    assert!(matches!(
        ring.unwrap(&id, &flipped),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn arc_and_box_providers_delegate() {
    let ring = Arc::new(Keyring::new(MasterKey::from_bytes([3; 32]), vec![]));
    let boxed: Box<dyn KekProvider> = Box::new(Arc::clone(&ring));
    let (id, wrapped) = boxed.wrap(&[9; 32]).unwrap();
    assert_eq!(id, ring.active_kek_id());
    assert_eq!(boxed.kek_ids(), ring.kek_ids());
    assert_eq!(*ring.unwrap(&id, &wrapped).unwrap(), [9; 32]);
}
