"""Exactly-once tags: a stable reference, derived from the job, on what a write creates in Odoo.

The partner-facing write and every later attempt of its outbox job share one
reference (the job id, made before the first attempt). Services put it on the
records they create (sale.order ``origin``) in the same Odoo call that creates
them, and, when `look_first` is set (a job's attempt: an earlier one may have
succeeded before its worker died), search for it before creating again.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Tag:
    reference: str
    look_first: bool

    def for_item(self, index: int | None) -> str:
        """The reference of one record of the write (batch items get their index)."""
        return self.reference if index is None else f"{self.reference}:{index}"


_tag: ContextVar[Tag | None] = ContextVar("smn_outbox_tag", default=None)


def reference_for(job_id: str) -> str:
    return f"smn:job:{job_id}"


def current_tag() -> Tag | None:
    return _tag.get()


@contextmanager
def tagging(job_id: str, *, look_first: bool) -> Iterator[Tag]:
    tag = Tag(reference_for(job_id), look_first)
    token = _tag.set(tag)
    try:
        yield tag
    finally:
        _tag.reset(token)
