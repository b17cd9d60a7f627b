#!/usr/bin/env python3
"""Validates Open Badges credentials against 1EdTech's official AchievementCredential JSON
Schema (Tests/Fixtures/openbadges; SOURCE.md there says where it comes from and the one
VC 2.0 renaming applied here). Each argument is a credential's JSON file or a folder of
them; every one must validate, and there must be at least one.
Usage: validate_credentials.py PATH..."""
import json
import pathlib
import sys

import jsonschema

root = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((root / "Tests/Fixtures/openbadges/ob_v3p0_achievementcredential_schema.json").read_text())

# VC Data Model 2.0 names for the VC 1.1 date properties (Open Badges 3.0.3).
renamed = []
for old, new in (("issuanceDate", "validFrom"), ("expirationDate", "validUntil")):
    if old in schema["properties"]:
        schema["properties"][new] = schema["properties"].pop(old)
        schema["required"] = [new if name == old else name for name in schema["required"]]
        renamed.append(f"{old} -> {new}")
if renamed:
    print("schema adapted to VC 2.0 names: " + ", ".join(renamed))

validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

files = []
for argument in sys.argv[1:]:
    path = pathlib.Path(argument)
    files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
if not files:
    print("no credentials to validate")
    sys.exit(1)

failed = 0
for path in files:
    credential = json.loads(path.read_text())
    errors = sorted(validator.iter_errors(credential), key=lambda error: list(error.absolute_path))
    contexts = credential.get("@context", [])[:2]
    if contexts != ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]:
        errors.append(jsonschema.ValidationError(f"@context must start with the VC 2.0 and OB 3.0.3 contexts, not {contexts}"))
    if errors:
        failed += 1
        print(f"{path.name}: INVALID")
        for error in errors:
            print(f"  {'/'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message}")
print(f"{len(files) - failed} of {len(files)} credentials valid against the official Open Badges 3.0 schema")
sys.exit(1 if failed else 0)
