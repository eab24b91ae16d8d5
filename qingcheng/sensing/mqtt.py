"""The MQTT ingester: an MQTT 5 shared subscription with a persistent session, batched database writes
and acknowledgements sent only after the batch has committed.

paho's network thread only receives messages into a queue; the caller's thread (the `ingest_mqtt`
command, or a test) takes them in batches, stores and evaluates them through
`services.readings_ingest`, and then sends the PUBACKs. A killed ingester therefore never loses a message:
the broker keeps everything unacknowledged in the session (clean_start=False plus a session expiry) and
redelivers it when an ingester with the same client id comes back; duplicates are recognised by
(device, observed_at)."""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from django.db import OperationalError, close_old_connections, connection
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import ingest as ing

logger = logging.getLogger("qingcheng.sensing.mqtt")

SHARE_GROUP = "qingcheng"


def subscription(root: str = "city", group: str = SHARE_GROUP) -> str:
    return f"$share/{group}/{root}/+/+/+/+/telemetry"


def broker_reachable(host: str = "127.0.0.1", port: int = 1883, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class Ingester:
    def __init__(
        self,
        *,
        client_id: str,
        host: str = "127.0.0.1",
        port: int = 1883,
        root: str = "city",
        group: str = SHARE_GROUP,
        batch_size: int = 500,
        max_wait: float = 0.05,
        session_expiry: int = 3600,
        receive_maximum: int = 1000,
        on_batch: Callable[[ing.Outcome, int], None] | None = None,
    ) -> None:
        self.client_id = client_id
        self.host, self.port = host, port
        self.topic = subscription(root, group)
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.session_expiry = session_expiry
        self.receive_maximum = receive_maximum
        self.on_batch = on_batch
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.subscribed = threading.Event()
        self.stop_event = threading.Event()
        self.totals: dict[str, int] = {}
        self.received = 0
        self.acked = 0
        self._crashed = False
        self.client: mqtt.Client | None = None

    # -- connection

    def connect(self, timeout: float = 10.0) -> Ingester:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = lambda *a, **k: self.subscribed.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        props.ReceiveMaximum = self.receive_maximum
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.connect(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self.client = client
        client.loop_start()
        if not self.subscribed.wait(timeout):
            raise TimeoutError(f"no SUBACK from {self.host}:{self.port}")
        return self

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            logger.error("MQTT connect refused: %s", reason_code)
            return
        logger.info("ingester %s connected (session present: %s)", self.client_id, flags.session_present)
        client.subscribe(self.topic, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(message)

    # -- processing (in the caller's thread)

    def _take_batch(self, wait: float) -> list[mqtt.MQTTMessage]:
        try:
            first = self.inbox.get(timeout=wait)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=min(remaining, 0.005)))
            except queue.Empty:
                continue
        return batch

    def _process(self, batch: list[mqtt.MQTTMessage]) -> None:
        from .services import readings_ingest

        messages = []
        bad_topic = 0
        for msg in batch:
            parsed = ing.topic_device_id(msg.topic)
            if parsed is None:
                bad_topic += 1
                continue
            messages.append(ing.Message(device_id=parsed[0], body=msg.payload, token=msg.mid))
        attempt = 0
        while True:
            try:
                outcome = readings_ingest(messages=messages, source=self.client_id)
                break
            except OperationalError:
                # database busy or connection lost: retry the same batch (nothing was acknowledged)
                attempt += 1
                logger.warning(
                    "ingester %s: database error, retrying batch (attempt %s)",
                    self.client_id,
                    attempt,
                    exc_info=attempt == 1,
                )
                connection.close()
                if self.stop_event.is_set() and attempt > 3:
                    return
                time.sleep(min(0.1 * attempt, 2.0))
        if bad_topic:
            outcome.add(ing.MALFORMED, "topic does not follow the convention", bad_topic)
        if self._crashed:
            return
        for msg in batch:
            if msg.qos > 0 and self.client is not None:
                self.client.ack(msg.mid, msg.qos)
        self.acked += len(batch)
        for reason, n in outcome.counts.items():
            self.totals[reason] = self.totals.get(reason, 0) + n
        if self.on_batch is not None:
            self.on_batch(outcome, len(batch))

    def pump(self, seconds: float) -> None:
        """Process messages for `seconds` (tests drive the ingester with this)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._crashed:
            batch = self._take_batch(min(0.05, max(0.0, end - time.monotonic())))
            if batch:
                self.received += len(batch)
                self._process(batch)

    def run_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            self.pump(0.1)
        return predicate()

    def run_forever(self) -> None:
        last_cleanup = time.monotonic()
        try:
            while not self.stop_event.is_set():
                batch = self._take_batch(0.5)
                if batch:
                    self.received += len(batch)
                    self._process(batch)
                if time.monotonic() - last_cleanup > 30:
                    close_old_connections()
                    last_cleanup = time.monotonic()
        finally:
            self.close()

    # -- shutting down

    def close(self) -> None:
        """Graceful stop: process what has arrived, then disconnect; the session stays on the broker."""
        if self.client is None:
            return
        while not self._crashed:
            batch = self._take_batch(0.0)
            if not batch:
                break
            self._process(batch)
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None

    def crash(self) -> None:
        """Die like a killed process: drop what is queued without acknowledging it, close the socket
        without DISCONNECT."""
        self._crashed = True
        self.stop_event.set()
        client = self.client
        if client is None:
            return
        client.loop_stop()
        sock = client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.client = None

    def discard_session(self) -> None:
        """Remove this client id's session from the broker (tests clean up with this)."""
        discard_session(self.client_id, self.host, self.port)


def discard_session(client_id: str, host: str = "127.0.0.1", port: int = 1883) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    try:
        client.connect(host, port, keepalive=10, clean_start=True, properties=props)
        client.loop_start()
        time.sleep(0.1)
        client.disconnect()
        client.loop_stop()
    except OSError:
        pass


class Publisher:
    """A small QoS 1 publisher (simulator, tests, benchmark).

    It waits for the broker's CONNACK before the first message and, on close, for the PUBACK of every
    message it sent: a DISCONNECT queued behind unacknowledged messages would otherwise lose them when
    the machine is busy."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "",
        max_inflight: int = 1000,
        timeout: float = 10.0,
    ) -> None:
        self.connected = threading.Event()
        self.sent = 0
        self.acknowledged = 0
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.client.loop_stop()
            raise TimeoutError(f"no CONNACK from {host}:{port}")

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            self.connected.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._lock:
            self.acknowledged += 1

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> mqtt.MQTTMessageInfo:
        with self._lock:
            self.sent += 1
        return self.client.publish(topic, payload, qos=qos)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the broker has acknowledged every message sent so far."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self.acknowledged >= self.sent:
                    return True
            time.sleep(0.01)
        return False

    def close(self, timeout: float = 30.0) -> None:
        if not self.flush(timeout):
            logger.warning(
                "publisher closed with %d of %d messages unacknowledged",
                self.sent - self.acknowledged,
                self.sent,
            )
        self.client.disconnect()
        self.client.loop_stop()
