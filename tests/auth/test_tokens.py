"""TokenVerifier's one bounded map of tokens: each signature checked once, admissions redone from it."""
from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Mapping

import jwt
import pytest

from smn.auth.tokens import TokenRejected, TokenVerifier
from tests.auth.helpers import claims_for, jti_of, sign


@pytest.fixture()
def acme(make_client):
    return make_client(["products:read"])


@pytest.fixture()
def signatures(monkeypatch) -> list[str]:
    """Every signature check from now on: the token checked, in order."""
    checked: list[str] = []
    original = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda token, *a, **k: checked.append(token) or original(token, *a, **k))
    return checked


def _tokens(auth, settings, client_id: str, count: int) -> list[str]:
    return [sign(auth, claims_for(settings, client_id, scope="products:read")) for _ in range(count)]


def _token_maps(verifier: TokenVerifier) -> list[Mapping]:
    """Every mapping the verifier holds, directly or one object down (where a cache class keeps its data)."""
    maps = []
    for value in vars(verifier).values():
        if isinstance(value, Mapping):
            maps.append(value)
        elif hasattr(value, "__dict__"):
            maps += [inner for inner in vars(value).values() if isinstance(inner, Mapping)]
    return maps


def _places(verifier: TokenVerifier, token: str) -> int:
    return sum(token in held for held in _token_maps(verifier))


def test_a_token_is_verified_once_then_readmitted_from_memory(isolated_app, settings, acme, signatures):
    _, auth = isolated_app()
    verifier = auth.verifier
    token, = _tokens(auth, settings, acme.client_id, 1)
    assert verifier.verify(token).token.jti == jti_of(token)
    assert signatures == [token]
    for _ in range(5):
        verifier.verify(token)
    assert signatures == [token]
    generation = auth.state.generation
    auth.state.add_revoked("some-other-token-00001", time.time() + 60)
    assert auth.state.generation == generation + 1
    admitted = []
    original = verifier.admit
    verifier.admit = lambda *a: admitted.append(1) or original(*a)
    assert verifier.verify(token).client_id == acme.client_id
    assert admitted == [1] and signatures == [token]
    assert _places(verifier, token) == 1 and verifier.cached() == 1


@pytest.mark.parametrize("refusal", ["revoke", "disable"])
def test_a_refused_token_is_not_verified_again(isolated_app, smn_auth, acme, token_for, signatures, refusal):
    _, auth = isolated_app()
    verifier = auth.verifier
    token = token_for(acme)  # issued and recorded, so that it can be revoked
    signatures.clear()
    if refusal == "revoke":
        smn_auth.service.revoke_token(jti_of(token), "pytest", "pytest")
    else:
        smn_auth.service.disable_client(acme.client_id)
    assert auth.state.sync()
    for _ in range(2):
        with pytest.raises(TokenRejected) as refused:
            verifier.verify(token)
        assert refused.value.reason == {"revoke": "revoked", "disable": "client_disabled"}[refusal]
    assert signatures == [token]
    assert _places(verifier, token) == 1


def test_the_map_is_bounded_and_is_the_only_place_tokens_are_kept(isolated_app, settings, acme, signatures):
    _, auth = isolated_app(auth_cache_size=2)
    verifier = auth.verifier
    first, second, third = _tokens(auth, settings, acme.client_id, 3)
    for token in (first, second, third):
        verifier.verify(token)
    assert verifier.cached() == 2
    assert sum(_places(verifier, token) for token in (first, second, third)) == 2
    assert [_places(verifier, token) for token in (first, second, third)] == [0, 1, 1]
    signatures.clear()
    verifier.verify(second)
    verifier.verify(third)
    assert signatures == []
    verifier.verify(first)
    assert signatures == [first] and verifier.cached() == 2


def test_size_zero_keeps_nothing(isolated_app, settings, acme, signatures):
    _, auth = isolated_app(auth_cache_size=0)
    verifier = auth.verifier
    token, = _tokens(auth, settings, acme.client_id, 1)
    for _ in range(3):
        assert verifier.verify(token).token.jti == jti_of(token)
    assert verifier.decode(token).jti == jti_of(token)
    assert signatures == [token] * 4
    assert verifier.cached() == 0 and _places(verifier, token) == 0


def test_concurrent_misses_evict_safely_and_admit_the_right_token(isolated_app, settings, acme):
    """8 threads (gunicorn gthread) on many more tokens than the map holds, the view moving meanwhile."""
    _, auth = isolated_app(auth_cache_size=8)
    verifier = auth.verifier
    tokens = _tokens(auth, settings, acme.client_id, 64)
    expected = {token: jti_of(token) for token in tokens}
    decoded = {token: verifier._decode_uncached(token) for token in tokens}
    verifier._decode_uncached = decoded.__getitem__  # signatures checked once: the threads race on the map only
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for step in range(2000):
                token = rng.choice(tokens)
                assert verifier.verify(token).token.jti == expected[token]
                assert verifier.decode(token).jti == expected[token]
                if step % 200 == 0:
                    auth.state.add_revoked(f"moves-the-view-{seed:02d}{step:04d}", time.time() + 60)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: interleave the inserts
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert verifier.cached() <= 8
