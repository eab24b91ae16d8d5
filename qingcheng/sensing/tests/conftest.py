"""Sensing fixtures: the case-loop fixtures, the default rules, devices in the test city and the real
Mosquitto broker (tests that need it fail under CI when it is unreachable, and skip otherwise)."""

from __future__ import annotations

import os
import time
import uuid

import pytest


@pytest.fixture(autouse=True)
def _sensing_fresh(db, settings):
    from qingcheng.sensing.defaults import seed_defaults
    from qingcheng.sensing.services import forget_caches

    settings.SENSING_RULE_CACHE_SECONDS = 0
    forget_caches()
    seed_defaults()
    yield
    forget_caches()


@pytest.fixture
def broker():
    from qingcheng.sensing.mqtt import broker_reachable

    if not broker_reachable():
        message = "MQTT broker 127.0.0.1:1883 is unreachable"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return ("127.0.0.1", 1883)


@pytest.fixture
def root():
    """A unique topic root, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_device(loop):
    from qingcheng.geo.testing import cell_centre
    from qingcheng.sensing.services import device_create

    counter = iter(range(1, 10_000))

    def make(device_type="water_quality", device_id=None, cell=(0, 0)):
        n = next(counter)
        lon, lat = cell_centre(*cell)
        return device_create(
            actor=None,
            device_id=device_id or f"{device_type.upper()}-{uuid.uuid4().hex[:6]}-{n}",
            device_type=device_type,
            name=f"测试设备{n}",
            lon=lon,
            lat=lat,
        )

    return make


def payload(values, *, ts=None, seq=None, **extra):
    import json

    return json.dumps(
        {"ts": ts if ts is not None else int(time.time() * 1000), "seq": seq, "values": values, **extra}
    )


@pytest.fixture
def ingester_factory(broker, root):
    from qingcheng.sensing.mqtt import Ingester

    made = []

    def make(client_id=None, **kwargs):
        ingester = Ingester(client_id=client_id or f"{root}-ing", root=root, **kwargs).connect()
        made.append(ingester)
        return ingester

    yield make
    for ingester in made:
        if ingester.client is not None:
            ingester.crash()
        ingester.discard_session()


@pytest.fixture
def publisher(broker):
    from qingcheng.sensing.mqtt import Publisher

    pub = Publisher()
    yield pub
    pub.close()


@pytest.fixture
def users(loop):
    return loop["users"]
