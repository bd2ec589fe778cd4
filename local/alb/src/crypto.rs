//! Per-process keys: AES-256-GCM for the state and session cookies, ES256 (P-256) for
//! `x-amzn-oidc-data`. Nothing is persisted: a restart invalidates every cookie, like a key rotation.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random generator failed")]
    Random,
    #[error("key setup failed: {0}")]
    KeySetup(&'static str),
    #[error("sealing failed")]
    Seal,
    #[error("signing failed")]
    Sign,
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// Random URL-safe token (used for `state` and `nonce`).
pub fn random_token() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// A random version-4 UUID, the shape of ALB key ids.
pub fn random_uuid() -> Result<String, CryptoError> {
    let mut b = random_bytes::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Authenticated encryption of cookie payloads. The purpose string is bound as AAD so a state
/// cookie can never be replayed as a session cookie or the other way round.
pub struct CookieSealer {
    key: LessSafeKey,
}

impl CookieSealer {
    pub fn generate() -> Result<Self, CryptoError> {
        let raw = random_bytes::<32>()?;
        let unbound = UnboundKey::new(&AES_256_GCM, &raw)
            .map_err(|_| CryptoError::KeySetup("aes-256-gcm"))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Returns base64url(nonce || ciphertext || tag), with a fresh random nonce every call.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(purpose.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&in_out);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// `None` for anything not sealed by this process for this purpose (tampered, foreign, stale).
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let data = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if data.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut in_out)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// The load balancer's ES256 signing key and its key id.
pub struct DataSigner {
    key_pair: EcdsaKeyPair,
    kid: String,
}

impl DataSigner {
    pub fn generate() -> Result<Self, CryptoError> {
        let key_pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| CryptoError::KeySetup("ecdsa p-256"))?;
        Ok(Self {
            key_pair,
            kid: random_uuid()?,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Fixed-size r||s (64 bytes), the JWS ES256 signature form.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sig = self
            .key_pair
            .sign(&SystemRandom::new(), message)
            .map_err(|_| CryptoError::Sign)?;
        Ok(sig.as_ref().to_vec())
    }

    /// SubjectPublicKeyInfo PEM, what the ALB public key endpoint serves.
    pub fn public_key_pem(&self) -> Result<String, CryptoError> {
        let der = self
            .key_pair
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::KeySetup("public key DER"))?;
        let b64 = STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(pem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_cookie_round_trips_and_uses_fresh_nonces() {
        let sealer = CookieSealer::generate().expect("key");
        let a = sealer.seal("session", b"hello").expect("seal");
        let b = sealer.seal("session", b"hello").expect("seal");
        assert_ne!(a, b, "each seal must use a fresh nonce");
        assert_eq!(sealer.open("session", &a).as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn sealed_cookie_rejects_other_purpose_tampering_and_other_key() {
        let sealer = CookieSealer::generate().expect("key");
        let sealed = sealer.seal("state", b"hello").expect("seal");
        assert!(sealer.open("session", &sealed).is_none());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert!(sealer.open("state", &tampered).is_none());
        let other = CookieSealer::generate().expect("key");
        assert!(other.open("state", &sealed).is_none());
        assert!(sealer.open("state", "not base64 !").is_none());
        assert!(sealer.open("state", "").is_none());
    }

    #[test]
    fn uuid_has_version_4_shape() {
        let id = random_uuid().expect("uuid");
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, random_uuid().expect("uuid"));
    }

    #[test]
    fn pem_wraps_spki_der() {
        let signer = DataSigner::generate().expect("key");
        let pem = signer.public_key_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body).expect("base64");
        // P-256 SPKI: 26-byte algorithm header + 65-byte uncompressed point.
        assert_eq!(der.len(), 91);
    }
}
