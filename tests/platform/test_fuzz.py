"""The whole API fuzzed from its own OpenAPI document: no 5xx, every answer as documented.

Anonymous callers fuzz the public operations (the others answer 401 before anything else); each kind
of signed-in caller, with a scope that lets it past the role checks of its own operations, fuzzes
every operation, so both the gateway's validation and the services behind it see generated input.
"""
import uuid

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from common.auth import ADMIN, COORDINATOR, MIO_OFFICER, OPERATOR, REGISTRAR, STUDENT

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PUBLIC_EXAMPLES = 25
EXAMPLES_PER_CALLER = 5


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
    callers = [platform.auth(STUDENT, region="KZ-71", university_id=uuid.uuid4().hex),
               platform.auth(COORDINATOR, region="KZ-71", organisation_id=uuid.uuid4().hex, site_id=uuid.uuid4().hex),
               platform.auth(MIO_OFFICER, region="KZ-71"), platform.auth(OPERATOR),
               platform.auth(REGISTRAR, university_id=uuid.uuid4().hex), platform.auth(ADMIN)]
    examples = fuzz(platform, public, {}, PUBLIC_EXAMPLES)
    for headers in callers:
        examples += fuzz(platform, operations, headers, EXAMPLES_PER_CALLER)
    print(f"fuzzed {len(operations)} operations as {len(callers)} kinds of user and {len(public)} public ones "
          f"anonymously: up to {examples} generated requests")
