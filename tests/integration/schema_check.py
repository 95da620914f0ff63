#!/usr/bin/env python3
"""Validate NDJSON lines against a feedwatch JSON Schema (Draft 2020-12).

usage: schema_check.py SCHEMA FILE...    (FILE '-' reads stdin)

SCHEMA is pipeline/alert/alert.schema.json (native lines) or
alert-ecs.schema.json (output.format: ecs). Prints FILE:LINE: problem for each
line that is not one JSON object the schema accepts (blank lines included) and
exits 1 if there was any, 0 otherwise.

Other tests import it:

    from schema_check import validate_lines
    problems = validate_lines(schema_path, lines)   # [(line number, problem)]
"""

import json
import sys

import jsonschema

_validators = {}


def _validator(schema_path):
    v = _validators.get(schema_path)
    if v is None:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        _validators[schema_path] = v
    return v


def _describe(err):
    where = "/".join(str(p) for p in err.absolute_path)
    return "%s%s" % (err.message, " at " + where if where else "")


def _branch_errors(v, doc):
    """A line the oneOf refuses is judged by the branch its shape names (hello, gap,
    notice, else alert), so the problem reads "'to' is a required property" rather
    than "not valid under any of the given schemas"."""
    defs = v.schema.get("$defs", {})
    name = "alert"
    if isinstance(doc, dict):
        for k in ("hello", "gap", "notice"):
            if k in doc:
                name = k
    if name not in defs:
        return []
    return sorted(v.evolve(schema=defs[name]).iter_errors(doc), key=lambda e: list(e.path))


def validate_lines(schema_path, lines):
    """Check each line (str or bytes, one JSON object, a trailing newline allowed).

    Returns a list of (line number from 1, problem), empty when every line is valid.
    """
    v = _validator(schema_path)
    problems = []
    for i, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append((i, "not UTF-8: %s" % e))
                continue
        line = line.rstrip("\n")
        try:
            doc = json.loads(line)
        except ValueError as e:
            problems.append((i, "not JSON: %s" % e))
            continue
        errors = list(v.iter_errors(doc))
        if errors:
            errors = _branch_errors(v, doc) or errors
        for err in errors:
            problems.append((i, _describe(err)))
    return problems


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    schema_path = argv[1]
    bad = 0
    for name in argv[2:]:
        if name == "-":
            lines = sys.stdin.buffer.read().splitlines()
        else:
            with open(name, "rb") as f:
                lines = f.read().splitlines()
        for lineno, problem in validate_lines(schema_path, lines):
            print("%s:%d: %s" % (name, lineno, problem))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
