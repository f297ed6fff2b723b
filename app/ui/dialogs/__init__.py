"""Dialogs: the agent editor (``agentDialog``) and the settings (``settingsDialog``).

Both are opened with ``open()`` and report through signals; see each module.
"""
