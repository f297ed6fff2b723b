"""The ``knowledge_search`` tool: the agent searches its own knowledge folders.

Offered by the runner to an agent whose retrieval is ``tool`` (it is not in
any tool list a person picks). The search and the numbering of what it finds
belong to the turn (``context.knowledge``, app/core/knowledge/turn.py), so a
chunk keeps its number across calls and the reply can cite it.
"""

from __future__ import annotations

from typing import Any

from app.core.knowledge.turn import KnowledgeTurn, excerpts
from app.core.tools.base import Tool, ToolContext, ToolError

NAME = "knowledge_search"
MAX_QUERY_CHARS = 500


class KnowledgeSearchTool(Tool):
    name = NAME
    description = ("Search the user's own files (this agent's knowledge folders) for "
                   "passages about a question. Returns numbered excerpts; cite the ones you "
                   "use by their number in square brackets, like [1].")
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"query": {"type": "string",
                                 "description": "what to look for, in a few words"}},
        "required": ["query"],
    }
    timeout = 60.0

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ToolError("give a query: what to look for in the user's files")
        return {"query": query.strip()[:MAX_QUERY_CHARS]}

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        turn = context.knowledge
        if not isinstance(turn, KnowledgeTurn):
            raise ToolError("this agent has no knowledge folders to search")
        return excerpts(await turn.find(arguments["query"]))
