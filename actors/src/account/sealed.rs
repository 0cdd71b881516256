//! Secrets of an account (access token, app secret, verify token) as they are stored: AES-256-GCM under
//! the install's master key, with a random nonce, bound to the account and the field they belong to (so
//! a ciphertext copied to another account or field does not open). A keyed fingerprint lets the account
//! tell an unchanged secret from a new one without decrypting.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The install's master key: 32 bytes.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes, written as 64 hex digits or in base64")]
    BadKey,
    #[error("this secret was sealed under another master key ({0})")]
    OtherKey(String),
    #[error("the sealed secret is damaged or belongs elsewhere")]
    Damaged,
}

/// A sealed secret. Equal when the fingerprints are: the same secret sealed twice is the same value.
#[derive(Clone, Serialize, Deserialize)]
pub struct Sealed {
    /// Which master key sealed it (a hash of the key, not the key).
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
    /// HMAC-SHA256 of the secret under the master key.
    pub fingerprint: String,
}

impl PartialEq for Sealed {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl Eq for Sealed {}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sealed({}…)",
            &self.fingerprint[..8.min(self.fingerprint.len())]
        )
    }
}

impl MasterKey {
    /// From 64 hex digits or base64 of 32 bytes (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<MasterKey, SealError> {
        let text = text.trim();
        let bytes = match hex_decode(text) {
            Some(bytes) => bytes,
            None => STANDARD.decode(text).map_err(|_| SealError::BadKey)?,
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(MasterKey { key })
    }

    pub fn generate() -> MasterKey {
        MasterKey {
            key: Aes256Gcm::generate_key(&mut OsRng).into(),
        }
    }

    /// The key as 64 hex digits (for writing a new key file).
    pub fn to_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn id(&self) -> String {
        let digest = Sha256::digest([b"inbox-master-key:".as_slice(), &self.key].concat());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn fingerprint(&self, context: &str, secret: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(secret.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Seals `secret` for `context` (such as `account/1234/access_token`).
    pub fn seal(&self, context: &str, secret: &str) -> Sealed {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short secret cannot fail");
        Sealed {
            key_id: self.id(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
            fingerprint: self.fingerprint(context, secret),
        }
    }

    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<String, SealError> {
        if sealed.key_id != self.id() {
            return Err(SealError::OtherKey(sealed.key_id.clone()));
        }
        let nonce = STANDARD
            .decode(&sealed.nonce)
            .map_err(|_| SealError::Damaged)?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| SealError::Damaged)?;
        if nonce.len() != 12 {
            return Err(SealError::Damaged);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Damaged)?;
        String::from_utf8(plain).map_err(|_| SealError::Damaged)
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_in_its_place() {
        let key = MasterKey::generate();
        let sealed = key.seal("account/1/access_token", "EAAG-secret");
        assert!(!sealed.ciphertext.contains("EAAG"));
        assert_eq!(
            key.open("account/1/access_token", &sealed).unwrap(),
            "EAAG-secret"
        );
        assert_eq!(
            key.open("account/2/access_token", &sealed),
            Err(SealError::Damaged)
        );
        let other = MasterKey::generate();
        assert!(matches!(
            other.open("account/1/access_token", &sealed),
            Err(SealError::OtherKey(_))
        ));
    }

    #[test]
    fn the_same_secret_sealed_twice_differs_in_ciphertext_but_compares_equal() {
        let key = MasterKey::generate();
        let a = key.seal("c", "same");
        let b = key.seal("c", "same");
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(a, b);
        assert_ne!(a, key.seal("c", "different"));
    }

    #[test]
    fn keys_are_read_from_hex_or_base64_of_32_bytes() {
        let key = MasterKey::generate();
        let hex = key.to_hex();
        assert_eq!(MasterKey::parse(&hex).unwrap().id(), key.id());
        let b64 = STANDARD.encode(MasterKey::parse(&hex).unwrap().key);
        assert_eq!(
            MasterKey::parse(&format!(" {b64}\n")).unwrap().id(),
            key.id()
        );
        assert_eq!(MasterKey::parse("short").unwrap_err(), SealError::BadKey);
        assert!(!format!("{key:?}").contains(&hex));
    }
}
