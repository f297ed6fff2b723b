"""Make tests/reliability/fixtures/schema-v<N>.db: the data of
schema_fixture_data.py written by the AgentDesk code of each earlier schema
version, taken from this repository's git history.

    .venv/bin/python tests/reliability/make_schema_fixtures.py [--versions 3 4 ...]

For each version N it finds the last commit whose app/store/migrations.py had
N steps, exports that commit's ``app/`` into a temporary folder and runs a
child Python with only that ``app`` importable, which writes the data through
that version's own Store and domain models. Versions 1 and 2 never shipped a
Store of their own in this history: they are made with the version-3 code's
migrations stopped at that version (``migrate(db, target=N)``) and plain SQL
inserts into the tables of that schema. Run it again only to add the version
the newest release had before a new migration; the files are committed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MIGRATIONS = "app/store/migrations.py"

_WITH_STORE = r'''
import json, sys
sys.path.insert(0, {data_dir!r})
from schema_fixture_data import AGENTS, CONVERSATIONS, PROVIDERS
from app.store import Store
from app.domain import AgentSpec, Message, ProviderConfig
store = Store({path!r})
for provider in PROVIDERS:
    store.providers.create(ProviderConfig(**provider))
agents = {{a["name"]: store.agents.create(AgentSpec(**a)).id for a in AGENTS}}
for agent, title, pinned, archived, messages in CONVERSATIONS:
    chat = store.conversations.create(agents[agent], title)
    for fields in messages:
        store.messages.add(Message(conversation_id=chat.id, **fields))
    flags = []
    if pinned:
        flags.append("pinned = 1")
    if archived:
        flags.append("archived = 1")
    if flags:
        store.db.execute_sql(f"UPDATE conversations SET {{', '.join(flags)}} WHERE id = ?",
                             (chat.id,))
store.close()
'''

_WITHOUT_STORE = r'''
import json, sys
sys.path.insert(0, {data_dir!r})
from schema_fixture_data import AGENTS, CONVERSATIONS, PROVIDERS
from app.store.database import open_database
from app.store.migrations import migrate
NOW = "2026-11-20T09:30:00+00:00"
db = open_database({path!r})
migrate(db, target={version})
with db.atomic():
    for p in PROVIDERS:
        db.execute_sql("INSERT INTO providers(name, kind, base_url, api_key_ref, is_local) "
                       "VALUES (?, ?, ?, ?, ?)", (p["name"], p["kind"], p["base_url"],
                                                  p.get("api_key_ref"), int(p["is_local"])))
    ids = {{}}
    for a in AGENTS:
        cursor = db.execute_sql(
            "INSERT INTO agents(name, system_prompt, provider, model, temperature, max_tokens,"
            " streaming, tools, local_only, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (a["name"], a["system_prompt"], a["provider"], a["model"], a["temperature"],
             a["max_tokens"], int(a["streaming"]), json.dumps(a["tools"]),
             int(a["local_only"]), NOW, NOW))
        ids[a["name"]] = cursor.lastrowid
    for agent, title, pinned, archived, messages in CONVERSATIONS:
        chat = db.execute_sql(
            "INSERT INTO conversations(agent_id, title, pinned, archived, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (ids[agent], title, int(pinned), int(archived), NOW, NOW)).lastrowid
        for m in messages:
            db.execute_sql(
                "INSERT INTO messages(conversation_id, role, content, tool_calls, tool_call_id,"
                " status, model, provider, usage, error, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (chat, m["role"], m["content"], json.dumps(m.get("tool_calls", [])),
                 m.get("tool_call_id"), m.get("status", "complete"), m.get("model"),
                 m.get("provider"), json.dumps(m["usage"]) if "usage" in m else None,
                 m.get("error"), NOW, NOW))
db.close()
'''


def step_counts() -> dict[int, str]:
    """Schema version -> the last commit whose migrations had that many steps."""
    commits = subprocess.run(["git", "log", "--format=%H", "--", MIGRATIONS], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    found: dict[int, str] = {}
    for commit in commits:                       # newest first: keep the first seen
        text = subprocess.run(["git", "show", f"{commit}:{MIGRATIONS}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        match = re.search(r"STEPS[^=]*=\s*\((.*?)\)\n", text, re.S)
        if match:
            found.setdefault(len([s for s in match.group(1).split(",") if s.strip()]),
                             commit)
    return found


def export_app(commit: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "app"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def make(version: int, commit: str, with_store: bool) -> Path:
    target = FIXTURES / f"schema-v{version}.db"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"agentdesk-v{version}-") as folder:
        export_app(commit, Path(folder))
        template = _WITH_STORE if with_store else _WITHOUT_STORE
        code = template.format(data_dir=str(Path(__file__).parent), path=str(target),
                               version=version)
        subprocess.run([sys.executable, "-c", code], cwd=folder, check=True,
                       env={"PYTHONPATH": folder, "PATH": "/usr/bin:/bin"})
    import sqlite3

    db = sqlite3.connect(target)     # one self-contained, small file
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("VACUUM")
    found = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    if found != version:
        raise SystemExit(f"{target} has schema version {found}, expected {version}")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, nargs="*")
    args = parser.parse_args()
    commits = step_counts()
    oldest = min(commits)
    FIXTURES.mkdir(exist_ok=True)
    for version in args.versions or range(1, max(commits) + 1):
        if version in commits:
            path = make(version, commits[version], with_store=True)
        else:
            path = make(version, commits[oldest], with_store=False)
        print(f"schema v{version}: {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
