use super::*;
use crate::MasterKey;
use proptest::prelude::*;

const SECRET: &[u8] = b"postgres://svc:s3cr3t-Pa55w0rd@db:5432/app";
const AAD: &[u8] = b"credential:0f6c2a";

#[test]
fn rewrap_key_matches_rewrap_without_the_ciphertext() {
    let old = envelope(1);
    let sealed = old.seal(SECRET, AAD).unwrap();
    let both = Envelope::new(Keyring::new(
        MasterKey::from_bytes([2; 32]),
        vec![MasterKey::from_bytes([1; 32])],
    ));
    let (kek_id, wrapped_dek) = both
        .rewrap_key(&sealed.kek_id, &sealed.wrapped_dek)
        .unwrap();
    assert_eq!(kek_id, both.provider().active_kek_id());
    let moved = Sealed {
        kek_id,
        wrapped_dek,
        ..sealed.clone()
    };
    assert_eq!(envelope(2).open(&moved, AAD).unwrap().expose(), SECRET);
    assert!(matches!(
        envelope(2).rewrap_key(&sealed.kek_id, &sealed.wrapped_dek),
        Err(CryptoError::UnknownKek(_))
    ));
}

fn envelope(seed: u8) -> Envelope {
    Envelope::new(Keyring::new(MasterKey::from_bytes([seed; 32]), vec![]))
}

#[test]
fn seal_then_open_round_trips() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();
    assert_eq!(sealed.kek_id, env.provider().active_kek_id());
    assert_eq!(sealed.nonce.len(), 12);
    assert_eq!(sealed.wrapped_dek.len(), 60);
    assert_eq!(sealed.ciphertext.len(), SECRET.len() + 16);
    assert_eq!(env.open(&sealed, AAD).unwrap().expose(), SECRET);
}

#[test]
fn seal_then_open_round_trips_empty_plaintext_and_aad() {
    let env = envelope(1);
    let sealed = env.seal(b"", b"").unwrap();
    assert_eq!(sealed.ciphertext.len(), 16);
    assert!(env.open(&sealed, b"").unwrap().is_empty());
}

#[test]
fn two_seals_of_same_plaintext_differ_in_ciphertext_nonce_and_wrapped_dek() {
    let env = envelope(1);
    let a = env.seal(SECRET, AAD).unwrap();
    let b = env.seal(SECRET, AAD).unwrap();
    assert_ne!(a.ciphertext, b.ciphertext);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.wrapped_dek, b.wrapped_dek);
    assert_eq!(a.kek_id, b.kek_id);
}

