"""smn.resources.auth: whoami writes the token's times (epoch claims) as UTC with `Z`."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.auth.helpers import unb64url
from tests.fixtures.auth import bearer


def test_whoami_token_times_are_the_claims_in_utc_with_z(client, make_client, token_for):
    token = token_for(make_client(["products:read"]))
    claims = json.loads(unb64url(token.split(".")[1]))
    times = client.simulate_get("/v1/auth/whoami", headers=bearer(token)).json["token"]
    for name, claim in (("issued_at", "iat"), ("expires_at", "exp")):
        expected = datetime.fromtimestamp(claims[claim], tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert times[name] == expected
