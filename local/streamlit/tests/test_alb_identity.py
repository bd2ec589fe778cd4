"""Tests of the ALB `x-amzn-oidc-data` verifier against tokens built here with a key made per run."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest
from alb_token_factory import KID, SIGNER, make_token, public_pem
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import alb_identity
from alb_identity import (
    AmbiguousIdentity,
    BadSignature,
    ConfigurationError,
    IdentityError,
    InvalidKeyId,
    KeyFetchError,
    MalformedToken,
    MissingIdentity,
    SignerMismatch,
    TokenExpired,
    UnsupportedAlgorithm,
    verify_alb_identity,
)

# The name length makes both JSON segments need base64 padding (checked below).
ALICE = {
    "sub": "110169484474386276334",
    "email": "alice@example.com",
    "email_verified": True,
    "hd": "example.com",
    "name": "Alice Example",
}


def headers_with(token: str) -> dict[str, str]:
    return {"X-Amzn-Oidc-Data": token, "Host": "app.example.com"}


def verify(token: str, key_server, **kwargs):
    kwargs.setdefault("key_url_template", key_server.url_template)
    kwargs.setdefault("expected_signer_arn", SIGNER)
    return verify_alb_identity(headers_with(token), **kwargs)


def test_padded_token_as_alb_sends_it_is_accepted(alb_key, key_server):
    token = make_token(alb_key, ALICE)
    header_b64, payload_b64, _ = token.split(".")
    assert header_b64.endswith("=") or payload_b64.endswith("="), "fixture must exercise padding"

    identity = verify(token, key_server)

    assert identity.email == "alice@example.com"
    assert identity.sub == ALICE["sub"]
    assert identity.hd == "example.com"
    assert identity.name == "Alice Example"
    assert identity.signer == SIGNER
    assert key_server.requests_seen == [f"/{KID}"]


def test_unpadded_token_is_accepted(alb_key, key_server):
    token = make_token(alb_key, ALICE, padded=False)
    assert "=" not in token

    assert verify(token, key_server).email == "alice@example.com"


def test_stripping_padding_after_signing_breaks_the_signature(alb_key, key_server):
    # ALB signs the padded segments; a verifier that re-encodes without padding would fail.
    token = make_token(alb_key, ALICE)
    header_b64, payload_b64, sig_b64 = token.split(".")
    stripped = f"{header_b64.rstrip('=')}.{payload_b64.rstrip('=')}.{sig_b64}"
    assert stripped != token

    with pytest.raises(BadSignature):
        verify(stripped, key_server)


def test_account_without_hd_has_no_domain(alb_key, key_server):
    claims = {"sub": "42", "email": "carol@contractor.io", "email_verified": True}

    identity = verify(make_token(alb_key, claims), key_server)

    assert identity.hd is None
    assert identity.name is None


def test_wrong_signer_is_rejected(alb_key, key_server):
    token = make_token(alb_key, ALICE, signer=SIGNER.replace("test-alb", "other-alb"))

    with pytest.raises(SignerMismatch, match="other-alb"):
        verify(token, key_server)


def test_signer_is_not_checked_when_no_arn_is_expected(alb_key, key_server):
    token = make_token(alb_key, ALICE, signer="arn:aws:elasticloadbalancing:x:1:loadbalancer/app/any/1")

    assert verify(token, key_server, expected_signer_arn=None).email == "alice@example.com"


def test_expired_token_is_rejected(alb_key, key_server):
    token = make_token(alb_key, ALICE, exp=time.time() - 3600)

    with pytest.raises(TokenExpired):
        verify(token, key_server)


def test_expiry_uses_the_given_clock_with_skew_allowance(alb_key, key_server):
    exp = 1_700_000_000
    token = make_token(alb_key, ALICE, exp=exp)

    assert verify(token, key_server, now=exp + alb_identity.CLOCK_SKEW_SECONDS).email
    with pytest.raises(TokenExpired):
        verify(token, key_server, now=exp + alb_identity.CLOCK_SKEW_SECONDS + 1)


def test_missing_exp_is_rejected(alb_key, key_server):
    token = make_token(alb_key, ALICE, extra_header={"exp": None})

    with pytest.raises(MalformedToken, match="exp"):
        verify(token, key_server)


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES384", "none", "es256"])
def test_algorithms_other_than_es256_are_rejected_before_any_key_fetch(alb_key, key_server, alg):
    token = make_token(alb_key, ALICE, alg=alg)

    with pytest.raises(UnsupportedAlgorithm, match="ES256"):
        verify(token, key_server)
    assert key_server.requests_seen == []


def test_tampered_payload_is_rejected(alb_key, key_server):
    token = make_token(alb_key, ALICE)
    header_b64, _, sig_b64 = token.split(".")
    forged = dict(ALICE, email="mallory@example.com")
    forged_b64 = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()

    with pytest.raises(BadSignature):
        verify(f"{header_b64}.{forged_b64}.{sig_b64}", key_server)


def test_token_signed_by_another_key_is_rejected(key_server):
    other_key = ec.generate_private_key(ec.SECP256R1())

    with pytest.raises(BadSignature):
        verify(make_token(other_key, ALICE), key_server)


def test_der_encoded_signature_is_rejected(alb_key, key_server):
    token = make_token(alb_key, ALICE)
    signed = token.rsplit(".", 1)[0]
    der = alb_key.sign(signed.encode(), ec.ECDSA(hashes.SHA256()))

    with pytest.raises(MalformedToken, match="64"):
        verify(f"{signed}.{base64.urlsafe_b64encode(der).decode()}", key_server)


@pytest.mark.parametrize("kid", ["../etc/passwd", "a/b", "..", "k..id", "", "a b", "x?y=1", "%2e%2e", 7, None])
def test_unsafe_kid_never_reaches_a_url(alb_key, key_server, kid):
    token = make_token(alb_key, ALICE, kid=kid)

    with pytest.raises(InvalidKeyId):
        verify(token, key_server)
    assert key_server.requests_seen == []


def test_unknown_kid_is_a_key_fetch_error(alb_key, key_server):
    token = make_token(alb_key, ALICE, kid="no-such-key")

    with pytest.raises(KeyFetchError, match="HTTP 404"):
        verify(token, key_server)


def test_unreachable_key_service_is_a_key_fetch_error(alb_key):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    alb_identity.clear_key_cache()

    with pytest.raises(KeyFetchError, match="cannot fetch"):
        verify_alb_identity(
            headers_with(make_token(alb_key, ALICE)),
            key_url_template=f"http://127.0.0.1:{dead_port}/{{kid}}",
        )


def test_key_that_is_not_pem_is_a_key_fetch_error(alb_key, key_server):
    key_server.keys[KID] = b"<html>not a key</html>"

    with pytest.raises(KeyFetchError, match="PEM"):
        verify(make_token(alb_key, ALICE), key_server)


def test_rsa_or_other_curve_key_is_a_key_fetch_error(alb_key, key_server):
    key_server.keys[KID] = public_pem(ec.generate_private_key(ec.SECP384R1()))

    with pytest.raises(KeyFetchError, match="P-256"):
        verify(make_token(alb_key, ALICE), key_server)


def test_public_key_is_fetched_once_per_kid(alb_key, key_server):
    verify(make_token(alb_key, ALICE), key_server)
    verify(make_token(alb_key, dict(ALICE, name="Alice Again")), key_server)

    assert key_server.requests_seen == [f"/{KID}"]


def test_failed_fetch_is_not_cached(alb_key, key_server):
    pem = key_server.keys.pop(KID)
    with pytest.raises(KeyFetchError):
        verify(make_token(alb_key, ALICE), key_server)
    key_server.keys[KID] = pem

    assert verify(make_token(alb_key, ALICE), key_server).email == "alice@example.com"


def test_missing_header_is_reported(key_server):
    with pytest.raises(MissingIdentity):
        verify_alb_identity({"Host": "x"}, key_url_template=key_server.url_template)


def test_header_name_is_case_insensitive(alb_key, key_server):
    headers = {"x-amzn-oidc-data": make_token(alb_key, ALICE)}

    assert verify_alb_identity(headers, key_url_template=key_server.url_template).email


def test_repeated_header_is_refused(alb_key, key_server):
    class RepeatedHeaders(dict):
        def get_all(self, name):
            return [self["X-Amzn-Oidc-Data"], "forged"] if name.lower() == "x-amzn-oidc-data" else []

    headers = RepeatedHeaders({"X-Amzn-Oidc-Data": make_token(alb_key, ALICE)})

    with pytest.raises(AmbiguousIdentity):
        verify_alb_identity(headers, key_url_template=key_server.url_template)


@pytest.mark.parametrize(
    "value",
    ["a.b", "a.b.c.d", "!!!.e30=.AAAA", "e30.e30.A", "W10=.e30=.AAAA", "bm90IGpzb24=.e30=.AAAA"],
)
def test_malformed_tokens_raise_identity_errors(key_server, value):
    with pytest.raises(IdentityError):
        verify(value, key_server)


def test_missing_email_claim_is_rejected(alb_key, key_server):
    token = make_token(alb_key, {"sub": "1"})

    with pytest.raises(MalformedToken, match="email"):
        verify(token, key_server)


def test_region_selects_the_aws_key_service():
    assert (
        alb_identity.key_url(KID, region="eu-west-1")
        == f"https://public-keys.auth.elb.eu-west-1.amazonaws.com/{KID}"
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"region": "eu-west-1/../x"}, {"key_url_template": "http://127.0.0.1:1/no-placeholder"}],
)
def test_unusable_key_location_is_a_configuration_error(kwargs):
    with pytest.raises(ConfigurationError):
        alb_identity.key_url(KID, **kwargs)
