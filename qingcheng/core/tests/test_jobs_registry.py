"""Every periodic job is a sweep: named `<thing>_sweep`, called with the time as keyword-only `now`."""

from __future__ import annotations

import inspect

import pytest

from qingcheng.core import clock
from qingcheng.core.jobs_registry import discover, run_due


def test_every_job_is_a_sweep_with_keyword_only_now():
    jobs = discover()
    assert len(jobs) >= 10  # the jobs of core, cases, emergency, enforcement and sensing
    for name, job in jobs.items():
        assert job.func.__name__.endswith("_sweep"), name
        parameter = inspect.signature(job.func).parameters.get("now")
        assert parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.default is None, name  # callers that do not care about the time may leave it out


@pytest.mark.django_db
def test_the_loop_passes_the_business_clock_as_now(monkeypatch):
    seen = []
    jobs = discover()
    for job in jobs.values():
        monkeypatch.setattr(job, "func", lambda *, now, _name=job.name: seen.append((_name, now)))
        monkeypatch.setattr(job, "next_run", 0.0)
    instant = clock.now().replace(year=2026, month=3, day=9)
    with clock.at(instant):
        ran = run_due(now=1.0)
    assert sorted(ran) == sorted(jobs)
    assert {at for _name, at in seen} == {instant}
