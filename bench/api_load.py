"""Local HTTP API under load: what the API adds per token, and whether the
window's event loop stalls while it serves.

    .venv/bin/python bench/api_load.py                   # 32 clients, 3 rounds
    .venv/bin/python bench/api_load.py --clients 8 --tokens 64 --json
    .venv/bin/python bench/api_load.py --gap-ms 20 --spread-ms 2000  # arrivals spread

A fast scripted model server (a separate process speaking the OpenAI
streaming wire format: GET /v1/models, POST /v1/chat/completions as SSE) sends
each token as ``<N>`` where N is ``time.monotonic_ns()`` when it was written —
CLOCK_MONOTONIC, one clock for every process on the machine. A client that
reads a token subtracts N from its own monotonic time on arrival: the latency
of that token from the model server to the client, exact, with nothing
guessed about batching.

Phase 1, in the same run, alternating round by round:
  (a) direct: ``--clients`` concurrent streaming clients POST to the model
      server itself;
  (b) API: the same number of clients stream ``POST /api/agents/{id}/chat``
      (NDJSON) from ``agentdesk serve``, whose agent uses that model server
      (a llama.cpp-kind provider): the runner, the recorder, the store and
      the HTTP layer in between.
  Added latency per token = (b) - (a) at p50 and at p99; throughput = tokens
  delivered per second of wall time over all clients. Also the serve
  process's CPU time per token relayed (from /proc), which unlike latency
  barely moves with the machine's other load. By default all clients start
  at once (the worst case: 32 requests set up, and later finished, in the
  same instant while other streams' tokens wait behind them);
  ``--spread-ms`` starts each after its own seeded offset, the same offsets
  for the direct and the API rounds.
Phase 2: the window (offscreen, real MainWindow on a real store) serves the
  API itself (app/ui/api_server.py: uvicorn on its own thread) while a client
  process puts the same load on it; a 5 ms heartbeat QTimer on the window's
  loop records the longest gap beyond its interval.

Goals (issue 18): p99 added <= 5 ms; the window's loop never stalls > 50 ms.
Exit status 0 when both are met, 1 otherwise. Results: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``app`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-api-load-token-0123456789abcdef"
STAMP = re.compile(r"<(\d+)>")
HEARTBEAT_MS = 5
GOAL_ADDED_P99_MS = 5.0
GOAL_STALL_MS = 50.0


# -- the fast scripted model server (its own process) -------------------------------------
async def _provider_main(tokens: int, gap_ms: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                               if line.lower().startswith("content-length:")), 0)
                body = json.loads(await reader.readexactly(length)) if length else {}
                if method == "GET" and path.endswith("/models"):
                    _respond(writer, 200, {"object": "list", "data": [
                        {"id": "fast", "object": "model", "owned_by": "bench"}]})
                elif method == "POST" and path.endswith("/chat/completions"):
                    if body.get("stream"):
                        await _stream(writer, tokens, gap_ms)
                    else:
                        _respond(writer, 200, _completion("Bench title"))
                else:
                    _respond(writer, 404, {"error": {"message": "not here"}})
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def _respond(writer: asyncio.StreamWriter, status: int, payload: dict) -> None:
    data = json.dumps(payload).encode()
    writer.write(f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                 f"content-length: {len(data)}\r\n\r\n".encode() + data)


def _completion(text: str) -> dict:
    return {"id": "c", "object": "chat.completion", "model": "fast", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text},
         "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}


async def _stream(writer: asyncio.StreamWriter, tokens: int, gap_ms: float) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"transfer-encoding: chunked\r\n\r\n")

    def send(payload: dict | str) -> None:
        data = f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"
        raw = data.encode()
        writer.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")

    for _ in range(tokens):
        send({"id": "c", "object": "chat.completion.chunk", "model": "fast", "choices": [
            {"index": 0, "delta": {"content": f"<{time.monotonic_ns()}>"},
             "finish_reason": None}]})
        await writer.drain()
        await asyncio.sleep(gap_ms / 1000)
    send({"id": "c", "object": "chat.completion.chunk", "model": "fast", "choices": [
        {"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": tokens,
                  "total_tokens": tokens + 5}})
    send("[DONE]")
    writer.write(b"0\r\n\r\n")


# -- clients --------------------------------------------------------------------------------
@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def _take_stamps(buffer: str, arrived_ns: int, load: Load) -> str:
    end = 0
    for match in STAMP.finditer(buffer):
        load.latencies_ms.append((arrived_ns - int(match.group(1))) / 1e6)
        load.tokens += 1
        end = match.end()
    return buffer[end:]


async def _one_direct(client: httpx.AsyncClient, url: str, load: Load) -> None:
    body = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    buffer = ""
    async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as reply:
        async for line in reply.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:]).get("choices", []):
                buffer += choice.get("delta", {}).get("content") or ""
            buffer = _take_stamps(buffer, time.monotonic_ns(), load)


async def _one_api(client: httpx.AsyncClient, url: str, agent_id: int, load: Load) -> None:
    buffer = ""
    async with client.stream("POST", f"{url}/api/agents/{agent_id}/chat",
                             json={"message": "go", "stream": True}) as reply:
        if reply.status_code != 200:
            load.failures.append(f"HTTP {reply.status_code}: {(await reply.aread())[:200]!r}")
            return
        async for line in reply.aiter_lines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("type") == "token":
                buffer += event.get("text", "")
                buffer = _take_stamps(buffer, time.monotonic_ns(), load)
            elif event.get("type") == "error":
                load.failures.append(str(event.get("message"))[:200])


async def _after(delay_s: float, job: Awaitable[None]) -> None:
    await asyncio.sleep(delay_s)
    await job


async def run_load(kind: str, url: str, clients: int, agent_id: int = 0,
                   spread_ms: float = 0.0, seed: int = 0) -> Load:
    """``clients`` streams at once; with ``spread_ms`` each starts after its
    own offset in [0, spread_ms) (seeded: the direct and API rounds of the
    same seed start at the same offsets)."""
    load = Load()
    offsets = random.Random(seed).sample(range(max(1, int(spread_ms * 1000))), clients) \
        if spread_ms > 0 else [0] * clients
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        jobs = [_after(offset / 1e6, _one_direct(client, url, load) if kind == "direct"
                       else _one_api(client, url, agent_id, load)) for offset in offsets]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        load.seconds = time.perf_counter() - started
    load.failures += [f"{type(r).__name__}: {r}" for r in results if isinstance(r, Exception)]
    return load


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- phase 1: agentdesk serve ------------------------------------------------------------
def _cli(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "app", *args, "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def _setup_home(provider_port: int) -> tuple[dict[str, str], int]:
    home = tempfile.mkdtemp(prefix="agentdesk-api-load-")
    env = {**os.environ, "AGENTDESK_HOME": home, "AGENTDESK_API_TOKEN": TOKEN,
           "AGENTDESK_API__RATE_LIMIT_PER_MINUTE": "100000"}
    _cli(env, "providers", "add", "fast", "--kind", "llamacpp",
         "--url", f"http://127.0.0.1:{provider_port}/v1")
    agent = _cli(env, "agents", "create", "--name", "bench", "--provider", "fast",
                 "--model", "fast")
    return env, int(agent["id"])


def _start_serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    serve = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0", "--json"],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert serve.stdout is not None
    line = serve.stdout.readline()
    if not line:
        serve.kill()
        raise SystemExit("agentdesk serve did not start")
    return serve, json.loads(line)["address"]


def _start_provider(tokens: int, gap_ms: float) -> tuple[subprocess.Popen, int]:
    provider = subprocess.Popen([sys.executable, __file__, "--provider-only",
                                 "--tokens", str(tokens), "--gap-ms", str(gap_ms)],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert provider.stdout is not None
    return provider, int(provider.stdout.readline())


def phase_serve(args: argparse.Namespace, provider_port: int) -> dict:
    env, agent_id = _setup_home(provider_port)
    serve, address = _start_serve(env)
    direct, api = Load(), Load()
    serve_cpu_s = 0.0
    try:
        asyncio.run(run_load("api", address, 2, agent_id))          # warm up
        for round_ in range(args.rounds):
            for total, kind in ((direct, "direct"), (api, "api")):
                url = f"http://127.0.0.1:{provider_port}" if kind == "direct" else address
                cpu_before = process_cpu_seconds(serve.pid)
                got = asyncio.run(run_load(kind, url, args.clients, agent_id,
                                           args.spread_ms, seed=round_))
                if kind == "api":
                    serve_cpu_s += process_cpu_seconds(serve.pid) - cpu_before
                total.latencies_ms += got.latencies_ms
                total.tokens += got.tokens
                total.seconds += got.seconds
                total.failures += got.failures
    finally:
        serve.terminate()
        serve.wait(10)
    result = {"env": env, "agent_id": agent_id}
    for name, load in (("direct", direct), ("api", api)):
        result[name] = {"p50_ms": percentile(load.latencies_ms, 0.5),
                        "p99_ms": percentile(load.latencies_ms, 0.99),
                        "tokens": load.tokens, "tokens_per_s": load.throughput,
                        "failures": load.failures[:5]}
    # CPU time of the serve process per token relayed: unlike latency, hardly
    # moved by what else the machine runs (NaN where /proc is missing).
    result["serve_cpu_us_per_token"] = (serve_cpu_s / api.tokens * 1e6 if api.tokens
                                        else float("nan"))
    result["added_p50_ms"] = result["api"]["p50_ms"] - result["direct"]["p50_ms"]
    result["added_p99_ms"] = result["api"]["p99_ms"] - result["direct"]["p99_ms"]
    return result


# -- phase 2: the window serves ------------------------------------------------------------
def phase_window(args: argparse.Namespace, env: dict[str, str], agent_id: int) -> dict:
    os.environ.update({k: env[k] for k in ("AGENTDESK_HOME", "AGENTDESK_API_TOKEN",
                                            "AGENTDESK_API__RATE_LIMIT_PER_MINUTE")})
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from app.services.store_bridge import StoreBridge
    from app.settings import load_settings
    from app.store import AsyncStore
    from app.ui.agent_list_model import AgentListModel
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)     # the window closes before the store
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = load_settings()
    settings.api.enabled = True
    settings.api.port = 0
    gaps: list[float] = []
    gc_pauses: list[float] = []      # ms, any thread's collections

    async def main() -> dict:
        store = await AsyncStore.open(settings.database_path)
        bridge = StoreBridge(store)
        model = AgentListModel(bridge)
        window = MainWindow(bridge, model, settings=settings)
        window.show()
        model.reload()
        server = window.api_server
        server.apply(settings)
        while server.state == "starting":
            await asyncio.sleep(0.05)
        if server.state != "on":
            raise SystemExit(f"the window's API did not start: {server.status_text()}")
        import gc

        gc.collect()
        gc.freeze()              # as the app does after its first paint (app/gc_pause.py)
        gc_started: list[float] = []

        def gc_watch(phase: str, _info: dict) -> None:
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started:
                gc_pauses.append((time.perf_counter() - gc_started.pop()) * 1000)
        gc.callbacks.append(gc_watch)
        clock = QElapsedTimer()
        clock.start()
        beat = QTimer()
        beat.setInterval(HEARTBEAT_MS)

        def tick() -> None:
            gaps.append(clock.restart() - HEARTBEAT_MS)
        beat.timeout.connect(tick)
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--clients-only", server.address, str(agent_id),
            "--clients", str(args.clients), "--rounds", str(args.rounds),
            "--spread-ms", str(args.spread_ms),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        beat.start()
        out, _ = await process.communicate()
        beat.stop()
        gc.callbacks.remove(gc_watch)
        server.close()
        window.close()
        await bridge.shutdown()
        await store.close()
        loaded = json.loads(out)
        return {"requests": server.requests, "client_p99_ms": loaded["p99_ms"],
                "tokens": loaded["tokens"], "failures": loaded["failures"]}

    result = loop.run_until_complete(main())
    result["stall_max_ms"] = max(gaps, default=0.0)
    result["stall_p99_ms"] = percentile(gaps, 0.99)
    result["stalls_over_50_ms"] = sum(gap > GOAL_STALL_MS for gap in gaps)
    result["heartbeats"] = len(gaps)
    result["gc_longest_ms"] = max(gc_pauses, default=0.0)
    return result


def _clients_only(url: str, agent_id: int, clients: int, rounds: int,
                  spread_ms: float) -> None:
    total = Load()
    for round_ in range(rounds):
        got = asyncio.run(run_load("api", url, clients, agent_id, spread_ms, seed=round_))
        total.latencies_ms += got.latencies_ms
        total.tokens += got.tokens
        total.failures += got.failures
    print(json.dumps({"p99_ms": percentile(total.latencies_ms, 0.99), "tokens": total.tokens,
                      "failures": total.failures[:5]}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=100, help="tokens per reply")
    parser.add_argument("--gap-ms", type=float, default=2.0,
                        help="the model server's pause between tokens")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spread-ms", type=float, default=0.0,
                        help="start each client after its own random offset below this "
                             "(0: all at once)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--provider-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients-only", nargs=2, metavar=("URL", "AGENT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.provider_only:
        asyncio.run(_provider_main(args.tokens, args.gap_ms))
        return 0
    if args.clients_only:
        _clients_only(args.clients_only[0], int(args.clients_only[1]), args.clients,
                      args.rounds, args.spread_ms)
        return 0

    provider, port = _start_provider(args.tokens, args.gap_ms)
    try:
        served = phase_serve(args, port)
        window = phase_window(args, served.pop("env"), served.pop("agent_id"))
    finally:
        provider.terminate()
        provider.wait(10)
    ok = (served["added_p99_ms"] <= GOAL_ADDED_P99_MS
          and window["stall_max_ms"] <= GOAL_STALL_MS
          and not (served["api"]["failures"] or window["failures"]))
    report = {"clients": args.clients, "tokens_per_reply": args.tokens,
              "gap_ms": args.gap_ms, "spread_ms": args.spread_ms, "rounds": args.rounds,
              "serve": served,
              "window": window, "goals_met": ok}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        d, a = served["direct"], served["api"]
        starts = (f"starting within {args.spread_ms:.0f} ms" if args.spread_ms
                  else "starting together")
        print(f"{args.clients} streaming clients x {args.rounds} rounds, "
              f"{args.tokens} tokens each, {args.gap_ms} ms apart, {starts}")
        print(f"  direct to the model server: p50 {d['p50_ms']:.2f} ms  p99 "
              f"{d['p99_ms']:.2f} ms per token, {d['tokens_per_s']:.0f} tokens/s")
        print(f"  through agentdesk serve:    p50 {a['p50_ms']:.2f} ms  p99 "
              f"{a['p99_ms']:.2f} ms per token, {a['tokens_per_s']:.0f} tokens/s")
        print(f"  added per token: p50 {served['added_p50_ms']:.2f} ms, "
              f"p99 {served['added_p99_ms']:.2f} ms (goal <= {GOAL_ADDED_P99_MS} ms); "
              f"serve's CPU {served['serve_cpu_us_per_token']:.0f} us per token")
        print(f"  window serving the same load: longest loop stall "
              f"{window['stall_max_ms']:.0f} ms, p99 {window['stall_p99_ms']:.0f} ms "
              f"(goal <= {GOAL_STALL_MS:.0f} ms), {window['stalls_over_50_ms']} of "
              f"{window['heartbeats']} beats over it; longest GC pause "
              f"{window['gc_longest_ms']:.0f} ms; {window['requests']} requests")
        for failure in a["failures"] + window["failures"]:
            print(f"  failure: {failure}")
        print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
