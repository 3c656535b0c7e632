//! Standard Webhooks signing: secrets `whsec_` + base64 of 32 random bytes, and signatures
//! `v1,` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::{hmac_sha256, random_bytes, CryptoError};

/// The prefix of a webhook secret.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// A new webhook secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_webhook_secret() -> Result<SecretString, CryptoError> {
    let bytes = Zeroizing::new(random_bytes::<32>()?);
    Ok(SecretString::from(format!(
        "{WEBHOOK_SECRET_PREFIX}{}",
        STANDARD.encode(bytes.as_ref())
    )))
}

/// The `webhook-signature` header for a message: `v1,<base64>`. The key is the secret's
/// base64-decoded part after `whsec_`; None when the secret is not of that form.
pub fn webhook_signature(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Option<String> {
    let key = Zeroizing::new(
        STANDARD
            .decode(secret.strip_prefix(WEBHOOK_SECRET_PREFIX).unwrap_or(secret))
            .ok()?,
    );
    let mut signed = Vec::with_capacity(msg_id.len() + body.len() + 24);
    signed.extend_from_slice(msg_id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256(&key, &signed).as_ref())
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_the_specifications_example() {
        let sig = webhook_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_are_32_random_bytes_after_the_prefix() {
        let a = generate_webhook_secret().expect("secret");
        let b = generate_webhook_secret().expect("secret");
        let raw = a.expose_secret().strip_prefix("whsec_").expect("prefix");
        assert_eq!(STANDARD.decode(raw).expect("base64").len(), 32);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(webhook_signature("whsec_not base64!", "m", 1, b"{}").is_none());
    }
}
