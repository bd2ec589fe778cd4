"""Builds ALB-style `x-amzn-oidc-data` tokens for tests (padded base64url, raw r||s ES256)."""

from __future__ import annotations

import base64
import json
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SIGNER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188"
KID = "8f6c1c3e-5d1a-4f7e-9a5b-2a4c6e8d0b1f"


def b64url(data: bytes, *, padded: bool) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if padded else text.rstrip("=")


def make_token(
    key: ec.EllipticCurvePrivateKey,
    claims: dict,
    *,
    kid: str = KID,
    signer: str = SIGNER,
    alg: str = "ES256",
    exp: float | None = None,
    padded: bool = True,
    extra_header: dict | None = None,
) -> str:
    """Build an `x-amzn-oidc-data` value like ALB does: padded segments, raw r||s signature."""
    header = {
        "alg": alg,
        "kid": kid,
        "signer": signer,
        "iss": "https://accounts.google.com",
        "client": "local-demo-client.apps.googleusercontent.com",
        "exp": int(time.time() + 120 if exp is None else exp),
    }
    header.update(extra_header or {})
    signed = ".".join(
        [
            b64url(json.dumps(header).encode(), padded=padded),
            b64url(json.dumps(claims).encode(), padded=padded),
        ]
    )
    der = key.sign(signed.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signed}.{b64url(raw, padded=padded)}"


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
