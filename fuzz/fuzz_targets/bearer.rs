//! `Authorization: Bearer` parsing and routing in the userinfo endpoint (`Authorizer::handle`).
//! Input: `METHOD PATH\nheaders\n\nbody` (see `RawRequest`). No input may panic; `/userinfo`
//! never answers `200` (the fuzzer cannot sign with the test key), only `GET /_auth/signed-out`
//! may.
#![no_main]

use gate_fuzz::{FuzzAuthorizer, RawRequest, authorizer, block_on};
use http::{Method, StatusCode};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static AUTHORIZER: FuzzAuthorizer = authorizer();
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = RawRequest::parse(data).to_request() else {
        return;
    };
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let status = AUTHORIZER.with(|authorizer| block_on(authorizer.handle(request)).status());
    if status == StatusCode::OK {
        assert!(
            method == Method::GET && path == "/_auth/signed-out",
            "200 for {method} {path}"
        );
    }
});
