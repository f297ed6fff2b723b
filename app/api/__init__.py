"""The local HTTP API (FastAPI): the requirements' endpoints under /api and
/health, the OpenAI-compatible /v1 (openai_compat.py). Entry point like the
CLI: routes translate HTTP to app/ops calls and back; no queries here."""
