"""peewee table classes mirroring the migrated schema (see migrations.py).

The classes here are unbound templates. ``bind_tables`` makes subclasses bound
to one database, so several stores (tests, benchmarks, the CLI next to a
running GUI) can be open in one process without sharing global state. Tables
are never created from these classes: migrations own the schema.
"""

from dataclasses import dataclass

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CompositeKey,
    FloatField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

from app.store.usage_rollup_sql import KEY_COLUMNS, SUM_COLUMNS


class _AgentRow(Model):
    id = AutoField()
    name = TextField()
    system_prompt = TextField(default="")
    provider = TextField(default="")
    model = TextField(default="")
    temperature = FloatField(default=0.7)
    max_tokens = IntegerField(default=2048)
    streaming = BooleanField(default=True)
    tools = TextField(default="[]")
    fallbacks = TextField(default="[]")
    local_only = BooleanField(default=False)
    max_turns = IntegerField(null=True)
    tool_policies = TextField(default="{}")
    workspace = TextField(null=True)
    generation = TextField(default="{}")
    python_unisolated = BooleanField(default=False)
    api_tools = TextField(default="[]")
    revision = IntegerField(default=1)
    created_at = TextField()
    updated_at = TextField()


class _AgentRevisionRow(Model):
    id = AutoField()
    agent_id = IntegerField()
    revision = IntegerField()
    spec = TextField()
    created_at = TextField()


class _ProviderRow(Model):
    id = AutoField()
    name = TextField()
    kind = TextField()
    base_url = TextField(default="")
    api_key_ref = TextField(null=True)
    model_path = TextField(null=True)
    enabled = BooleanField(default=True)
    is_local = BooleanField(default=True)


class _ConversationRow(Model):
    id = AutoField()
    agent_id = IntegerField()
    title = TextField(default="New chat")
    pinned = BooleanField(default=False)
    archived = BooleanField(default=False)
    active_leaf_id = IntegerField(null=True)
    origin = TextField(default="app")
    created_at = TextField()
    updated_at = TextField()


class _MessageRow(Model):
    id = AutoField()
    conversation_id = IntegerField()
    role = TextField()
    content = TextField(default="")
    tool_calls = TextField(default="[]")
    tool_call_id = TextField(null=True)
    status = TextField(default="complete")
    model = TextField(null=True)
    provider = TextField(null=True)
    usage = TextField(null=True)
    error = TextField(null=True)
    agent_revision = IntegerField(null=True)
    meta = TextField(default="{}")
    parent_id = IntegerField(null=True)
    attachments = TextField(default="[]")
    created_at = TextField()
    updated_at = TextField()


class _MemoryRow(Model):
    id = AutoField()
    agent_id = IntegerField()
    content = TextField()
    created_at = TextField()
    updated_at = TextField()


class _CustomToolRow(Model):
    id = AutoField()
    name = TextField()
    path = TextField()
    sha256 = TextField()
    enabled = BooleanField(default=False)
    approved_sha256 = TextField(null=True)


class _McpServerRow(Model):
    id = AutoField()
    name = TextField()
    transport = TextField()
    command = TextField(null=True)
    args = TextField(default="[]")
    url = TextField(null=True)
    env = TextField(default="{}")
    enabled = BooleanField(default=False)
    approved_fingerprint = TextField(null=True)


class _ConversationImportRow(Model):
    id = AutoField()
    conversation_id = IntegerField()
    fingerprint = TextField()
    source = TextField(default="")
    imported_at = TextField()


class _UsagePriceRow(Model):
    model = TextField(primary_key=True)
    input_per_mtok = FloatField()
    output_per_mtok = FloatField()
    is_reference = BooleanField(default=False)


def _usage_rollup_template() -> type[Model]:
    """The rollup's key and its 33 sums (two of them REAL), read from the SQL."""
    fields: dict = {"day": TextField(), "agent_id": IntegerField(),
                    "provider": TextField(), "model": TextField()}
    for column in SUM_COLUMNS:
        fields[column] = (FloatField(default=0) if column.endswith("_sum")
                          else IntegerField(default=0))
    meta = type("Meta", (), {"primary_key": CompositeKey(*KEY_COLUMNS), "without_rowid": True})
    return type("_UsageRollupRow", (Model,), {**fields, "Meta": meta})


