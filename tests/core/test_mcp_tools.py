"""MCP tool naming and result conversion (no server needed)."""

from __future__ import annotations

import base64

import mcp_types
import pytest

from app.core.tools.base import ToolError
from app.core.tools.mcp_client import describe_error, result_text
from app.core.tools.mcp_tools import MAX_NAME, VALID_TOOL_NAME, exposed_name, input_schema


def test_exposed_names_are_accepted_by_model_apis() -> None:
    assert exposed_name("files", "read") == "files__read"
    assert exposed_name("my server", "read.file/v2") == "my_server__read_file_v2"
    long_name = exposed_name("srv", "x" * 200)
    assert len(long_name) <= MAX_NAME and VALID_TOOL_NAME.match(long_name)
    assert long_name.startswith("srv__x")
    # Stable: the same tool gets the same name every time.
    assert exposed_name("srv", "x" * 200) == long_name


def test_names_that_collide_after_cleaning_stay_unique() -> None:
    first = exposed_name("s", "a.b")
    second = exposed_name("s", "a/b", taken={first})
    assert first == "s__a_b"
    assert second != first and VALID_TOOL_NAME.match(second)
    assert second.startswith("s__a_b_")


def test_text_blocks_are_joined() -> None:
    result = mcp_types.CallToolResult(content=[
        mcp_types.TextContent(type="text", text="one"),
        mcp_types.TextContent(type="text", text="two")])
    assert result_text(result) == "one\ntwo"


def test_images_and_binary_resources_become_notes() -> None:
    data = base64.b64encode(b"12345").decode()
    result = mcp_types.CallToolResult(content=[
        mcp_types.ImageContent(type="image", data=data, mime_type="image/png"),
        mcp_types.EmbeddedResource(type="resource", resource=mcp_types.BlobResourceContents(
            uri="file:///x.bin", blob=data, mime_type="application/octet-stream")),
        mcp_types.EmbeddedResource(type="resource", resource=mcp_types.TextResourceContents(
            uri="file:///x.txt", text="inline text")),
    ])
    lines = result_text(result).splitlines()
    assert lines[0] == "[image (image/png, 5 bytes) returned; not shown to the model]"
    assert "file:///x.bin" in lines[1] and "5 bytes" in lines[1]
    assert lines[2] == "inline text"


def test_structured_content_is_used_when_there_is_no_text() -> None:
    result = mcp_types.CallToolResult(content=[], structured_content={"answer": 42})
    assert result_text(result) == '{"answer": 42}'


def test_error_results_raise_tool_error() -> None:
    result = mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text="disk full")], is_error=True)
    with pytest.raises(ToolError, match="disk full"):
        result_text(result)
    empty = mcp_types.CallToolResult(content=[], is_error=True)
    with pytest.raises(ToolError, match="without a message"):
        result_text(empty)


def test_empty_schema_becomes_an_object_schema() -> None:
    assert input_schema({}) == {"type": "object", "properties": {}}
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    assert input_schema(schema) is schema


def test_describe_error_unwraps_exception_groups() -> None:
    group = BaseExceptionGroup("outer", [ExceptionGroup("inner", [
        FileNotFoundError(2, "No such file", "/bin/nothing")])])
    assert describe_error(group) == "command not found: /bin/nothing"
