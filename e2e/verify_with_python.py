#!/usr/bin/env python3
"""Checks a Cairn badge the way an outsider with standard tools would: the VC-JWT's ES256
signature against the issuer's published JWK, with Python's `cryptography` (OpenSSL), and
nothing from Cairn. Usage: verify_with_python.py BADGE.jwt KEY.json"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


token = open(sys.argv[1]).read().strip()
jwk = json.load(open(sys.argv[2]))
header, payload, signature = token.split(".")
assert json.loads(b64url(header))["alg"] == "ES256"
key = ec.EllipticCurvePublicNumbers(
    int.from_bytes(b64url(jwk["x"]), "big"), int.from_bytes(b64url(jwk["y"]), "big"), ec.SECP256R1()
).public_key()
raw = b64url(signature)
der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
try:
    key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
except InvalidSignature:
    print("signature does not verify with the published key")
    sys.exit(1)
credential = json.loads(b64url(payload))
print(f"signature verifies with the published key (python cryptography): {credential['name']}, issued by {credential['issuer']['name']}")