#[test]
fn every_single_byte_flip_of_nonce_wrapped_dek_or_ciphertext_fails_with_decrypt() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();
    type Field = fn(&mut Sealed) -> &mut Vec<u8>;
    let fields: [(&str, Field); 3] = [
        ("nonce", |s| &mut s.nonce),
        ("wrapped_dek", |s| &mut s.wrapped_dek),
        ("ciphertext", |s| &mut s.ciphertext),
    ];
    for (name, field) in fields {
        let len = field(&mut sealed.clone()).len();
        for i in 0..len {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = sealed.clone();
                field(&mut bad)[i] ^= mask;
                match env.open(&bad, AAD) {
                    Err(CryptoError::Decrypt) => {}
                    other => panic!("{name}[{i}] ^ {mask:#x}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn length_changes_of_nonce_wrapped_dek_or_ciphertext_fail_as_malformed_or_decrypt() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();

    for len in [0, 11, 13] {
        let mut bad = sealed.clone();
        bad.nonce.resize(len, 0);
        assert!(matches!(
            env.open(&bad, AAD),
            Err(CryptoError::Malformed(_))
        ));
    }
    for len in [0, 59, 61] {
        let mut bad = sealed.clone();
        bad.wrapped_dek.resize(len, 0);
        assert!(matches!(
            env.open(&bad, AAD),
            Err(CryptoError::Malformed(_))
        ));
    }
    for len in [0, 15] {
        let mut bad = sealed.clone();
        bad.ciphertext.truncate(len);
        assert!(matches!(
            env.open(&bad, AAD),
            Err(CryptoError::Malformed(_))
        ));
    }
    // Truncated or extended but still tag-sized: authentication fails.
    for len in [16, sealed.ciphertext.len() - 1, sealed.ciphertext.len() + 1] {
        let mut bad = sealed.clone();
        bad.ciphertext.resize(len, 0);
        assert!(matches!(env.open(&bad, AAD), Err(CryptoError::Decrypt)));
    }
    let mut bad = sealed.clone();
    bad.kek_id.clear();
    assert!(matches!(
        env.open(&bad, AAD),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn wrong_aad_fails_with_decrypt() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();
    for aad in [
        &b""[..],
        b"credential:0f6c2b",
        b"credential:0f6c2a ",
        b"other",
    ] {
        assert!(matches!(env.open(&sealed, aad), Err(CryptoError::Decrypt)));
    }
}

#[test]
fn dek_wrapped_under_one_kek_id_does_not_unwrap_under_another() {
    // Both KEKs are present; swapping the kek_id must not work because the
    // id is bound into the wrapping AAD (and the key differs).
    let a = MasterKey::from_bytes([1; 32]);
    let b = MasterKey::from_bytes([2; 32]);
    let b_id = b.id().to_owned();
    let env = Envelope::new(Keyring::new(a, vec![b]));
    let mut sealed = env.seal(SECRET, AAD).unwrap();
    sealed.kek_id = b_id;
    assert!(matches!(env.open(&sealed, AAD), Err(CryptoError::Decrypt)));
}

#[test]
fn value_sealed_under_a_opens_with_active_b_retired_a() {
    let sealed = envelope(0xa).seal(SECRET, AAD).unwrap();
    let rotated = Envelope::new(Keyring::new(
        MasterKey::from_bytes([0xb; 32]),
        vec![MasterKey::from_bytes([0xa; 32])],
    ));
    assert_ne!(sealed.kek_id, rotated.provider().active_kek_id());
    assert_eq!(rotated.open(&sealed, AAD).unwrap().expose(), SECRET);
}

#[test]
fn rewrap_moves_to_active_kek_keeps_nonce_and_ciphertext_and_opens_without_old_key() {
    let sealed = envelope(0xa).seal(SECRET, AAD).unwrap();
    let rotated = Envelope::new(Keyring::new(
        MasterKey::from_bytes([0xb; 32]),
        vec![MasterKey::from_bytes([0xa; 32])],
    ));
    let b_id = rotated.provider().active_kek_id().to_owned();

    let moved = rotated.rewrap(&sealed).unwrap();
    assert_eq!(moved.kek_id, b_id);
    assert_ne!(moved.wrapped_dek, sealed.wrapped_dek);
    assert_eq!(moved.nonce, sealed.nonce);
    assert_eq!(moved.ciphertext, sealed.ciphertext);

    let only_b = envelope(0xb);
    assert_eq!(only_b.open(&moved, AAD).unwrap().expose(), SECRET);
    assert!(matches!(
        only_b.open(&sealed, AAD),
        Err(CryptoError::UnknownKek(_))
    ));
}

#[test]
fn rewrap_under_active_kek_returns_identical_clone() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();
    assert_eq!(env.rewrap(&sealed).unwrap(), sealed);
}

#[test]
fn rewrap_rejects_unknown_kek_and_malformed_values() {
    let sealed = envelope(0xa).seal(SECRET, AAD).unwrap();
    let other = envelope(0xc);
    assert!(matches!(
        other.rewrap(&sealed),
        Err(CryptoError::UnknownKek(_))
    ));
    let mut bad = sealed.clone();
    bad.nonce.pop();
    assert!(matches!(
        envelope(0xa).rewrap(&bad),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn unknown_kek_error_names_the_id() {
    let sealed = envelope(0xa).seal(SECRET, AAD).unwrap();
    let err = envelope(0xb).open(&sealed, AAD).unwrap_err();
    match &err {
        CryptoError::UnknownKek(id) => assert_eq!(id, &sealed.kek_id),
        other => panic!("expected UnknownKek, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&sealed.kek_id), "{text}");
    assert!(text.contains("CREDVAULT_RETIRED_KEYS"), "{text}");
}

#[test]
fn sealed_and_opened_debug_never_show_plaintext_or_bytes() {
    let env = envelope(1);
    let sealed = env.seal(SECRET, AAD).unwrap();
    let dbg = format!("{sealed:?} {sealed:#?}");
    assert!(dbg.contains(&sealed.kek_id));
    assert!(dbg.contains("ciphertext_len"));
    assert!(!dbg.contains("s3cr3t"));
    // No byte list of any field.
    assert!(!dbg.contains('['), "{dbg}");

    let opened = env.open(&sealed, AAD).unwrap();
    let dbg = format!("{opened:?}");
    assert_eq!(dbg, "[REDACTED]");

    let dbg = format!("{env:?}");
    assert!(dbg.contains(env.provider().active_kek_id()));
    assert!(!dbg.contains("s3cr3t"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn open_of_seal_returns_plaintext_and_other_aad_fails(
        plaintext in proptest::collection::vec(any::<u8>(), 0..4096),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        other_aad in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assume!(aad != other_aad);
        let env = envelope(7);
        let sealed = env.seal(&plaintext, &aad).unwrap();
        let opened = env.open(&sealed, &aad).unwrap();
        prop_assert_eq!(opened.expose(), &plaintext[..]);
        prop_assert!(matches!(env.open(&sealed, &other_aad), Err(CryptoError::Decrypt)));
    }
}
