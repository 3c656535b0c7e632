//! Against SoftHSM2 (`make test` installs it): the only test of this crate that loads a PKCS#11
//! module, because the module reads SOFTHSM2_CONF once per process.

use super::*;
use crate::{Envelope, Kek, KekProvider, Keyring, MasterKey};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType};
use std::sync::Arc;

/// The SoftHSM2 module: CREDVAULT_TEST_PKCS11_MODULE (set by `make test`), else where Debian
/// and a source build put it.
fn module() -> PathBuf {
    std::env::var_os("CREDVAULT_TEST_PKCS11_MODULE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/local/lib/softhsm/libsofthsm2.so",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.exists())
        .expect("SoftHSM2 is missing: `make test` installs it, or apt-get install softhsm2")
}

/// A fresh token labelled `credvault` (user PIN 1234) in a token directory of its own.
fn fresh_token() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("credvault-crypto-hsm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    // The only PKCS#11 user in this process: nothing else reads the variable.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let out = std::process::Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "credvault"])
        .args(["--pin", "1234", "--so-pin", "5678"])
        .output()
        .expect("softhsm2-util (package softhsm2) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn config(pin: &str, sessions: usize) -> TokenConfig {
    TokenConfig {
        module: module(),
        token_label: "credvault".into(),
        pin: SecretString::from(pin.to_string()),
        key_label: "kek".into(),
        sessions,
    }
}

#[test]
fn the_token_key_is_made_unextractable_wraps_with_aad_and_serves_many_threads() {
    let dir = fresh_token();

    // Before the key exists, opening names the key label; a wrong PIN names the PIN.
    let missing = TokenKek::open(config("1234", 2)).unwrap_err();
    assert_eq!(missing.setting, TokenSetting::KeyLabel, "{missing}");
    let wrong = TokenKek::open(config("0000", 2)).unwrap_err();
    assert_eq!(wrong.setting, TokenSetting::Pin);
    assert_eq!(wrong.message, "the token refused the PIN");

    let (kek, created) = TokenKek::create(config("1234", 3)).unwrap();
    assert!(created);
    assert_eq!(kek.id(), "pkcs11:credvault:kek");
    let (_, again) = TokenKek::create(config("1234", 3)).unwrap();
    assert!(!again, "a second init leaves the key as it is");

    // The key's value cannot be read out of the token: C_GetAttributeValue(CKA_VALUE) is
    // refused as sensitive, and the key is marked never extractable.
    let session = kek.take().unwrap();
    let info = session
        .get_attribute_info(kek.key, &[AttributeType::Value])
        .unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive), "{info:?}");
    let read = session
        .get_attributes(kek.key, &[AttributeType::Value])
        .unwrap();
    assert!(
        read.iter().all(|a| !matches!(a, Attribute::Value(_))),
        "no value comes out"
    );
    let flags = session
        .get_attributes(
            kek.key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::NeverExtractable,
                AttributeType::Token,
            ],
        )
        .unwrap();
    for a in &flags {
        match a {
            Attribute::Sensitive(v) | Attribute::NeverExtractable(v) | Attribute::Token(v) => {
                assert!(*v, "{a:?}")
            }
            Attribute::Extractable(v) => assert!(!*v),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(flags.len(), 4);
    kek.give_back(Some(session));

    // Wrapping: 60 bytes, a fresh IV each time, opens only under the same AAD.
    let dek = [7u8; 32];
    let a = kek.wrap(&dek, b"aad one").unwrap();
    let b = kek.wrap(&dek, b"aad one").unwrap();
    assert_eq!(a.len(), 60);
    assert_ne!(a[..12], b[..12], "a fresh IV per wrap");
    assert_eq!(*kek.unwrap(&a, b"aad one").unwrap(), dek);
    let e = kek.unwrap(&a, b"aad two");
    assert!(matches!(e, Err(CryptoError::Decrypt)), "{e:?}");
    let mut flipped = a.clone();
    flipped[30] ^= 1;
    let e = kek.unwrap(&flipped, b"aad one");
    assert!(matches!(e, Err(CryptoError::Decrypt)), "{e:?}");

    // In a keyring beside a master key: each unwraps what it wrapped, and the master key
    // cannot open what the token wrapped, even relabelled as its own.
    let token = Arc::new(kek);
    let master = MasterKey::from_bytes([9; 32]);
    let master_id = master.id().to_string();
    let ring = Keyring::from_keks(Kek::Token(token.clone()), vec![Kek::Local(master)]);
    let envelope = Envelope::new(ring);
    let sealed = envelope.seal(b"secret", b"row").unwrap();
    assert_eq!(sealed.kek_id, "pkcs11:credvault:kek");
    assert_eq!(envelope.open(&sealed, b"row").unwrap().expose(), b"secret");
    let local_only = Envelope::new(Keyring::new(MasterKey::from_bytes([9; 32]), vec![]));
    assert!(matches!(
        local_only.open(&sealed, b"row"),
        Err(CryptoError::UnknownKek(_))
    ));
    let relabelled = crate::Sealed {
        kek_id: master_id,
        ..sealed.clone()
    };
    assert!(matches!(
        local_only.open(&relabelled, b"row"),
        Err(CryptoError::Decrypt)
    ));

    // 16 threads unwrapping at once share the pool's 3 sessions.
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (token, wrapped) = (token.clone(), a.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    assert_eq!(*token.unwrap(&wrapped, b"aad one").unwrap(), dek);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(token.sessions_open() <= 3, "{}", token.sessions_open());
    assert_eq!(envelope.provider().kek_ids().len(), 2);
    let _ = std::fs::remove_dir_all(dir);
}
