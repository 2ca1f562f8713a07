"""The whole API fuzzed from its own OpenAPI document: no 5xx, every answer as documented.

Anonymous callers fuzz the public operations (the others answer 401 before anything else); each kind
of signed-in caller, with a scope that lets it past the role checks of its own operations, fuzzes
the operations its role may call, so both the gateway's validation and the services behind it see
generated input. Which role may call what is read from the authorisation matrix
(tests/security/test_authorization_matrix.py), which checks every refusal: an operation it refuses to
a role (403) is not fuzzed as that role, unless it refuses it to all of them.
"""
import uuid

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from common.auth import ADMIN, COORDINATOR, MIO_OFFICER, OPERATOR, REGISTRAR, STUDENT
from tests.security.test_authorization_matrix import CALLERS, MATRIX, parse

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PUBLIC_EXAMPLES = 25
EXAMPLES_PER_CALLER = 5
ANSWERS = parse(MATRIX)  # the authorisation matrix: each operation's answer to each kind of caller


def refused(operation, caller):
    return ANSWERS[f"{operation.method.upper()} {operation.path}"][CALLERS.index(caller)] == 403


def operations_of(operations, caller, callers):
    """The operations the matrix does not refuse to `caller` (a column of it), and those it refuses to
    all the `callers`."""
    return [operation for operation in operations
            if not refused(operation, caller) or all(refused(operation, other) for other in callers)]


def fuzz(platform, operations, headers, examples):
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(base_url=platform.base_url, headers=headers, checks=CHECKS)

        check()
    return len(operations) * examples


def test_fuzz_as_anonymous_and_as_each_kind_of_user(platform):
    schema = schemathesis.openapi.from_url(platform.base_url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    public = [operation for operation in operations if not operation.definition.raw.get("security")]
    assert len(operations) >= 80 and 6 <= len(public) < len(operations)
    callers = {  # by the matrix's columns
        "student": platform.auth(STUDENT, region="KZ-71", university_id=uuid.uuid4().hex),
        "coord": platform.auth(COORDINATOR, region="KZ-71", organisation_id=uuid.uuid4().hex,
                               site_id=uuid.uuid4().hex),
        "mio": platform.auth(MIO_OFFICER, region="KZ-71"), "operator": platform.auth(OPERATOR),
        "registrar": platform.auth(REGISTRAR, university_id=uuid.uuid4().hex), "admin": platform.auth(ADMIN)}
    examples = fuzz(platform, public, {}, PUBLIC_EXAMPLES)
    for caller, headers in callers.items():
        examples += fuzz(platform, operations_of(operations, caller, callers), headers, EXAMPLES_PER_CALLER)
    print(f"fuzzed {len(operations)} operations as {len(callers)} kinds of user, each those its role may call, "
          f"and {len(public)} public ones anonymously: up to {examples} generated requests")
