"""Pure-Python application logic (no Qt): runner, tools, routing, recording."""
