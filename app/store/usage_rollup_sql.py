"""Frozen SQL of schema v12: the usage rollup and the triggers that keep it.

Part of the migration ladder (app/store/migrations.py ``_v12_usage_rollup``):
once released, nothing here changes; a later change is a new step.

``usage_rollup`` holds one row per (UTC day, agent, provider, model) with the
sums the dashboard reads: replies, tokens in and out, time-to-first-token and
tokens/s sums and counts plus fixed histogram buckets, tool calls and tool
errors. Triggers on ``messages`` add a row's contribution on insert, move it
on an update of the columns it depends on and take it away on delete, so every
writer (the window, the CLI, the HTTP API, an import, another process) keeps it
true without knowing it exists. Reading it costs a few thousand rows instead of
parsing a million JSON usage blobs.

What counts: an ``assistant`` message with a ``usage`` document (any status: a
stopped reply used its tokens too), and every ``tool`` message (one tool call
run; status ``error`` is a tool error). Tool rows have no provider or model
('' in the key). Unreadable usage JSON or a non-number field counts as absent,
never as an error: a damaged row must not break a write.

A deleted chat's messages are taken away by a trigger on ``conversations``
(before the delete, while its messages still name it): SQLite runs the
cascade's message triggers after the conversation row is gone, so those skip
rows whose conversation no longer exists.
"""

#: Upper bounds (exclusive) of the time-to-first-token buckets, milliseconds;
#: the last bucket is everything above the last bound.
TTFT_BOUNDS_MS = (100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)
#: Upper bounds (exclusive) of the tokens/s buckets.
TPS_BOUNDS = (5, 10, 15, 20, 30, 40, 60, 80, 100, 150, 200)
BUCKETS = len(TTFT_BOUNDS_MS) + 1

TTFT_COLUMNS = tuple(f"ttft_b{i}" for i in range(BUCKETS))
TPS_COLUMNS = tuple(f"tps_b{i}" for i in range(BUCKETS))
KEY_COLUMNS = ("day", "agent_id", "provider", "model")
SUM_COLUMNS = ("replies", "prompt_tokens", "completion_tokens", "ttft_n", "ttft_sum",
               "tps_n", "tps_sum", "tool_calls", "tool_errors") + TTFT_COLUMNS + TPS_COLUMNS

CREATE_TABLE = (
    "CREATE TABLE usage_rollup (\n"
    "    day TEXT NOT NULL, agent_id INTEGER NOT NULL,\n"
    "    provider TEXT NOT NULL, model TEXT NOT NULL,\n"
    "    replies INTEGER NOT NULL DEFAULT 0,\n"
    "    prompt_tokens INTEGER NOT NULL DEFAULT 0,\n"
    "    completion_tokens INTEGER NOT NULL DEFAULT 0,\n"
    "    ttft_n INTEGER NOT NULL DEFAULT 0, ttft_sum REAL NOT NULL DEFAULT 0,\n"
    "    tps_n INTEGER NOT NULL DEFAULT 0, tps_sum REAL NOT NULL DEFAULT 0,\n"
    "    tool_calls INTEGER NOT NULL DEFAULT 0, tool_errors INTEGER NOT NULL DEFAULT 0,\n"
    + "".join(f"    {c} INTEGER NOT NULL DEFAULT 0,\n" for c in TTFT_COLUMNS + TPS_COLUMNS)
    + "    PRIMARY KEY (day, agent_id, provider, model)\n"
    ") WITHOUT ROWID"
)

CREATE_AGENT_INDEX = "CREATE INDEX usage_rollup_agent ON usage_rollup(agent_id, day)"

#: The user's price table (USD per million tokens); empty = the built-in
#: estimates (app/core/usage_prices.py). ``is_reference``: the cloud model
#: local runs are priced as, for "cost saved".
CREATE_PRICES = (
    "CREATE TABLE usage_prices (\n"
    "    model TEXT PRIMARY KEY COLLATE NOCASE,\n"
    "    input_per_mtok REAL NOT NULL, output_per_mtok REAL NOT NULL,\n"
    "    is_reference INTEGER NOT NULL DEFAULT 0\n"
    ")"
)


def _number(document: str, field: str, cast: str) -> str:
    """A usage field as a number, or NULL when absent or not a number
    (``document`` is NULL when the usage is no valid JSON)."""
    return (f"(CASE WHEN json_type({document}, '$.{field}') IN ('integer', 'real')"
            f" THEN CAST(json_extract({document}, '$.{field}') AS {cast}) END)")


def _bucket(value: str, bounds: tuple[int, ...]) -> str:
    whens = " ".join(f"WHEN {value} < {bound} THEN {i}" for i, bound in enumerate(bounds))
    return f"(CASE {whens} ELSE {len(bounds)} END)"


#: Keeps SQLite from flattening a subquery into the outer query, which would
#: copy its JSON expressions into every one of the outer terms that read them
#: (two dozen bucket columns: ~100x the work, two minutes for a million rows).
_NO_FLATTEN = "LIMIT -1 OFFSET 0"


