"""Accept and If-None-Match, as every endpoint reads them (smn.representation)."""
from __future__ import annotations

import pytest
from falcon import testing

from smn.representation import not_modified, wants_ndjson


@pytest.mark.parametrize("accept, ndjson", [
    (None, False),
    ("*/*", False),
    ("application/json", False),
    ("application/x-ndjson", True),
    ("application/x-ndjson, application/json;q=0.5", True),
    ("application/json, application/x-ndjson;q=0.5", False),
    ("text/html, */*;q=0.1", False),
])
def test_ndjson_only_when_preferred_to_json(accept, ndjson):
    headers = {"Accept": accept} if accept else {}
    assert wants_ndjson(testing.create_req(headers=headers)) is ndjson


@pytest.mark.parametrize("if_none_match, modified", [
    (None, True),
    ('"abc"', False),
    ('"xyz", "abc"', False),
    ("*", False),
    ('"xyz"', True),
])
def test_if_none_match_names_the_etag_or_star(if_none_match, modified):
    headers = {"If-None-Match": if_none_match} if if_none_match else {}
    assert not_modified(testing.create_req(headers=headers), "abc") is not modified
