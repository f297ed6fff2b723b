"""The shared vocabulary of AgentDesk.

Pydantic models used by every other package. This package imports no other
``app`` package (see docs/ARCHITECTURE.md, "Layers").
"""

from app.domain.agent import AgentRevision, AgentSpec, FallbackTarget
from app.domain.chat import (
    ChatMessage,
    ChatRequest,
    ConnectionReport,
    ModelInfo,
    ProbeResult,
    ToolSpec,
)
from app.domain.conversation import Conversation
from app.domain.events import (
    Done,
    Error,
    ErrorKind,
    RunEvent,
    Status,
    StopReason,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    Usage,
    parse_event,
)
from app.domain.message import Message, MessageStatus, Role, ToolCallRecord, UsageStats
from app.domain.provider import ProviderConfig, ProviderKind
from app.domain.search import SearchHit

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "ConnectionReport",
    "ModelInfo",
    "ProbeResult",
    "ToolSpec",
    "AgentRevision",
    "AgentSpec",
    "Conversation",
    "Done",
    "Error",
    "ErrorKind",
    "FallbackTarget",
    "Message",
    "MessageStatus",
    "ProviderConfig",
    "ProviderKind",
    "Role",
    "RunEvent",
    "SearchHit",
    "Status",
    "StopReason",
    "TextDelta",
    "ThinkingDelta",
    "ToolCall",
    "ToolCallRecord",
    "ToolResult",
    "Usage",
    "UsageStats",
    "parse_event",
]
