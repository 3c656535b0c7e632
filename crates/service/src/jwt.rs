//! Session access tokens: HS256 JWTs of 15 minutes naming the user, the workspace and the
//! session (whose liveness every request checks in the database).

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ServiceError;

/// Access tokens live 15 minutes.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub ws: Uuid,
    pub sid: Uuid,
    iat: i64,
    exp: i64,
}

pub struct Jwt {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl Jwt {
    pub fn new(secret: &[u8]) -> Jwt {
        Jwt {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
        }
    }

    pub fn issue(&self, ws: Uuid, user: Uuid, session: Uuid) -> Result<String, ServiceError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            ws,
            sid: session,
            iat: now,
            exp: now + ACCESS_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(ServiceError::internal)
    }

    /// Whether a token is a valid, unexpired access token (for benchmarks and checks).
    pub fn verify_token(&self, token: &str) -> bool {
        self.verify(token).is_some()
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.dec, &v)
            .ok()
            .map(|d| d.claims)
    }
}
