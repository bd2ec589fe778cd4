//! JWT parsing before verification (`gate::id_token::verify`): segments, base64url, the header
//! JSON (alg, kid, crit), the key lookup and the RS256 check, with a static key source. No input
//! may panic, and none may verify (the fuzzer does not hold the private key).
#![no_main]

use gate::id_token::verify;
use gate_fuzz::{NOW, StaticKeys, block_on, expectations};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static KEYS: StaticKeys = StaticKeys::new();
}

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let expected = expectations();
    let verified = KEYS.with(|keys| block_on(verify(&token, keys, &expected, NOW)));
    assert!(verified.is_err(), "a forged token verified: {token:?}");
});
