"""Read a GGUF model file's header without loading the model.

Used by the embedded engine to tell a GGUF file from anything else (four magic
bytes) and to describe a model (architecture, quantization, context length)
for model lists, which must not cost a model load. Format:
https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any, BinaryIO

from app.domain.live_files import is_live

GGUF_MAGIC = b"GGUF"

# value type -> struct format of one scalar (8 = string, 9 = array are special)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_MAX_STRING = 64 * 1024 * 1024  # a longer "string" means a corrupt file

# llama.cpp's llama_ftype values (general.file_type) -> the usual names.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0",
}
_QUANT_IN_NAME = re.compile(r"(?i)(?:^|[-_.])((?:i?q\d(?:_[a-z0-9]+)*)|bf16|f16|f32)$")


class GGUFError(ValueError):
    """The file is not a readable GGUF file."""


def is_gguf(path: Path | str) -> bool:
    """True when the file starts with the GGUF magic bytes (no model load)."""
    if is_live(path):   # the open database: opening it would drop SQLite's locks
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def read_metadata(path: Path | str, wanted: set[str] | None = None) -> dict[str, Any]:
    """The header's key/value metadata. Arrays are skipped (not returned).

    With ``wanted``, reading stops as soon as all those keys were seen, which
    avoids walking the (large) tokenizer arrays for the common keys.
    Raises GGUFError for a file that is not GGUF or is cut short.
    """
    if is_live(path):   # the open database: opening it would drop SQLite's locks
        raise GGUFError(f"{path}: AgentDesk's open database, not a GGUF file")
    try:
        with open(path, "rb", buffering=1 << 20) as handle:
            return _read(handle, wanted)
    except struct.error as exc:
        raise GGUFError(f"{path}: truncated GGUF header") from exc


def _read(handle: BinaryIO, wanted: set[str] | None) -> dict[str, Any]:
    if handle.read(4) != GGUF_MAGIC:
        raise GGUFError(f"{handle.name}: not a GGUF file")
    (version,) = _unpack(handle, "<I")
    if version < 2:
        raise GGUFError(f"{handle.name}: GGUF version {version} is too old")
    _tensor_count, kv_count = _unpack(handle, "<QQ")
    found: dict[str, Any] = {}
    for _ in range(kv_count):
        key = _string(handle)
        (value_type,) = _unpack(handle, "<I")
        if value_type == _ARRAY:
            _skip_array(handle)
        else:
            found[key] = _value(handle, value_type)
        if wanted is not None and wanted.issubset(found):
            break
    return found


def _unpack(handle: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise struct.error("unexpected end of file")
    return struct.unpack(fmt, data)


def _string(handle: BinaryIO) -> str:
    (length,) = _unpack(handle, "<Q")
    if length > _MAX_STRING:
        raise GGUFError(f"{handle.name}: corrupt GGUF string length {length}")
    data = handle.read(length)
    if len(data) != length:
        raise struct.error("unexpected end of file")
    return data.decode("utf-8", errors="replace")


def _value(handle: BinaryIO, value_type: int) -> Any:
    if value_type == _STRING:
        return _string(handle)
    fmt = _SCALARS.get(value_type)
    if fmt is None:
        raise GGUFError(f"{handle.name}: unknown GGUF value type {value_type}")
    return _unpack(handle, fmt)[0]


def _skip_array(handle: BinaryIO) -> None:
    item_type, count = _unpack(handle, "<IQ")
    if item_type == _STRING:
        for _ in range(count):
            (length,) = _unpack(handle, "<Q")
            handle.seek(length, 1)
    elif item_type == _ARRAY:
        for _ in range(count):
            _skip_array(handle)
    elif item_type in _SCALARS:
        handle.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
    else:
        raise GGUFError(f"{handle.name}: unknown GGUF array type {item_type}")


def quantization(metadata: dict[str, Any], stem: str) -> str | None:
    """The quantization name from ``general.file_type``, else from the file
    name (``gemma-3-270m-q4_k_m`` -> ``Q4_K_M``)."""
    file_type = metadata.get("general.file_type")
    if isinstance(file_type, int) and file_type in FILE_TYPES:
        return FILE_TYPES[file_type]
    match = _QUANT_IN_NAME.search(stem)
    return match.group(1).upper() if match else None


CHAT_TEMPLATE_KEY = "tokenizer.chat_template"
# Words in general.finetune / general.name / the file name that say how a
# model was trained: "gemma-3-270m-it", "Qwen2.5 7B Instruct", "Llama-3-8B-base".
_TUNED_WORDS = re.compile(r"(?i)(?:^|[^a-z0-9])(it|instruct|chat|sft|dpo|rlhf|assistant)"
                          r"(?=$|[^a-z0-9])")
_BASE_WORDS = re.compile(r"(?i)(?:^|[^a-z0-9])(base|pt|pretrain|pretrained)(?=$|[^a-z0-9])")


def chat_template(metadata: dict[str, Any]) -> str | None:
    """The model's own Jinja chat template (``tokenizer.chat_template``), if any."""
    value = metadata.get(CHAT_TEMPLATE_KEY)
    return value if isinstance(value, str) and value.strip() else None


def instruction_tuned(metadata: dict[str, Any], stem: str = "") -> bool:
    """Whether the model was tuned to follow chat turns (else it is a base
    model that only continues text).

    A model without a chat template is taken as a base model: nothing tells
    the engine how to write a conversation for it, and the GGUF converters
    copy the template of every instruction-tuned model they convert. With a
    template, ``general.finetune`` / ``general.name`` / the file name saying
    "base" or "pt" (and not "it"/"instruct"/"chat") still mark a base model —
    some base releases ship their family's template."""
    if chat_template(metadata) is None:
        return False
    names = " ".join(str(metadata.get(key) or "") for key in
                     ("general.finetune", "general.name")) + " " + stem
    return bool(_TUNED_WORDS.search(names)) or not _BASE_WORDS.search(names)
