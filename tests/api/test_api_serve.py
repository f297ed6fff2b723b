"""``agentdesk serve``: a real process prints its address and the token it
accepts ($AGENTDESK_API_TOKEN), serves the API there, stops on SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import httpx


def test_serve_prints_address_and_token_and_serves(api_home) -> None:
    env = {**os.environ, "AGENTDESK_HOME": str(api_home), "AGENTDESK_API_TOKEN": "env-token-42"}
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"AgentDesk API on (http://127\.0\.0\.1:\d+) \(docs: \S+/docs\)\n",
                             first)
        assert match, first + process.stderr.read() if process.poll() is not None else first
        assert process.stdout.readline() == "token: env-token-42\n"
        url = match.group(1)
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        assert httpx.get(f"{url}/api/agents").status_code == 401
        listed = httpx.get(f"{url}/api/agents", headers={"Authorization": "Bearer env-token-42"})
        assert listed.json()["total"] == 0
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_serve_json_prints_one_document_first(api_home) -> None:
    env = {**os.environ, "AGENTDESK_HOME": str(api_home), "AGENTDESK_API_TOKEN": "tok"}
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        started = json.loads(process.stdout.readline())
        assert started["token"] == "tok"
        assert httpx.get(f"{started['address']}/health").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_serve_refuses_a_port_in_use_in_one_line(api_home) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "AGENTDESK_HOME": str(api_home), "AGENTDESK_API_TOKEN": "t"}
        result = subprocess.run([sys.executable, "-m", "app", "serve", "--port", str(port)],
                                capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"agentdesk: error: cannot serve on 127.0.0.1:{port} (the port is in use: "
        "choose another with --port)"]
