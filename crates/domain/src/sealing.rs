//! What a sealed secret is bound to.

use uuid::Uuid;

/// The associated data of a credential version's sealed secret: workspace, credential and
/// version, so a ciphertext copied to another row or version fails to open.
pub fn secret_aad(workspace_id: Uuid, credential_id: Uuid, version: i32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + 16 + 16 + 4);
    aad.extend_from_slice(b"credvault/secret/v1|");
    aad.extend_from_slice(workspace_id.as_bytes());
    aad.extend_from_slice(credential_id.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// The associated data of a workspace's sealed SSO client secret: bound to the workspace, so it
/// does not open in another workspace's configuration.
pub fn sso_secret_aad(workspace_id: Uuid) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32);
    aad.extend_from_slice(b"credvault/sso/v1|");
    aad.extend_from_slice(workspace_id.as_bytes());
    aad
}

/// The AAD of a webhook's sealed secret: the workspace and the webhook.
pub fn webhook_aad(workspace_id: Uuid, webhook_id: Uuid) -> Vec<u8> {
    let mut aad = Vec::with_capacity(28 + 32);
    aad.extend_from_slice(b"credvault/webhook-secret/v1|");
    aad.extend_from_slice(workspace_id.as_bytes());
    aad.extend_from_slice(webhook_id.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_differs_for_each_bound_field() {
        let (w, c) = (Uuid::now_v7(), Uuid::now_v7());
        let base = secret_aad(w, c, 1);
        assert_ne!(base, secret_aad(c, w, 1));
        assert_ne!(base, secret_aad(w, Uuid::now_v7(), 1));
        assert_ne!(base, secret_aad(w, c, 2));
        assert_eq!(base, secret_aad(w, c, 1));
    }
}
