"""Session fixtures: a real ferrotwin server over HTTPS, tokens per role, and SDK clients.

The server binary is $FERROTWIN_BIN or <repo>/target/debug/ferrotwin; the ontology is
read from <repo>/../shared. When either is missing the tests are skipped, except under
CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import signal
import ssl
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import pytest
from azure.digitaltwins.core import DigitalTwinsClient

import ontology
from helpers import StaticTokenCredential

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
REC_DIR = SHARED / "data" / "ontologies" / "realestatecore-v3"
REC_COUNT = 767
BIN = Path(os.environ.get("FERROTWIN_BIN", REPO / "target" / "debug" / "ferrotwin"))
STARTUP_TIMEOUT = 30.0
LISTEN_RE = re.compile(r"listening on (https?)://(\S+)")


def unavailable(reason: str):
    """Skip locally; under CI a missing prerequisite is a failure, never a silent skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: prerequisites must be present)", pytrace=False)
    pytest.skip(reason)


@dataclass
class Server:
    process: subprocess.Popen
    data_dir: Path
    http_url: str
    https_url: str
    admin_token: str
    log_lines: List[str] = field(default_factory=list)

    def create_token(self, role: str) -> str:
        out = subprocess.run(
            [str(BIN), "token", "create", "--data", str(self.data_dir), "--role", role],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, (
            f"`ferrotwin token create --role {role}` exited {out.returncode}: {out.stderr}"
        )
        lines = [l.strip() for l in out.stdout.splitlines() if l.strip()]
        assert lines, f"`ferrotwin token create --role {role}` printed nothing"
        return lines[-1]

    def client(self, token: str, **kwargs) -> DigitalTwinsClient:
        return DigitalTwinsClient(
            self.https_url, StaticTokenCredential(token), connection_verify=False, **kwargs
        )


def _pump(stream, sink: "queue.Queue[str]", log: List[str]) -> None:
    for line in iter(stream.readline, ""):
        log.append(line.rstrip("\n"))
        sink.put(line)
    stream.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    if not BIN.is_file() or not os.access(BIN, os.X_OK):
        unavailable(f"ferrotwin binary not found at {BIN} (build it or set FERROTWIN_BIN)")
    data_dir = tmp_path_factory.mktemp("ferrotwin-data")
    token = secrets.token_urlsafe(32)
    env = dict(os.environ, FERROTWIN_BOOTSTRAP_TOKEN=token)
    stderr_log = open(data_dir.parent / "ferrotwin-stderr.log", "w")
    # The event-route endpoints the tests name; nothing listens on port 9,
    # so routed events wait in the outbox (delivery is tested in Rust).
    config = data_dir.parent / f"{data_dir.name}.toml"
    config.write_text("".join(
        f'[[endpoint]]\nname = "{name}"\nkind = "webhook"\nurl = "http://127.0.0.1:9/"\n'
        for name in ["ferrotwin-sdk-endpoint", *[f"ferrotwin-sdk-endpoint-{i}" for i in range(5)]]
    ))
    proc = subprocess.Popen(
        [
            str(BIN), "serve", "--data", str(data_dir), "--config", str(config),
            "--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-self-signed", "--no-mqtt",
        ],
        stdout=subprocess.PIPE,
        stderr=stderr_log,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: "queue.Queue[str]" = queue.Queue()
    log: List[str] = []
    threading.Thread(target=_pump, args=(proc.stdout, lines, log), daemon=True).start()

    urls: Dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while len(urls) < 2 and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        m = LISTEN_RE.search(line)
        if m:
            urls[m.group(1)] = f"{m.group(1)}://{m.group(2)}"
    if len(urls) < 2:
        proc.kill()
        proc.wait()
        stderr_log.close()
        err = (data_dir.parent / "ferrotwin-stderr.log").read_text()[-4000:]
        pytest.fail(
            f"ferrotwin did not print both listening lines within {STARTUP_TIMEOUT}s "
            f"(exit={proc.returncode}); stdout={log!r}; stderr tail:\n{err}",
            pytrace=False,
        )

    srv = Server(proc, data_dir, urls["http"], urls["https"], token, log)
    with urllib.request.urlopen(srv.http_url + "/healthz", timeout=10) as resp:
        assert resp.status == 200, f"/healthz over HTTP answered {resp.status}"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(srv.https_url + "/healthz", timeout=10, context=ctx) as resp:
        assert resp.status == 200, f"/healthz over HTTPS answered {resp.status}"

    yield srv

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        stderr_log.close()
        pytest.fail("ferrotwin did not exit within 30 s of SIGTERM", pytrace=False)
    stderr_log.close()
    assert code == 0, f"ferrotwin exited {code} after SIGTERM"


@pytest.fixture(scope="session")
def client(server: Server) -> DigitalTwinsClient:
    """Client with the bootstrap (admin) token."""
    return server.client(server.admin_token)


@pytest.fixture(scope="session")
def tokens(server: Server) -> Dict[str, str]:
    return {role: server.create_token(role) for role in ("reader", "writer", "admin")}


@pytest.fixture(scope="session")
def rec_models() -> Dict[str, dict]:
    if not REC_DIR.is_dir():
        unavailable(f"RealEstateCore ontology not found at {REC_DIR} (../shared is missing)")
    models = ontology.load_interfaces(REC_DIR)
    assert len(models) == REC_COUNT, f"expected {REC_COUNT} interfaces, found {len(models)}"
    return models


@dataclass
class RecUpload:
    batches: List[List[dict]]
    results: List[list]
    seconds: float


@pytest.fixture(scope="session")
def rec(client: DigitalTwinsClient, rec_models: Dict[str, dict]) -> RecUpload:
    """The RealEstateCore ontology, uploaded once per session in dependency-ordered batches."""
    batches = ontology.upload_batches(rec_models)
    ontology.check_order(batches)
    started = time.monotonic()
    results = [client.create_models(batch) for batch in batches]
    return RecUpload(batches, results, time.monotonic() - started)

