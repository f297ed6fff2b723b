"""Agent tools: the protocol (base.py) and the built-in tools."""

from app.core.tools.base import (
    ApprovalPolicy,
    ApprovalRequest,
    Approver,
    FunctionTool,
    RiskLevel,
    Tool,
    ToolContext,
    ToolError,
    ToolOutcome,
    ToolRegistry,
    deny_all,
    execute_tool,
    tool,
)

__all__ = ["ApprovalPolicy", "ApprovalRequest", "Approver", "FunctionTool", "RiskLevel",
           "Tool", "ToolContext", "ToolError", "ToolOutcome", "ToolRegistry", "deny_all",
           "execute_tool", "tool"]
