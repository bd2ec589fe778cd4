//! Test-only helpers shared by the gate's tests and the local mock Google.
//!
//! Keys are generated at run time (no private key is ever committed). Tokens are assembled by
//! hand rather than with a JWT library so tests can forge exactly the malformed or malicious
//! tokens an attacker would send: `alg: none`, HS256 keyed with the RSA public key, tampered
//! payloads, unknown `kid`s.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Google's production issuer, the default the gate expects.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// An RS256 signing key with a key id, generated fresh for each test run.
pub struct TestKey {
    kid: String,
    pair: RsaKeyPair,
}

impl TestKey {
    /// Generates a 2048-bit RSA key (Google's size).
    pub fn generate(kid: &str) -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        Self {
            kid: kid.to_owned(),
            pair,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK, shaped like the entries of Google's JWKS.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": b64url(public.modulus().big_endian_without_leading_zero()),
            "e": b64url(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// DER `RSAPublicKey` bytes: what an attacker would use as an HMAC key in an
    /// algorithm-confusion attack.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// Signs `header.claims` with RS256, whatever the header says.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signing_input = signing_input(header, claims);
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing");
        format!("{signing_input}.{}", b64url(&signature))
    }

    /// A well-formed Google-style ID token: RS256 with this key's `kid`.
    pub fn id_token(&self, claims: &Value) -> String {
        self.sign(&self.header(), claims)
    }

    /// The header Google puts on its ID tokens.
    pub fn header(&self) -> Value {
        json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"})
    }
}

/// A JWKS document holding the given keys.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}

/// An unsecured JWT (`alg: none`, empty signature).
pub fn unsigned_token(header: &Value, claims: &Value) -> String {
    format!("{}.", signing_input(header, claims))
}

/// A JWT signed with HMAC-SHA256 under `secret`.
pub fn hs256_token(secret: &[u8], header: &Value, claims: &Value) -> String {
    use aws_lc_rs::hmac;
    let signing_input = signing_input(header, claims);
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(tag.as_ref()))
}

/// Claims like Google's for `email`, issued now and valid for an hour.
/// `hd` is present only for Workspace accounts, as Google does.
pub fn google_claims(aud: &str, email: &str, hd: Option<&str>, now: u64) -> Value {
    let local = email.split('@').next().unwrap_or(email);
    let mut claims = json!({
        "iss": GOOGLE_ISSUER,
        "azp": aud,
        "aud": aud,
        "sub": format!("1{:020}", fnv(email)),
        "email": email,
        "email_verified": true,
        "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "nonce": "n-0S6_WzA2Mj",
        "name": format!("{local} Tester"),
        "given_name": local,
        "family_name": "Tester",
        "picture": "https://lh3.googleusercontent.com/a/default-user",
        "iat": now,
        "exp": now + 3600,
    });
    if let Some(hd) = hd {
        claims["hd"] = json!(hd);
    }
    claims
}

/// Base64url without padding, as JWS uses.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    )
}

/// A stable, distinct `sub` per email so identities never collide in tests.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    }) % 100_000_000_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_token_has_three_segments_and_the_kid() {
        let key = TestKey::generate("k1");
        let token = key.id_token(&google_claims("aud", "a@example.com", None, 1));
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(key.jwk()["kid"], "k1");
        assert_eq!(key.jwk()["e"], "AQAB");
    }

    #[test]
    fn distinct_emails_get_distinct_subjects() {
        let a = google_claims("aud", "a@example.com", None, 1);
        let b = google_claims("aud", "b@example.com", None, 1);
        assert_ne!(a["sub"], b["sub"]);
    }
}
