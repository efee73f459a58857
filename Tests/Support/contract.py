#!/usr/bin/env python3
"""The OpenAPI contract (Sources/Torrus/API/openapi.json), checked.

  contract.py validate          the document is valid OpenAPI 3.1 (openapi-spec-validator)
  contract.py check DIR [--at-least N]
                                every exchange the tests recorded in DIR (TORRUS_CONTRACT_LOG,
                                one JSON line each: method, uri, status, headers, body) is one the
                                document allows: a documented path, method and status, the
                                documented content type, required headers present and valid, and
                                the body valid against the response schema (JSON Schema 2020-12);
                                fewer than N exchanges (default 0) is a failure too: the recording broke.

What the document says in its description of every path, checked here as rules: HEAD answers as
GET does (without a body), OPTIONS is 204 with Allow, any other undocumented method is 405 with
Allow and a problem, and an undocumented path is 404 with a problem.
"""
import json
import os
import re
import sys
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = os.path.join(ROOT, "Sources", "Torrus", "API", "openapi.json")
METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
BASE = "urn:torrus:openapi"


def load():
    with open(DOCUMENT, encoding="utf-8") as f:
        return json.load(f)


def validate_document():
    from openapi_spec_validator import validate

    validate(load())
    print(f"contract: {os.path.relpath(DOCUMENT, ROOT)} is valid OpenAPI {load()['openapi']}")


def pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    def __init__(self, doc):
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.doc = doc
        self.jsonschema = jsonschema
        self.registry = Registry().with_resource(BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
        self.validators = {}
        # Literal paths first, then templates with fewer parameters: /v1/downloads/pause before /v1/downloads/{id}.
        self.paths = []
        for template in doc["paths"]:
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.paths.append((template.count("{"), template, re.compile(regex)))
        self.paths.sort(key=lambda entry: entry[0])

    def resolve(self, node, location):
        """Follows a local $ref; returns the node and its JSON pointer."""
        while isinstance(node, dict) and "$ref" in node:
            location = node["$ref"]
            node = self.doc
            for part in location[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, location

    def errors(self, location, instance):
        validator = self.validators.get(location)
        if validator is None:
            schema = {"$ref": BASE + location}
            cls = self.jsonschema.Draft202012Validator
            validator = cls(schema, registry=self.registry, format_checker=cls.FORMAT_CHECKER)
            self.validators[location] = validator
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message[:300]}"
            for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
        ]

    def template(self, path):
        for _, template, regex in self.paths:
            if regex.match(path):
                return template
        return None

    def check(self, record):
        """The violations of one exchange (empty: it is one the document allows)."""
        method = record["method"].lower()
        path = urlsplit(record["uri"]).path
        status = str(record["status"])
        headers = {name.lower(): value for name, value in record.get("headers", {}).items()}
        template = self.template(path)
        if template is None:
            if status != "404":
                return [f"undocumented path answered {status} (an unknown path must be 404)"]
            return self.problem(record, headers)
        item = self.doc["paths"][template]
        if method == "options":
            return [] if status == "204" and "allow" in headers else [f"OPTIONS answered {status} (expected 204 with Allow)"]
        body_expected = True
        if method == "head" and "head" not in item:
            method, body_expected = "get", False
        if method not in item:
            if status != "405" or "allow" not in headers:
                return [f"{record['method']} is not documented on {template}; answered {status} (expected 405 with Allow)"]
            return self.problem(record, headers, body_expected)
        operation = item[method]
        responses = operation["responses"]
        if status not in responses:
            return [f"status {status} is not documented for {method.upper()} {template} (documented: {', '.join(responses)})"]
        location = pointer("paths", template, method, "responses", status)
        response, location = self.resolve(responses[status], location)
        violations = []
        for name, header in response.get("headers", {}).items():
            header, header_location = self.resolve(header, f"{location}/headers/{name}")
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    violations.append(f"header {name} is missing")
                continue
            if "schema" in header:
                violations += [f"header {name}: {e}" for e in self.errors(f"{header_location}/schema", value)]
        content = response.get("content")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        length = record.get("bodyLength", 0)
        if not content:
            if length:
                violations.append(f"a body ({length} bytes, {media or 'no content type'}) where none is documented")
            return violations
        if media not in content:
            return violations + [f"content type {media or '(none)'} is not documented (documented: {', '.join(content)})"]
        if not body_expected:
            if record.get("body"):
                violations.append("HEAD answer has a body")
            return violations
        schema_location = f"{location}/content/{media.replace('/', '~1')}/schema"
        body = record.get("body")
        if body is None:
            return violations  # not recorded (not JSON, or long text)
        if media.endswith("json"):
            try:
                instance = json.loads(body)
            except ValueError as error:
                return violations + [f"body is not JSON: {error}"]
        else:
            instance = body
        return violations + self.errors(schema_location, instance)

    def problem(self, record, headers, body_expected=True):
        media = headers.get("content-type", "").split(";")[0].strip()
        if media != "application/problem+json":
            return [f"error answered with {media or 'no content type'}, not application/problem+json"]
        if not body_expected or record["method"] == "HEAD" or record.get("body") is None:
            return []
        try:
            instance = json.loads(record["body"])
        except ValueError as error:
            return [f"problem is not JSON: {error}"]
        return self.errors(pointer("components", "schemas", "Problem"), instance)


def check(directory, at_least=0):
    contract = Contract(load())
    checked = 0
    violations = {}
    files = sorted(f for f in os.listdir(directory) if f.endswith(".jsonl"))
    for name in files:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                checked += 1
                problems = contract.check(record)
                if problems:
                    key = (record["method"], urlsplit(record["uri"]).path, record["status"], tuple(problems))
                    violations.setdefault(key, []).append(f"{name}:{number}")
    if checked < at_least:
        print(f"contract: {checked} exchanges recorded in {directory}, expected at least {at_least}", file=sys.stderr)
        return 1
    if violations:
        count = sum(len(places) for places in violations.values())
        print(f"contract: {count} of {checked} recorded responses violate {os.path.relpath(DOCUMENT, ROOT)}:", file=sys.stderr)
        for (method, path, status, problems), places in sorted(violations.items(), key=lambda kv: kv[0][:3]):
            more = f" (and {len(places) - 1} more like it)" if len(places) > 1 else ""
            print(f"- {method} {path} -> {status}{more}, first at {places[0]}", file=sys.stderr)
            for problem in problems:
                print(f"    {problem}", file=sys.stderr)
        return 1
    print(f"contract: {checked} recorded responses from {len(files)} test processes match {os.path.relpath(DOCUMENT, ROOT)}")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "validate":
        validate_document()
        return 0
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 5 and argv[1] == "check" and argv[3] == "--at-least":
        return check(argv[2], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
