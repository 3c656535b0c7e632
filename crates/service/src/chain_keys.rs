//! The keys of the audit chain.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// Gives the sequencer the hash of each workspace's chain.
pub struct ChainHasher {}

/// The hashing of one batch.
pub struct BatchKeys {}

impl ChainHasher {
    pub fn new() -> ChainHasher {
        ChainHasher {}
    }

    pub async fn keys_for(
        &self,
        _c: &impl GenericClient,
        _ws: &[Uuid],
    ) -> Result<BatchKeys, credvault_store::StoreError> {
        Ok(BatchKeys {})
    }
}

impl Default for ChainHasher {
    fn default() -> Self {
        ChainHasher::new()
    }
}

impl BatchKeys {
    pub fn hash(&self, _ws: Uuid, prev: &[u8], canonical: &[u8]) -> [u8; 32] {
        chain_hash(prev, canonical)
    }
}

/// The plain link: `SHA-256(prev_hash ‖ canonical)`.
pub fn chain_hash(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(prev.len() + canonical.len());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(canonical);
    credvault_crypto::sha256(&buf)
}
