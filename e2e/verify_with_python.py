#!/usr/bin/env python3
"""Checks a Cairn badge the way an outsider with standard tools would: the VC-JWT's ES256
signature against the issuer's published JWK, with Python's `cryptography` (OpenSSL), and
nothing from Cairn. With --status it also reads the credential's status list (and the
suspension list beside it) over HTTP, checks each list's signature with the same key,
unzips it and reads the credential's bit: exit status 2 when revoked or suspended.
Usage: verify_with_python.py BADGE.jwt KEY.json [--status]"""
import base64
import gzip
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_payload(token, key):
    """The JWS payload as JSON, or None when the ES256 signature does not match."""
    header, payload, signature = token.strip().split(".")
    assert json.loads(b64url(header))["alg"] == "ES256"
    raw = b64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return None
    return json.loads(b64url(payload))


def bit(list_url, purpose, index, key):
    """The credential's bit in the signed Bitstring Status List at list_url."""
    with urllib.request.urlopen(list_url, timeout=10) as response:
        status_list = verified_payload(response.read().decode(), key)
    if status_list is None:
        print(f"the status list at {list_url} is not signed with the published key")
        sys.exit(1)
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == purpose, f"{list_url} is a {subject['statusPurpose']} list"
    encoded = subject["encodedList"]
    assert encoded.startswith("u"), "encodedList must be multibase base64url ('u')"
    bits = gzip.decompress(b64url(encoded[1:]))
    return bits[index // 8] >> (7 - index % 8) & 1 == 1


jwk = json.load(open(sys.argv[2]))
key = ec.EllipticCurvePublicNumbers(
    int.from_bytes(b64url(jwk["x"]), "big"), int.from_bytes(b64url(jwk["y"]), "big"), ec.SECP256R1()
).public_key()
credential = verified_payload(open(sys.argv[1]).read(), key)
if credential is None:
    print("signature does not verify with the published key")
    sys.exit(1)
print(f"signature verifies with the published key (python cryptography): {credential['name']}, issued by {credential['issuer']['name']}")
if "--status" in sys.argv[3:]:
    entry = credential["credentialStatus"]
    index = int(entry["statusListIndex"])
    if bit(entry["statusListCredential"], entry["statusPurpose"], index, key):
        print(f"status: {entry['statusPurpose']} bit {index} is set")
        sys.exit(2)
    suspension = entry["statusListCredential"].removesuffix("/status/revocation") + "/status/suspension"
    if suspension != entry["statusListCredential"] and bit(suspension, "suspension", index, key):
        print(f"status: suspension bit {index} is set")
        sys.exit(2)
    print(f"status: bit {index} is clear in the revocation and suspension lists")