_UsageRollupRow = _usage_rollup_template()


class _KnowledgeSettingsRow(Model):
    agent_id = IntegerField(primary_key=True)
    retrieval = TextField(default="off")
    embed_provider = TextField(default="")
    embed_model = TextField(default="")
    top_k = IntegerField(default=5)


class _KnowledgeSourceRow(Model):
    id = AutoField()
    agent_id = IntegerField()
    path = TextField()
    added_at = TextField()


class _KnowledgeFileRow(Model):
    id = AutoField()
    source_id = IntegerField()
    agent_id = IntegerField()
    path = TextField()
    mtime_ns = IntegerField(default=0)
    size = IntegerField(default=0)
    sha256 = TextField(default="")
    status = TextField(default="indexed")
    error = TextField(default="")
    embed_model = TextField(default="")
    chunk_count = IntegerField(default=0)
    indexed_at = TextField()


class _KnowledgeChunkRow(Model):
    id = AutoField()
    file_id = IntegerField()
    agent_id = IntegerField()
    ordinal = IntegerField()
    location = TextField(default="")
    page = IntegerField(null=True)
    text = TextField()
    embedding = BlobField(null=True)


class _WorkflowRow(Model):
    id = AutoField()
    name = TextField()
    kind = TextField()
    spec = TextField(default="{}")
    revision = IntegerField(default=1)
    created_at = TextField()
    updated_at = TextField()


class _WorkflowRevisionRow(Model):
    id = AutoField()
    workflow_id = IntegerField()
    revision = IntegerField()
    spec = TextField()
    created_at = TextField()


_TEMPLATES: dict[str, tuple[type[Model], str]] = {
    "agent": (_AgentRow, "agents"),
    "agent_revision": (_AgentRevisionRow, "agent_revisions"),
    "provider": (_ProviderRow, "providers"),
    "conversation": (_ConversationRow, "conversations"),
    "message": (_MessageRow, "messages"),
    "memory": (_MemoryRow, "memories"),
    "custom_tool": (_CustomToolRow, "custom_tools"),
    "mcp_server": (_McpServerRow, "mcp_servers"),
    "conversation_import": (_ConversationImportRow, "conversation_imports"),
    "usage_rollup": (_UsageRollupRow, "usage_rollup"),
    "usage_price": (_UsagePriceRow, "usage_prices"),
    "knowledge_settings": (_KnowledgeSettingsRow, "knowledge_settings"),
    "knowledge_source": (_KnowledgeSourceRow, "knowledge_sources"),
    "knowledge_file": (_KnowledgeFileRow, "knowledge_files"),
    "knowledge_chunk": (_KnowledgeChunkRow, "knowledge_chunks"),
    "workflow": (_WorkflowRow, "workflows"),
    "workflow_revision": (_WorkflowRevisionRow, "workflow_revisions"),
}


@dataclass(frozen=True)
class Tables:
    agent: type[_AgentRow]
    agent_revision: type[_AgentRevisionRow]
    provider: type[_ProviderRow]
    conversation: type[_ConversationRow]
    message: type[_MessageRow]
    memory: type[_MemoryRow]
    custom_tool: type[_CustomToolRow]
    mcp_server: type[_McpServerRow]
    conversation_import: type[_ConversationImportRow]
    usage_rollup: type[Model]
    usage_price: type[_UsagePriceRow]
    knowledge_settings: type[_KnowledgeSettingsRow]
    knowledge_source: type[_KnowledgeSourceRow]
    knowledge_file: type[_KnowledgeFileRow]
    knowledge_chunk: type[_KnowledgeChunkRow]
    workflow: type[_WorkflowRow]
    workflow_revision: type[_WorkflowRevisionRow]


def bind_tables(db: SqliteDatabase) -> Tables:
    """Table classes bound to ``db``."""
    bound = {}
    for key, (template, table_name) in _TEMPLATES.items():
        meta = type("Meta", (), {"database": db, "table_name": table_name})
        bound[key] = type(template.__name__.lstrip("_"), (template,), {"Meta": meta})
    return Tables(**bound)
