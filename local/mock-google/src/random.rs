//! Random identifiers for codes, tokens and key ids.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Not input-dependent: only a broken OS RNG fails here, and guessable codes would be worse.
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the system random number generator works");
    buf
}

/// `2 * N` hex digits.
pub(crate) fn hex<const N: usize>() -> String {
    bytes::<N>().iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes, base64url: unguessable opaque values.
pub(crate) fn token() -> String {
    testkit::b64url(&bytes::<32>())
}
