"""AgentDesk — a local-first desktop workbench for AI agents."""

__version__ = "0.1.0"
