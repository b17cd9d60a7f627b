#!/usr/bin/env python3
"""Checks the Data Integrity proof (eddsa-rdfc-2022) of a Cairn badge's JSON form the way an
outsider with standard tools would: pyld canonicalizes the credential and the proof
options (RDFC-1.0, with the published contexts in Tests/Fixtures/jsonld-contexts), and
Python's `cryptography` checks the Ed25519 signature with the key the issuer's DID
document publishes. Nothing from Cairn's code is used.
Usage: verify_di_with_python.py BADGE.json DID.json"""
import hashlib
import json
import pathlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(text):
    number = 0
    for character in text:
        number = number * 58 + ALPHABET.index(character)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


root = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/jsonld-contexts"
contexts = {
    "https://www.w3.org/ns/credentials/v2": json.loads((root / "credentials-v2.jsonld").read_text()),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": json.loads((root / "ob-context-3.0.3.json").read_text()),
}


def loader(url, options=None):
    if url not in contexts:
        raise ValueError(f"context {url} is not one of the published copies")
    return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}


jsonld.set_document_loader(loader)


def canonical(document):
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads"})


credential = json.load(open(sys.argv[1]))
did = json.load(open(sys.argv[2]))
proof = credential.pop("proof")
assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022", proof
method = next(m for m in did["verificationMethod"] if m["id"] == proof["verificationMethod"])
multikey = base58(method["publicKeyMultibase"][1:])
assert multikey[:2] == b"\xed\x01", "not an Ed25519 Multikey"
options = {key: value for key, value in proof.items() if key != "proofValue"}
options["@context"] = credential["@context"]
data = hashlib.sha256(canonical(options).encode()).digest() + hashlib.sha256(canonical(credential).encode()).digest()
try:
    Ed25519PublicKey.from_public_bytes(multikey[2:]).verify(base58(proof["proofValue"][1:]), data)
except InvalidSignature:
    print("the Data Integrity proof does not verify (pyld + cryptography)")
    sys.exit(1)
print(f"Data Integrity proof verifies (pyld RDFC-1.0 + cryptography Ed25519) with {proof['verificationMethod']}")
