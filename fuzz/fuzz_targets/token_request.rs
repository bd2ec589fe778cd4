//! Token-request parsing (`gate::token_request::parse`, any headers and body) and the token
//! endpoint behind it. Input: `METHOD PATH\nheaders\n\nbody` (see `RawRequest`). No input may
//! panic, and none may get a `200`: the static Google refuses every code, so a `200` would be a
//! bypass.
#![no_main]

use gate::token_request;
use gate_fuzz::{FuzzCallback, RawRequest, block_on, callback};
use http::StatusCode;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CALLBACK: FuzzCallback = callback();
}

fuzz_target!(|data: &[u8]| {
    let raw = RawRequest::parse(data);
    let _ = token_request::parse(&raw.headers, &raw.body);
    let Some(request) = raw.to_request() else {
        return;
    };
    let status = CALLBACK.with(|callback| block_on(callback.handle(request)).status());
    assert_ne!(status, StatusCode::OK, "token endpoint granted a token");
});