def _source(row: str, agent: str, where: str) -> str:
    """The counted rows of ``row`` (NEW, OLD or a table alias) as ``r``: the
    usage JSON validated once, its four numbers read once, their buckets."""
    base = (f"SELECT {row}.created_at AS created_at, {row}.role AS role,"
            f" {row}.status AS status, {row}.provider AS provider, {row}.model AS model,"
            f" {agent} AS agent,"
            f" CASE WHEN json_valid({row}.usage) THEN {row}.usage END AS uj"
            f" {where} {_NO_FLATTEN}")
    numbers = (f"SELECT j.*, {_number('j.uj', 'prompt_tokens', 'INTEGER')} AS pt,"
               f" {_number('j.uj', 'completion_tokens', 'INTEGER')} AS ct,"
               f" {_number('j.uj', 'ttft_ms', 'REAL')} AS ttft,"
               f" {_number('j.uj', 'tokens_per_s', 'REAL')} AS tps"
               f" FROM ({base}) AS j {_NO_FLATTEN}")
    return (f"SELECT k.*, {_bucket('k.ttft', TTFT_BOUNDS_MS)} AS tb,"
            f" {_bucket('k.tps', TPS_BOUNDS)} AS sb FROM ({numbers}) AS k {_NO_FLATTEN}")


#: One rollup key and the signed sums of the rows in ``r``, in column order.
def _values(sign: int, total: bool) -> list[str]:
    agg = (lambda e: f"{sign} * sum({e})") if total else (lambda e: f"{sign} * ({e})")
    reply = "(r.role = 'assistant')"
    terms = [reply, "coalesce(r.pt, 0)", "coalesce(r.ct, 0)", "(r.ttft IS NOT NULL)",
             "coalesce(r.ttft, 0)", "(r.tps IS NOT NULL)", "coalesce(r.tps, 0)",
             "(r.role = 'tool')", "(r.role = 'tool' AND r.status = 'error')"]
    terms += [f"(r.ttft IS NOT NULL AND r.tb = {i})" for i in range(BUCKETS)]
    terms += [f"(r.tps IS NOT NULL AND r.sb = {i})" for i in range(BUCKETS)]
    return [*_KEY_VALUES, *(agg(t) for t in terms)]


_KEY_VALUES = ("substr(r.created_at, 1, 10)", "r.agent",
               "CASE WHEN r.role = 'assistant' THEN coalesce(r.provider, '') ELSE '' END",
               "CASE WHEN r.role = 'assistant' THEN coalesce(r.model, '') ELSE '' END")
_UPSERT = (f"INSERT INTO usage_rollup ({', '.join(KEY_COLUMNS + SUM_COLUMNS)}) {{select}}"
           " ON CONFLICT (day, agent_id, provider, model) DO UPDATE SET "
           + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS))


def _counted(row: str) -> str:
    return f"(({row}.role = 'assistant' AND {row}.usage IS NOT NULL) OR {row}.role = 'tool')"


def _apply(row: str, sign: int) -> str:
    """The trigger statement adding (1) or taking away (-1) one message row."""
    agent = f"(SELECT agent_id FROM conversations WHERE id = {row}.conversation_id)"
    source = _source(row, agent, f"WHERE {_counted(row)}")
    select = (f"SELECT {', '.join(_values(sign, False))} FROM ({source}) AS r"
              " WHERE r.agent IS NOT NULL")
    return _UPSERT.format(select=select) + ";"


def grouped(sign: int, where: str) -> str:
    """Upsert of every counted message matching ``where`` (alias ``m``), summed per key."""
    source = _source("m", "c.agent_id", "FROM messages AS m JOIN conversations AS c"
                     f" ON c.id = m.conversation_id WHERE {_counted('m')} AND {where}")
    keys = ", ".join(_KEY_VALUES)
    select = (f"SELECT {', '.join(_values(sign, True))} FROM ({source}) AS r"
              f" WHERE true GROUP BY {keys}")
    return _UPSERT.format(select=select)


#: Columns whose change moves a message's contribution (content flushes do not fire).
WATCHED = "role, status, usage, provider, model, created_at, conversation_id"

TRIGGERS = (
    "CREATE TRIGGER usage_rollup_insert AFTER INSERT ON messages BEGIN\n"
    f"    {_apply('NEW', 1)}\nEND",
    f"CREATE TRIGGER usage_rollup_update AFTER UPDATE OF {WATCHED} ON messages BEGIN\n"
    f"    {_apply('OLD', -1)}\n    {_apply('NEW', 1)}\nEND",
    "CREATE TRIGGER usage_rollup_delete AFTER DELETE ON messages BEGIN\n"
    f"    {_apply('OLD', -1)}\nEND",
    "CREATE TRIGGER usage_rollup_conversation_delete BEFORE DELETE ON conversations BEGIN\n"
    f"    {grouped(-1, 'm.conversation_id = OLD.id')};\nEND",
    "CREATE TRIGGER usage_rollup_agent_delete AFTER DELETE ON agents BEGIN\n"
    "    DELETE FROM usage_rollup WHERE agent_id = OLD.id;\nEND",
)

#: Fills the rollup from the messages already stored (the migration's cost).
BACKFILL = grouped(1, "true")
