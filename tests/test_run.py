"""`comptoir run`, the embedded product, for real: web server, Celery worker and beat on the
SQLite broker, and SMTP intake, started as processes the way `make demo` starts them."""

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def comptoir(env, *args, timeout=120) -> str:
    result = subprocess.run([str(BIN / "comptoir"), *args], env=env, capture_output=True,
                            text=True, timeout=timeout, check=True, cwd=env["COMPTOIR_VAR_DIR"])
    return result.stdout


def test_run_serves_pages_and_the_worker_processes_intake(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env |= {"COMPTOIR_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    comptoir(env, "migrate", "--no-input", "-v", "0")
    port, smtp_port = free_port(), free_port()
    server = subprocess.Popen([str(BIN / "comptoir"), "run", "--port", str(port),
                               "--smtpd-port", str(smtp_port)], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        comptoir(env, "shell", "-c", "from comptoir.email.models import Mailbox; "
                 "Mailbox.objects.create(address='support@comptoir.test', name='Support')")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    assert r.status == 200
                    assert "comptoir" in r.read().decode()
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        static = f"http://127.0.0.1:{port}/static/vendor/htmx-2.0.11.min.js"
        with urllib.request.urlopen(static) as r:
            assert r.status == 200
        send_mail(smtp_port)

        script = (
            "import json, time\n"
            "from comptoir.conversations import services\n"
            "from comptoir.conversations.models import RawInbound\n"
            "from comptoir.conversations.tasks import process_inbound\n"
            "raw = services.store_raw('api', json.dumps({'from': {'value': 'w@example.com'},"
            " 'text': 'through the worker'}).encode(), {'channel': 'api'})\n"
            "process_inbound.delay(raw.pk)\n"
            "deadline = time.monotonic() + 150  # up to 2.5 min on a loaded machine\n"
            "while time.monotonic() < deadline:\n"
            "    rows = list(RawInbound.objects.order_by('pk'))\n"
            "    if all(row.status != 'received' for row in rows): break\n"
            "    time.sleep(0.1)\n"
            "print(json.dumps([[row.channel, row.status, row.message.conversation.subject,"
            " row.message.body_text.strip()] if row.message else [row.channel, row.status,"
            " row.error] for row in rows]))\n"
        )
        # prints what it saw even when a row is still waiting, so a failure says which
        out = comptoir(env, "shell", "-c", script, timeout=200).strip().splitlines()[-1]
        if "received" in out:  # what the worker said, for the failure's report
            server.terminate()
            pytest.fail(f"not processed: {out}\n{server.communicate(timeout=30)[0][-5000:]}")
        assert json.loads(out) == [
            ["email", "processed", "Hello by SMTP", "A real mail through comptoir smtpd."],
            ["api", "processed", "through the worker", "through the worker"],
        ]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"comptoir is running at http://127.0.0.1:{port}/" in output
    assert f"smtp:     127.0.0.1:{smtp_port}" in output
    assert server.returncode == 0


def send_mail(port: int) -> None:
    """One customer's mail to the support mailbox, once the SMTP server answers."""
    deadline = time.monotonic() + 60
    message = EmailMessage()
    message["From"], message["To"] = "ana@example.com", "support@comptoir.test"
    message["Subject"] = "Hello by SMTP"
    message.set_content("A real mail through comptoir smtpd.")
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                assert client.send_message(message) == {}
                return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_an_event_raised_by_the_worker_reaches_a_signed_in_browser(tmp_path):
    """The worker and the web server are separate processes without Redis: the customer's
    message the worker processes still shows up live in the inbox (comptoir.realtime.layers),
    not at the next minute's poll."""
    from websockets.sync.client import connect

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env |= {"COMPTOIR_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    comptoir(env, "migrate", "--no-input", "-v", "0")
    cookie = comptoir(env, "shell", "-c", (
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "from comptoir.accounts.models import Role, User\n"
        "agent = User.objects.create_user(username='ada', password='pw-correct-horse',"
        " role=Role.ADVOCATE, email='ada@staff.example')\n"
        "client = Client()\n"
        "client.force_login(agent)\n"
        "name = settings.SESSION_COOKIE_NAME\n"
        "print(f'{name}={client.cookies[name].value}')\n"
    )).strip().splitlines()[-1]
    port, smtp_port = free_port(), free_port()
    server = subprocess.Popen([str(BIN / "comptoir"), "run", "--port", str(port),
                               "--smtpd-port", str(smtp_port)], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                live = connect(f"ws://127.0.0.1:{port}/ws/live/",
                                 origin=f"http://127.0.0.1:{port}",
                                 additional_headers={"Cookie": cookie}, open_timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        with live:
            # the first job waits for the worker to start (a minute or two on a loaded
            # machine); the second one shows how long the event takes to come
            first = worker_event(env, live, "first@example.com", timeout=180)
            event, latency = worker_event(env, live, "second@example.com", timeout=60,
                                          not_about=first[0]["data"]["id"])
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert event["data"]["message_count"] == 1, output
    assert event["data"]["status"] == "new"
    # the broker's polling and a busy machine included; a page polling would wait up to 60 s
    assert latency < 10, (latency, output)


def worker_event(env, live, sender: str, timeout: float,
                 not_about: int | None = None) -> tuple[dict, float]:
    """Has the worker process a new customer's message; returns the first
    ``conversation.changed`` event the websocket ``live`` then receives (about another
    conversation than ``not_about``), and the seconds from queueing the job to receiving it."""
    queued_at = float(comptoir(env, "shell", "-c", (
        "import json, time\n"
        "from comptoir.conversations import services\n"
        "from comptoir.conversations.tasks import process_inbound\n"
        f"raw = services.store_raw('api', json.dumps({{'from': {{'value': {sender!r}}},"
        " 'text': 'live from the worker'}).encode(), {'channel': 'api'})\n"
        "process_inbound.delay(raw.pk)\n"
        "print(time.time())\n"
    )).strip().splitlines()[-1])
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(live.recv(timeout=max(0.1, deadline - time.monotonic())))
        if event["type"] == "conversation.changed" and event["data"]["id"] != not_about:
            return event, time.time() - queued_at
