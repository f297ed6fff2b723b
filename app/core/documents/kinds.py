"""Which kind of document a file is, from its name (and, for names we do not
know, from whether its bytes look like text)."""

from __future__ import annotations

from pathlib import PurePath

from app.core.documents.model import DocumentKind

_BY_SUFFIX: dict[str, DocumentKind] = {
    ".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown",
    ".txt": "text", ".text": "text", ".log": "text", ".csv": "text", ".tsv": "text",
    ".rst": "text", ".org": "text", ".tex": "text", ".srt": "text", ".vtt": "text",
}

#: Source code and configuration: read as text, fenced with their language.
CODE_LANGUAGES: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".ts": "typescript", ".tsx": "tsx", ".jsx": "jsx",
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
    ".hh": "cpp", ".cs": "csharp", ".go": "go", ".rs": "rust", ".rb": "ruby",
    ".php": "php", ".swift": "swift", ".m": "objectivec", ".lua": "lua", ".pl": "perl",
    ".r": "r", ".jl": "julia", ".dart": "dart", ".ex": "elixir", ".exs": "elixir",
    ".erl": "erlang", ".hs": "haskell", ".ml": "ocaml", ".clj": "clojure",
    ".sh": "bash", ".bash": "bash", ".zsh": "zsh", ".fish": "fish", ".ps1": "powershell",
    ".bat": "batch", ".sql": "sql", ".css": "css", ".scss": "scss", ".less": "less",
    ".json": "json", ".jsonl": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
    ".ini": "ini", ".cfg": "ini", ".conf": "ini", ".xml": "xml", ".svg": "xml",
    ".proto": "protobuf", ".graphql": "graphql", ".vue": "vue", ".svelte": "svelte",
    ".cmake": "cmake", ".gradle": "groovy", ".tf": "hcl", ".dockerfile": "dockerfile",
}
_CODE_NAMES = {"makefile": "make", "dockerfile": "dockerfile", "cmakelists.txt": "cmake",
               "justfile": "make", "gemfile": "ruby", "rakefile": "ruby"}

#: Every suffix the converter takes (for file dialogs and folder scans).
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX) | frozenset(CODE_LANGUAGES)


def kind_of(name: str | PurePath) -> DocumentKind | None:
    """The document kind for a file name, or None when the name says nothing
    we know (the caller may still sniff its bytes with ``looks_like_text``)."""
    path = PurePath(name)
    lower = path.name.lower()
    if lower in _CODE_NAMES:
        return "code"
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return "code" if suffix in CODE_LANGUAGES else None


def code_language(name: str | PurePath) -> str:
    """The fence language for a source file ("" when unknown)."""
    path = PurePath(name)
    return _CODE_NAMES.get(path.name.lower()) or CODE_LANGUAGES.get(path.suffix.lower(), "")
