//! Finding the key in the token, and checking it is one credvault may use.

use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

use super::{fail, rv, TokenConfig, TokenError, TokenSetting};

/// The one AES secret key labelled `key_label`, checked: 32 bytes and not extractable.
pub(super) fn find_key(
    session: &Session,
    config: &TokenConfig,
) -> Result<Option<ObjectHandle>, TokenError> {
    let label = &config.key_label;
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(|e| {
            fail(
                TokenSetting::KeyLabel,
                format!("cannot search the token for {label:?}: {}", rv(&e)),
            )
        })?;
    let key = match found.as_slice() {
        [] => return Ok(None),
        [key] => *key,
        more => {
            return Err(fail(
                TokenSetting::KeyLabel,
                format!(
                    "{} AES keys are labelled {label:?}: the label must name one",
                    more.len()
                ),
            ))
        }
    };
    let attrs = session
        .get_attributes(key, &[AttributeType::ValueLen, AttributeType::Extractable])
        .map_err(|e| {
            fail(
                TokenSetting::KeyLabel,
                format!("cannot read the attributes of {label:?}: {}", rv(&e)),
            )
        })?;
    for a in attrs {
        match a {
            Attribute::ValueLen(len) if u64::from(len) != 32 => {
                return Err(fail(TokenSetting::KeyLabel, format!(
                    "{label:?} is a {}-bit AES key: it must be AES-256",
                    u64::from(len) * 8
                )))
            }
            Attribute::Extractable(true) => {
                return Err(fail(TokenSetting::KeyLabel, format!(
                    "{label:?} is extractable: the key must never leave the token (generate it with `credvault keys init-pkcs11`)"
                )))
            }
            _ => {}
        }
    }
    Ok(Some(key))
}
