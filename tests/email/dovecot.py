"""A private Dovecot IMAP server for the tests: its own configuration, directories and free
loopback port, run in the foreground by whoever runs the tests (root included), one test user
with a plaintext password, mail in a Maildir."""

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "agent", "secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """``start()``/``stop()`` the server (restarting keeps the mail); ``client()`` logs in."""

    def __init__(self):
        if not DOVECOT.exists():
            pytest.fail("Dovecot is not installed: run `make imap` (Debian's dovecot-imapd).")
        # Short path: Dovecot's unix sockets live under it (108 bytes at most).
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)  # Dovecot's unprivileged processes reach their sockets
        self.port = free_port()
        self.process = None
        if os.geteuid() == 0:
            # Dovecot runs neither logins nor mail as root: Debian's users, and nobody's mail.
            internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
            mail_user = pwd.getpwnam("nobody")
        else:
            mail_user = pwd.getpwuid(os.getuid())
            internal_user = login_user = mail_user.pw_name
            internal_group = grp.getgrgid(os.getgid()).gr_name
        home = self.root / "home"
        home.mkdir()
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{home}::\n"
        )
        (self.root / "dovecot.conf").write_text(CONFIG.format(
            root=self.root, port=self.port, uid=mail_user.pw_uid,
            internal_user=internal_user, internal_group=internal_group, login_user=login_user,
        ))

    def start(self) -> None:
        with (self.root / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", self.root / "dovecot.conf"],
                stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"Dovecot did not start:\n{self.log('console.log')}{self.log('dovecot.log')}")

    def stop(self) -> None:
        """Stop the server and every process of it: open connections drop at once."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)  # the master leaves its children behind
        self.process.wait()

    def log(self, name: str = "dovecot.log") -> str:
        path = self.root / name
        return path.read_text() if path.exists() else ""

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, folder: str, *messages: bytes) -> list[int]:
        """Deliver ``messages`` into ``folder`` (created when missing); their UIDs."""
        with self.client() as conn:
            conn.create(folder)
            uids = []
            for message in messages:
                typ, data = conn.append(folder, None, None, message)
                assert typ == "OK", data
                uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)))
            return uids

    def search(self, folder: str, criteria: str = "ALL") -> list[int]:
        with self.client() as conn:
            conn.select(folder, readonly=True)
            typ, data = conn.uid("SEARCH", None, criteria)
            assert typ == "OK", data
            return [int(uid) for uid in data[0].split()]
