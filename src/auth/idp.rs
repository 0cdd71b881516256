//! Tokens from an external identity provider (Supabase Auth, Auth0, Keycloak, ...): a JWT signed with a
//! shared HS256 secret, or with RS256/ES256 keys published at a JWKS URL. Issuer, audience, expiry and
//! not-before are always checked; the algorithm must be the one configured (never `none`). The caller is
//! then mapped to an inbox user by subject; else by email, only when the provider says it verified that
//! email, and only for a user not yet linked to a subject (the first such sign-in links it).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// Keys are fetched again after this long, or sooner (at most once a minute) for an unknown key id.
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum IdpKeys {
    Hs256(crate::config::Secret),
    Jwks(String),
}

#[derive(Debug, Clone)]
pub struct IdpSettings {
    pub issuer: String,
    pub audience: String,
    pub keys: IdpKeys,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Seconds since the epoch.
    pub exp: i64,
    #[serde(default)]
    pub email: Option<String>,
    /// OpenID Connect's claim that the provider checked the email belongs to the subject (a boolean;
    /// some providers send the string `"true"`).
    #[serde(default)]
    pub email_verified: Option<serde_json::Value>,
}

impl Claims {
    /// The email, if the provider says it verified it: the only email a user may be found by.
    pub fn verified_email(&self) -> Option<&str> {
        let verified = match &self.email_verified {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        self.email
            .as_deref()
            .map(str::trim)
            .filter(|e| verified && !e.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdpError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("the identity provider's keys could not be fetched")]
    KeysUnavailable,
}

pub struct IdentityProvider {
    settings: IdpSettings,
    http: reqwest::Client,
    jwks: RwLock<Option<(Instant, JwkSet)>>,
}

/// Whether a bearer token looks like a JWT (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("ey")
}

impl IdentityProvider {
    pub fn new(settings: IdpSettings) -> anyhow::Result<Self> {
        Ok(IdentityProvider {
            settings,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            jwks: RwLock::new(None),
        })
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, IdpError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| IdpError::Invalid(e.to_string()))?;
        let (key, algorithm) = match &self.settings.keys {
            IdpKeys::Hs256(secret) => (
                DecodingKey::from_secret(secret.expose().as_bytes()),
                Algorithm::HS256,
            ),
            IdpKeys::Jwks(_) => {
                if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
                    return Err(IdpError::Invalid(format!(
                        "algorithm {:?} is not accepted",
                        header.alg
                    )));
                }
                (self.jwk_key(header.kid.as_deref()).await?, header.alg)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                Err(IdpError::Expired)
            }
            Err(e) => Err(IdpError::Invalid(e.to_string())),
        }
    }

    async fn jwk_key(&self, kid: Option<&str>) -> Result<DecodingKey, IdpError> {
        let find = |set: &JwkSet| -> Option<DecodingKey> {
            let jwk = match kid {
                Some(kid) => set.find(kid),
                None if set.keys.len() == 1 => set.keys.first(),
                None => None,
            }?;
            DecodingKey::from_jwk(jwk).ok()
        };
        let stale = {
            let cached = self.jwks.read().await;
            match cached.as_ref() {
                Some((fetched, set)) if fetched.elapsed() < JWKS_TTL => match find(set) {
                    Some(key) => return Ok(key),
                    None => fetched.elapsed() >= JWKS_MIN_REFRESH,
                },
                _ => true,
            }
        };
        if stale {
            self.refresh().await?;
        }
        let cached = self.jwks.read().await;
        cached
            .as_ref()
            .and_then(|(_, set)| find(set))
            .ok_or_else(|| IdpError::Invalid("no published key matches the token's key id".into()))
    }

    async fn refresh(&self) -> Result<(), IdpError> {
        let IdpKeys::Jwks(url) = &self.settings.keys else {
            return Ok(());
        };
        let fetched = async {
            self.http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json::<JwkSet>()
                .await
        }
        .await;
        match fetched {
            Ok(set) => {
                *self.jwks.write().await = Some((Instant::now(), set));
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "cannot fetch the identity provider's JWKS");
                Err(IdpError::KeysUnavailable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const SECRET: &str = "an-identity-provider-secret-of-32-bytes!";

    fn provider() -> IdentityProvider {
        IdentityProvider::new(IdpSettings {
            issuer: "https://idp.example".into(),
            audience: "inbox".into(),
            keys: IdpKeys::Hs256(crate::config::Secret::new(SECRET)),
        })
        .unwrap()
    }

    fn token(extra: serde_json::Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = serde_json::json!({"sub": "s1", "iss": "https://idp.example", "aud": "inbox",
                                            "exp": now + 600, "iat": now});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_token_not_valid_yet_is_refused_beyond_the_clock_skew() {
        let now = chrono::Utc::now().timestamp();
        let idp = provider();
        assert!(idp
            .verify(&token(serde_json::json!({"nbf": now + 3600})))
            .await
            .is_err());
        assert!(idp
            .verify(&token(serde_json::json!({"nbf": now + 10})))
            .await
            .is_ok());
        assert!(idp
            .verify(&token(serde_json::json!({"nbf": now - 10})))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn only_an_email_the_provider_verified_is_offered() {
        let idp = provider();
        for (extra, expected) in [
            (
                serde_json::json!({"email": "a@x.io", "email_verified": true}),
                Some("a@x.io"),
            ),
            (
                serde_json::json!({"email": "a@x.io", "email_verified": "true"}),
                Some("a@x.io"),
            ),
            (
                serde_json::json!({"email": "a@x.io", "email_verified": false}),
                None,
            ),
            (serde_json::json!({"email": "a@x.io"}), None),
            (
                serde_json::json!({"email": "a@x.io", "email_verified": "yes"}),
                None,
            ),
            (serde_json::json!({"email_verified": true}), None),
        ] {
            let claims = idp.verify(&token(extra.clone())).await.unwrap();
            assert_eq!(claims.verified_email(), expected, "{extra}");
        }
    }
}
