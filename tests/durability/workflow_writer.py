"""A process that runs a chain workflow and is killed mid-run (see
test_workflow_crash.py): step 1 answers, step 2 streams some text and then
waits forever. Prints ``step-end N STATUS`` after each step's end is stored.

Usage: python workflow_writer.py DB_PATH
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.domain import TextDelta  # noqa: E402
from app.domain.workflow import StepEnd, WorkflowSpec  # noqa: E402
from app.settings import AppSettings  # noqa: E402
from app.store import AsyncStore  # noqa: E402
from tests.support.scripted_providers import answer  # noqa: E402
from tests.support.workflow_helpers import (  # noqa: E402
    Cast,
    WorkflowSetup,
    seed_workflow,
    start,
)

SPEC = WorkflowSpec(name="Crash", kind="chain", agents=["First", "Second"])


async def main(path: Path) -> None:
    cast = Cast()
    cast.add("First", answer("first answer, complete"))
    cast.add("Second", [TextDelta(text="second, cut "), TextDelta(text="short"), 600.0])
    store = await AsyncStore.open(path)

    spec = await store.run(lambda s: seed_workflow(s, cast, SPEC))
    setup = WorkflowSetup(store, path, AppSettings(stream_flush_seconds=0.05,
                                                   home=path.parent), spec)
    _prepared, events = await start(setup, cast, "the question")
    async for event in events:
        if isinstance(event, StepEnd):
            print(f"step-end {event.step} {event.status}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
