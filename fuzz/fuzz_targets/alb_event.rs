//! Whole Lambda events as the runtime hands them over (ALB target group, Function URL, API
//! Gateway; JSON text, base64 bodies, multi-value headers) through `lambda_http`'s parser into
//! both handlers. No input may panic; the token endpoint never grants (static Google refuses
//! every code); the authorizer answers `200` only for `GET /_auth/signed-out`.
#![no_main]

use gate_fuzz::{FuzzAuthorizer, FuzzCallback, authorizer, block_on, callback, parse_event};
use http::{Method, StatusCode};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CALLBACK: FuzzCallback = callback();
    static AUTHORIZER: FuzzAuthorizer = authorizer();
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(request) = parse_event(text) else {
        return;
    };
    let status = CALLBACK.with(|callback| block_on(callback.handle(request)).status());
    assert_ne!(status, StatusCode::OK, "token endpoint granted: {text}");

    let Some(request) = parse_event(text) else {
        return;
    };
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let status = AUTHORIZER.with(|authorizer| block_on(authorizer.handle(request)).status());
    if status == StatusCode::OK {
        assert!(
            method == Method::GET && path == "/_auth/signed-out",
            "200 for {method} {path}: {text}"
        );
    }
});
