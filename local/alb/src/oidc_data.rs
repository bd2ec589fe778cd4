//! `x-amzn-oidc-data`: the userinfo claims as an ES256 JWT signed by the load balancer.
//! ALB quirk kept on purpose: each segment is base64url *with* `=` padding, and the signature
//! covers the padded segments, so verifiers that strip padding fail — as they would on AWS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::crypto::{CryptoError, DataSigner};

/// Header fields in the order AWS documents them.
#[derive(Serialize)]
struct DataHeader<'a> {
    typ: &'a str,
    kid: &'a str,
    alg: &'a str,
    iss: &'a str,
    client: &'a str,
    signer: &'a str,
    exp: u64,
}

pub struct DataTokenInput<'a> {
    pub claims: &'a Map<String, Value>,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub signer_arn: &'a str,
    pub exp: u64,
}

pub fn sign_data_token(
    signer: &DataSigner,
    input: &DataTokenInput<'_>,
) -> Result<String, CryptoError> {
    let header = DataHeader {
        typ: "JWT",
        kid: signer.kid(),
        alg: "ES256",
        iss: input.issuer,
        client: input.client_id,
        signer: input.signer_arn,
        exp: input.exp,
    };
    let mut payload = input.claims.clone();
    payload.insert("exp".into(), input.exp.into());
    payload.insert("iss".into(), input.issuer.into());
    let header_json = serde_json::to_vec(&header).map_err(|_| CryptoError::Sign)?;
    let payload_json = serde_json::to_vec(&payload).map_err(|_| CryptoError::Sign)?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE.encode(header_json),
        URL_SAFE.encode(payload_json)
    );
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", URL_SAFE.encode(signature)))
}
