"""The admin's rendering helpers."""
from __future__ import annotations

import os

from smn.admin.web import environment


def test_templates_are_not_stat_on_every_render(monkeypatch):
    env = environment()
    first = env.get_template("login.html")

    def refuse(path: str) -> float:
        raise AssertionError(f"stat of {path} on a render")

    monkeypatch.setattr(os.path, "getmtime", refuse)
    assert env.get_template("login.html") is first
