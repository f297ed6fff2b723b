"""Knowledge folders: per-agent files indexed into the database and searched
by keyword (FTS5) and meaning (embeddings), fused. See docs/ARCHITECTURE.md,
"Knowledge folders"."""
