"""Verified user identity from an AWS ALB `authenticate-oidc` action.

An ALB that signed a user in forwards the user's claims to the target in the
`x-amzn-oidc-data` header: a JWT signed by the load balancer with ES256. This
module checks that header and returns who the user is, so any Python web app
(Streamlit or not) behind the ALB can trust the identity without its own login.

It deliberately has no Streamlit dependency; pass it any mapping of request
headers (``st.context.headers`` works as is).

ALB-specific details handled here:
- the header and payload segments are base64url *with* ``=`` padding, which
  generic JWT libraries reject; unpadded segments are accepted as well;
- the signature covers the segments exactly as received (padding included) and
  is the raw 64-byte ``r || s`` form, not DER;
- the public key is a PEM document fetched by key id (``kid``) from
  ``https://public-keys.auth.elb.{region}.amazonaws.com/{kid}``;
- ``signer`` (the ALB's ARN) and ``exp`` live in the JWT *header*.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

OIDC_DATA_HEADER = "x-amzn-oidc-data"
AWS_KEY_URL_TEMPLATE = "https://public-keys.auth.elb.{region}.amazonaws.com/{kid}"
# Tolerated clock difference between the ALB and this host.
CLOCK_SKEW_SECONDS = 60
KEY_FETCH_TIMEOUT_SECONDS = 5
# A forwarded JWT far larger than ALB's 11 KB claims limit is not from an ALB.
MAX_TOKEN_BYTES = 16 * 1024

# kid goes into a URL path: allow only a plain token (ALB uses UUIDs).
_SAFE_KID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_SAFE_REGION = re.compile(r"^[a-z0-9-]{1,32}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


class IdentityError(Exception):
    """The request carries no identity that can be trusted."""


class MissingIdentity(IdentityError):
    """No `x-amzn-oidc-data` header: the request did not come through an authenticating ALB."""


class AmbiguousIdentity(IdentityError):
    """More than one `x-amzn-oidc-data` header: refuse to guess which one the ALB set."""


class MalformedToken(IdentityError):
    """The header is not a well-formed ALB JWT."""


class UnsupportedAlgorithm(IdentityError):
    """The JWT is not ES256."""


class InvalidKeyId(IdentityError):
    """The JWT's `kid` is missing or not a safe token."""


class KeyFetchError(IdentityError):
    """The ALB public key could not be fetched or parsed."""


class SignerMismatch(IdentityError):
    """The JWT was signed by another load balancer than the expected one."""


class BadSignature(IdentityError):
    """The signature does not match the header and payload."""


class TokenExpired(IdentityError):
    """The JWT's `exp` is in the past."""


class ConfigurationError(IdentityError):
    """The verifier was called without a usable key location."""


@dataclass(frozen=True)
class Identity:
    """The verified user. `hd` is the Google Workspace domain, None for other accounts."""

    email: str
    sub: str
    hd: str | None
    name: str | None
    signer: str
    expires_at: int
    claims: Mapping[str, Any] = field(repr=False, default_factory=dict)


_key_cache: dict[str, ec.EllipticCurvePublicKey] = {}
_key_cache_lock = threading.Lock()


def clear_key_cache() -> None:
    """Forget fetched public keys (tests, or after a suspected key compromise)."""
    with _key_cache_lock:
        _key_cache.clear()


