"""The whole API fuzzed from its own OpenAPI document: no 5xx, every answer as documented."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from common.auth import ADMIN, OPERATOR, STUDENT

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 25


def fuzz(platform, headers):
    schema = schemathesis.openapi.from_url(platform.base_url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(base_url=platform.base_url, headers=headers, checks=CHECKS)

        check()
    return len(operations)


def test_fuzz_as_anonymous_and_as_each_kind_of_user(platform):
    counted = 0
    for headers in ({}, platform.auth(ADMIN), platform.auth(OPERATOR),
                    platform.auth(STUDENT, region="KZ-71", university_id="u1")):
        counted += fuzz(platform, headers)
    print(f"fuzzed {counted} operation runs x up to {EXAMPLES_PER_OPERATION} examples each")
