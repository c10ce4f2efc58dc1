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


def test_admin_problem_is_the_one_mapping_of_expected_failures():
    from smn.admin.ops import NotFound
    from smn.admin.web import admin_problem

    missing = admin_problem(NotFound("job 7 is not failed"))
    assert missing.status_code == 404 and "job 7 is not failed" in missing.description
    assert admin_problem(KeyError("other lookup")).status_code == 404
    assert admin_problem(RuntimeError("a bug")) is None