def verify_alb_identity(
    headers: Mapping[str, str],
    *,
    region: str | None = None,
    expected_signer_arn: str | None = None,
    key_url_template: str | None = None,
    now: float | None = None,
) -> Identity:
    """Verify the ALB's `x-amzn-oidc-data` header and return the user it names.

    Exactly one key location is needed: `region` (the real ALB key service) or
    `key_url_template` (a URL containing ``{kid}``, e.g. a local emulator).
    Pass `expected_signer_arn` (the ALB's ARN) in production: without it any
    ALB in the region could vouch for a user. Raises an `IdentityError`
    subclass naming what is wrong.
    """
    token = _single_header(headers, OIDC_DATA_HEADER)
    if len(token) > MAX_TOKEN_BYTES:
        raise MalformedToken(f"{OIDC_DATA_HEADER} is {len(token)} bytes, above {MAX_TOKEN_BYTES}")
    segments = token.split(".")
    if len(segments) != 3:
        raise MalformedToken(f"{OIDC_DATA_HEADER} has {len(segments)} dot-separated parts, expected 3")
    header_b64, payload_b64, signature_b64 = segments
    header = _decode_json_segment(header_b64, "header")

    alg = header.get("alg")
    if alg != "ES256":
        raise UnsupportedAlgorithm(f"JWT alg is {alg!r}; only 'ES256' is accepted")
    signer = header.get("signer")
    if expected_signer_arn is not None and signer != expected_signer_arn:
        raise SignerMismatch(f"JWT signer {signer!r} is not the expected ALB {expected_signer_arn!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _SAFE_KID.match(kid) or ".." in kid:
        raise InvalidKeyId(f"JWT kid {kid!r} is not a plain key id")

    signature = _decode_b64url(signature_b64, "signature")
    if len(signature) != 64:
        raise MalformedToken(f"ES256 signature is {len(signature)} bytes, expected 64 (r||s)")
    public_key = _public_key(key_url(kid, region=region, key_url_template=key_url_template))
    signed_part = f"{header_b64}.{payload_b64}".encode("ascii")
    der_signature = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der_signature, signed_part, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadSignature("x-amzn-oidc-data signature does not verify with the ALB key") from None

    # Only now is the payload trusted enough to read.
    claims = _decode_json_segment(payload_b64, "payload")
    expires_at = _expiry(header, claims)
    current = time.time() if now is None else now
    if current > expires_at + CLOCK_SKEW_SECONDS:
        raise TokenExpired(f"x-amzn-oidc-data expired at {expires_at} (now {int(current)})")
    return Identity(
        email=_required_claim(claims, "email"),
        sub=_required_claim(claims, "sub"),
        hd=_optional_claim(claims, "hd"),
        name=_optional_claim(claims, "name"),
        signer=str(signer),
        expires_at=expires_at,
        claims=dict(claims),
    )


def key_url(kid: str, *, region: str | None = None, key_url_template: str | None = None) -> str:
    """The URL of the PEM public key for `kid` (which the caller has already checked)."""
    if key_url_template:
        if "{kid}" not in key_url_template:
            raise ConfigurationError(f"key URL template {key_url_template!r} has no '{{kid}}' placeholder")
        return key_url_template.replace("{kid}", kid)
    if region:
        if not _SAFE_REGION.match(region):
            raise ConfigurationError(f"region {region!r} is not an AWS region name")
        return AWS_KEY_URL_TEMPLATE.format(region=region, kid=kid)
    raise ConfigurationError("no key location: pass region= or key_url_template=")


def _single_header(headers: Mapping[str, str], name: str) -> str:
    # Streamlit's header mapping keeps repeated headers; refuse duplicates.
    get_all = getattr(headers, "get_all", None)
    if callable(get_all):
        values = list(get_all(name))
        if len(values) > 1:
            raise AmbiguousIdentity(f"{len(values)} {name} headers; expected exactly one")
    for key, value in headers.items():
        if key.lower() == name:
            value = value.strip()
            if value:
                return value
            break
    raise MissingIdentity(f"no {name} header: the request did not pass an authenticating ALB")


def _decode_b64url(segment: str, what: str) -> bytes:
    if not _B64URL.match(segment):
        raise MalformedToken(f"JWT {what} is not base64url")
    unpadded = segment.rstrip("=")
    if len(unpadded) % 4 == 1:
        raise MalformedToken(f"JWT {what} has an impossible base64 length")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError) as err:
        raise MalformedToken(f"JWT {what} is not base64url: {err}") from None


def _decode_json_segment(segment: str, what: str) -> dict[str, Any]:
    raw = _decode_b64url(segment, what)
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedToken(f"JWT {what} is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise MalformedToken(f"JWT {what} is not a JSON object")
    return value


def _expiry(header: Mapping[str, Any], claims: Mapping[str, Any]) -> int:
    # ALB puts exp in the JWT header; accept it in the payload too.
    exp = header.get("exp", claims.get("exp"))
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise MalformedToken(f"JWT exp {exp!r} is missing or not a number")
    return int(exp)


def _required_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedToken(f"claim {name!r} is missing or not a string")
    return value


def _optional_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _public_key(url: str) -> ec.EllipticCurvePublicKey:
    with _key_cache_lock:
        cached = _key_cache.get(url)
    if cached is not None:
        return cached
    key = _fetch_public_key(url)
    with _key_cache_lock:
        _key_cache[url] = key
    return key


def _fetch_public_key(url: str) -> ec.EllipticCurvePublicKey:
    try:
        response = requests.get(url, timeout=KEY_FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as err:
        raise KeyFetchError(f"cannot fetch ALB public key from {url}: {err}") from None
    if response.status_code != 200:
        raise KeyFetchError(f"ALB public key URL {url} answered HTTP {response.status_code}")
    try:
        key = load_pem_public_key(response.content)
    except ValueError as err:
        raise KeyFetchError(f"ALB public key from {url} is not a PEM public key: {err}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyFetchError(f"ALB public key from {url} is not a P-256 EC key")
    return key
