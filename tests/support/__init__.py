"""Helpers shared by several test folders (servers the tests start)."""
