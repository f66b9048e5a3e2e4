"""Fuzzing the HTTP API from its own OpenAPI document (schemathesis): whatever is sent, valid or
not, with a token or without one, the answer is never a 5xx.

Every operation of /openapi.json is exercised in schemathesis's phases (the document's
examples, coverage of boundary and invalid values, then generated cases in positive and
negative mode), first with an admin token so that the write path (POST /api/events) records
and rejects events, then without a token. Derandomized, with a bounded number of examples per
operation, so that the run is repeatable in CI and takes well under a minute and a half.
SQLite is enough here: the bad inputs of test_api_bad_input.py run on both stores.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tuoyu.service.config import Settings
from tuoyu.service.http.app import create_app
from tuoyu.service.tokens import create_token
from tuoyu.service.wiring import open_platform

pytestmark = pytest.mark.slow

# Per operation, and per pass; the POST /api/events bodies are large, so a few dozen suffice.
MAX_EXAMPLES = 60

fuzz_settings = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same cases on every run: a failure in CI is a failure locally
    database=None,  # and no example database carrying cases from one run into the next
    deadline=None,
    suppress_health_check=list(HealthCheck),  # large generated bodies are slow to build: that is fine
)


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory: pytest.TempPathFactory):
    """The app on a fresh SQLite store, its schema (loading it starts the app's lifespan, as
    a server would), and an admin token."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    platform = open_platform(Settings(data_dir=data_dir, store=f"sqlite:///{data_dir / 'tuoyu.db'}"))
    token = create_token(platform.tokens, "admin")[1]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(platform))
    yield schema, token
    # schemathesis keeps a started lifespan until the process exits: end it (platform.stop).
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()
    platform.stop()


@pytest.fixture(scope="module")
def api_schema(fuzzed_api):
    return fuzzed_api[0]


@pytest.fixture(scope="module")
def admin_headers(fuzzed_api) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzzed_api[1]}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@fuzz_settings
def test_no_request_with_an_admin_token_gets_a_5xx(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])


@schema.parametrize()
@fuzz_settings
def test_no_request_without_a_valid_token_gets_a_5xx(case):
    # schemathesis sends no Authorization header, or ones it makes up: 401, never a 5xx.
    case.call_and_validate(checks=[not_a_server_error])
