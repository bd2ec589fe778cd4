//! The public key endpoint, like `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`:
//! `GET /<kid>` returns the PEM of the key that signs `x-amzn-oidc-data`.

use std::convert::Infallible;
use std::sync::Arc;

use http::{HeaderValue, Method, Request, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{Response, full};
use crate::pages::error_page;

pub struct PublicKeys {
    pub kid: String,
    pub pem: String,
}

pub async fn handle(
    keys: Arc<PublicKeys>,
    request: Request<Incoming>,
) -> Result<Response, Infallible> {
    let kid = request.uri().path().trim_start_matches('/');
    let response = if request.method() == Method::GET && kid == keys.kid {
        let mut r = Response::new(full(keys.pem.clone()));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        r
    } else {
        error_page(StatusCode::NOT_FOUND)
    };
    tracing::info!(
        method = %request.method(),
        path = %request.uri().path(),
        status = response.status().as_u16(),
        rule = "public-keys",
        "request"
    );
    Ok(response)
}
