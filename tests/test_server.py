"""`pathfinder serve` as it runs in production: a real subprocess (gunicorn in HTTP mode, the
Socket Mode client otherwise) against the fake Slack, fake Socket Mode and fake OpenAI servers.

What is checked here is what only the real server does: body limits on the wire, keep-alive after
refusals, silent connections, probes and metrics on their ports, JSON logs, and SIGTERM with
answers in flight. Scenario tests drive the same WSGI callable in process (tests/slack_harness.py).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import leaks
from .fakes.openai_server import FakeOpenAI
from .fakes.slack_server import FakeSlack
from .fakes.socket_server import FakeSocketMode
from .served import Served, free_port, get, scrape, serving
from .slack_harness import FORM, answers, command, event, post, start, until

RESTARTING = "I was restarting"


def raw(port: int, request: bytes, *, timeout: float = 5) -> tuple[socket.socket, int]:
    """Send `request` as bytes on a new connection; the open socket and the response status."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request)
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return sock, response.status


def closed_cleanly(sock: socket.socket, timeout: float = 8) -> bool:
    """The server closed the connection with a FIN (not a reset, not left hanging)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return False


# --- one server for the HTTP behaviour tests ------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, FakeSlack]]:
    fake = FakeSlack().start()
    try:
        with serving(fake, tmp_path_factory.mktemp("served")) as running:
            yield running, fake
    finally:
        fake.stop()


def test_probes_and_metrics_answer_on_the_http_port(served: tuple[Served, FakeSlack]) -> None:
    server, _ = served
    assert get(server.url, "/livez")[0] == 200
    status, body = get(server.url, "/readyz")
    assert status == 200
    assert json.loads(body) == {
        "ok": True,
        "checks": {"database": True, "catalogue": True, "accepting": True},
    }
    assert get(server.url, "/healthz")[0] == 200  # the old name, still probed by older deploys
    assert "pathfinder_questions_total" in get(server.url, "/metrics")[1]
    assert get(server.url, "/nope")[0] == 404
    assert get(server.url, "/slack/events")[0] == 405


def test_a_question_moves_the_counters_and_logs_its_timings_as_json(
    served: tuple[Served, FakeSlack],
) -> None:
    server, fake = served
    before = scrape(server.url)
    status, _ = post(server.url, event(event_id="EvMetrics1", ts="1700000900.000100"))
    assert status == 200
    answers(fake, 1)
    after = until(
        lambda: (m := scrape(server.url))[("pathfinder_answer_seconds_count", ())] > 0 and m
    )

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("pathfinder_questions_total") == 1
    assert moved("pathfinder_answers_total", responder="offline") == 1
    assert moved("pathfinder_ack_seconds_count", mode="http") == 1
    assert moved("pathfinder_first_response_seconds_count") == 1
    assert moved("pathfinder_answer_seconds_count") == 1
    assert ("pathfinder_queue_depth", ()) in after

    lines = server.lines()  # every line is JSON
    assert {"ts", "level", "event", "logger"} <= set(lines[-1])
    [timed] = [line for line in lines if line["event"] == "answer delivered"]
    assert timed["responder"] == "offline" and timed["ts"].endswith("+00:00")
    assert timed["ack_ms"] > 0 and timed["answer_ms"] >= timed["first_response_ms"] > 0
    assert timed["correlation_id"]
    assert not leaks(server.log.read_text())


def test_an_invalid_content_length_is_refused_before_reading(
    served: tuple[Served, FakeSlack],
) -> None:
    server, _ = served
    for length in (b"-1", b"+5", b"abc"):
        request = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: " + length
        sock, status = raw(server.port, request + b"\r\n\r\n{}")
        sock.close()
        assert status == 400, length


def test_a_body_declared_over_a_megabyte_is_refused_without_being_sent(
    served: tuple[Served, FakeSlack],
) -> None:
    server, _ = served
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n"
    sock, status = raw(server.port, head)  # no body: a server that read it would hang here
    assert status == 413
    assert closed_cleanly(sock)


def test_a_chunked_body_is_read_only_to_the_limit(served: tuple[Served, FakeSlack]) -> None:
    server, _ = served
    chunk = b"x" * 65536
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17)) + b"0\r\n\r\n"
    sock, status = raw(server.port, head + body)
    assert status == 413
    assert closed_cleanly(sock)


def test_keep_alive_survives_a_404_with_a_body(served: tuple[Served, FakeSlack]) -> None:
    server, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", "/nowhere", body=b"x" * 1000)
    first = conn.getresponse()
    first.read()
    conn.request("GET", "/livez")  # the same connection: the unread body was discarded
    second = conn.getresponse()
    assert (first.status, second.status, second.read()) == (404, 200, b'{"ok": true}')


def test_a_refused_body_is_never_read_as_the_next_request(served: tuple[Served, FakeSlack]) -> None:
    server, _ = served
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    body = smuggled * (1_000_001 // len(smuggled) + 1)
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)

    def send() -> None:
        with contextlib.suppress(OSError):  # the server may close before it has all of it
            sock.sendall(head + body)

    sender = threading.Thread(target=send)
    sender.start()
    received = b""
    with contextlib.suppress(OSError):  # a reset, once the server has closed, ends the reading
        while chunk := sock.recv(65536):
            received += chunk
    sender.join()
    sock.close()
    # One response, the 413; the connection is then closed, never reused to parse the rest.
    assert received.startswith(b"HTTP/1.1 413") and received.count(b"HTTP/1.1 ") == 1


def test_hundreds_of_silent_connections_do_not_stop_the_probes(
    served: tuple[Served, FakeSlack],
) -> None:
    server, _ = served
    silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(300)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            assert get(server.url, "/livez", timeout=2)[0] == 200
    finally:
        for sock in silent:
            sock.close()


def test_connections_that_stop_mid_request_free_their_threads(
    served: tuple[Served, FakeSlack],
) -> None:
    server, _ = served
    stalled = []  # more than the server has threads, each stopping halfway through its headers
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        stalled.append(sock)
    try:
        time.sleep(0.5)
        assert get(server.url, "/livez", timeout=20)[0] == 200  # after READ_TIMEOUT, not never
    finally:
        for sock in stalled:
            sock.close()


# --- SIGTERM: drain ------------------------------------------------------------------------

LLM_SECONDS = 4.0
DRAIN = 6.0


def slow_llm_env(llm: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        "PATHFINDER_LLM": "openai",
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "test",
        "OPENAI_TIMEOUT": "20",
        "PATHFINDER_WORKERS": "3",
        "PATHFINDER_DRAIN_SECONDS": str(DRAIN),
        **extra,
    }


def outcome(fake: FakeSlack) -> tuple[list[str], list[str]]:
    """(threads answered, threads apologised in) from what reached the fake Slack."""
    answered = [c.body.get("thread_ts") or c.body.get("ts") for c in answers(fake, 0, timeout=0)]
    sorry = [c.body.get("thread_ts") or c.body.get("ts") for c in fake.replies()
             if RESTARTING in (c.body.get("text") or "")]  # fmt: skip
    return answered, sorry


def stop_and_time(proc: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=DRAIN + 15) == 0
    return time.monotonic() - started


def test_sigterm_over_http_delivers_answers_in_flight_and_apologises_for_the_rest(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=LLM_SECONDS).start()
    try:
        with serving(fake_slack, tmp_path, **slow_llm_env(llm)) as server:
            for i in range(7):  # three answered at once, four waiting for a worker
                body = event(event_id=f"EvTerm{i}", ts=f"17000010{i}0.000100", user=f"U0TERM{i}")
                assert post(server.url, body)[0] == 200
            assert until(lambda: llm.attempts >= 3)
            took = stop_and_time(server.proc)
        answered, sorry = outcome(fake_slack)
        # The three in flight finish inside the grace; the other four (three started after
        # them, too late, and one never started) are told, once each; nobody is left silent.
        assert len(answered) == 3 and len(sorry) == 4
        assert len(set(answered) | set(sorry)) == 7
        assert took < DRAIN + 5
        assert any(line["event"] == "drained" for line in server.lines())
    finally:
        llm.stop()


def test_sigterm_in_socket_mode_drains_and_the_health_port_reports_it(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=LLM_SECONDS).start()
    sockets = FakeSocketMode()
    fake_slack.socket_url = sockets.url
    health = str(free_port())
    env = slow_llm_env(llm, SLACK_APP_TOKEN="xapp-1-test", PATHFINDER_HEALTH_PORT=health)
    try:
        with serving(fake_slack, tmp_path, http=False, **env) as server:
            assert sockets.wait_connected()
            status, body = get(server.url, "/readyz")
            assert status == 200 and json.loads(body)["checks"]["socket"] is True
            for i in range(3):
                payload = json.loads(event(event_id=f"EvSock{i}", ts=f"17000020{i}0.000100", user=f"U0SOCK{i}"))
                sockets.push({"envelope_id": f"env-{i}", "type": "events_api", "accepts_response_payload": False,
                              "payload": payload})  # fmt: skip
            assert len(sockets.wait_acks(3)) == 3
            assert until(lambda: llm.attempts >= 3)
            metrics = scrape(server.url)
            assert metrics[("pathfinder_ack_seconds_count", (("mode", "socket"),))] == 3
            server.proc.send_signal(signal.SIGTERM)
            assert until(lambda: get(server.url, "/readyz", timeout=1)[0] == 503, timeout=3)
            assert server.proc.wait(timeout=DRAIN + 15) == 0
        answered, sorry = outcome(fake_slack)
        assert len(answered) == 3 and sorry == []
    finally:
        sockets.close()
        llm.stop()


def test_the_pool_drain_hands_back_only_what_will_not_finish() -> None:
    from bot.jobs.local import WorkerPool

    pool = WorkerPool(workers=1, max_queue=5)
    release, finished, told = threading.Event(), threading.Event(), []
    pool.submit(finished.set, abandon=lambda: told.append("finished"))
    assert finished.wait(5)
    pool.submit(lambda: release.wait(5) and None, abandon=lambda: told.append("running"))
    pool.submit(lambda: told.append("ran"), abandon=lambda: told.append("queued"))
    leftovers = pool.drain(0.2)
    assert pool.submit(lambda: None) is None  # no new work once draining
    for abandon in leftovers:
        abandon()
    release.set()
    assert sorted(told) == ["queued", "running"]


def test_while_draining_readyz_and_slack_requests_answer_503_and_livez_200(
    fake_slack: FakeSlack, db_url: str
) -> None:
    running = start(fake_slack, db_url)
    try:
        assert get(running.url, "/readyz")[0] == 200
        running.app.draining.set()
        status, body = get(running.url, "/readyz")
        assert status == 503 and json.loads(body)["checks"]["accepting"] is False
        assert post(running.url, event(event_id="EvDraining"))[0] == 503  # Slack retries it
        assert get(running.url, "/livez")[0] == 200
    finally:
        running.stop()
    assert fake_slack.replies() == []


def test_llm_attempts_tokens_fallbacks_and_slack_errors_are_counted(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from bot.answering.phrasing import ModelResponder
    from bot.db import make_engine
    from bot.llm.openai_model import OpenAIChatModel
    from bot.observability.metrics import REGISTRY

    from .conftest import _sqlite_url
    from .slack_harness import Running, build_app, settings_for

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    llm = FakeOpenAI().start()
    model = OpenAIChatModel(model="fake", api_key="test", base_url=llm.url, attempt_timeout=5)
    engine = make_engine(_sqlite_url(tmp_path))
    running = Running(build_app(settings_for(fake_slack), engine, responder=ModelResponder(model)), engine)
    before = {
        "ok": value("pathfinder_llm_attempts_total", outcome="ok"),
        "failed": value("pathfinder_llm_attempts_total", outcome="InternalServerError"),
        "prompt": value("pathfinder_llm_tokens_total", kind="prompt"),
        "model": value("pathfinder_answers_total", responder="openai"),
        "fallback": value("pathfinder_fallbacks_total", reason="unavailable"),
        "slack": value("pathfinder_slack_api_errors_total", method="chat.postMessage", error="invalid_blocks"),
    }
    try:
        post(running.url, event(event_id="EvCount1", ts="1700000301.000100"))
        answers(fake_slack, 1)
        llm.script(default="500")
        fake_slack.fault("chat.postMessage", "error:invalid_blocks")
        post(running.url, event(event_id="EvCount2", ts="1700000302.000100", user="U0OTHER"))
        until(lambda: value("pathfinder_fallbacks_total", reason="unavailable") > before["fallback"])
        answers(fake_slack, 2)
    finally:
        running.stop()
        llm.stop()
    assert value("pathfinder_llm_attempts_total", outcome="ok") - before["ok"] == 1
    assert value("pathfinder_llm_attempts_total", outcome="InternalServerError") - before["failed"] == 3
    assert value("pathfinder_llm_tokens_total", kind="prompt") - before["prompt"] == 1  # as the fake reports
    assert value("pathfinder_answers_total", responder="openai") - before["model"] == 1
    assert value("pathfinder_fallbacks_total", reason="unavailable") - before["fallback"] == 1
    assert value("pathfinder_slack_api_errors_total", method="chat.postMessage", error="invalid_blocks") - before["slack"] == 1


def test_sigterm_tells_a_slash_command_asker_whose_answer_will_not_come(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    llm = FakeOpenAI(default="hang", hang_seconds=LLM_SECONDS).start()
    try:
        with serving(fake_slack, tmp_path, **slow_llm_env(llm)) as server:
            for i in range(5):  # three composing at once, two waiting for a worker
                form = command("Band 6 nurse in Leeds, where do I start?", fake_slack, user=f"U0CMD{i}")
                assert post(server.url, form, content_type=FORM)[0] == 200
            assert until(lambda: llm.attempts >= 3)
            stop_and_time(server.proc)
        private = [c.body.get("text") or "" for c in fake_slack.of("response_url")]
        assert sum(RESTARTING in text for text in private) >= 2  # the two that never started
    finally:
        llm.stop()
