"""The files tools: everything stays inside the workspace, with escape attempts."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from app.core.tools import ApprovalRequest, Tool, ToolContext, ToolOutcome, execute_tool
from app.core.tools.files import (
    FILES_GROUP,
    FILES_TOOL_NAMES,
    READ_WINDOW,
    WRITE_LIMIT,
    files_tools,
)
from app.core.tools.workspace_fs import Workspace, WorkspaceError, split_path

TOOLS = {t.name: t for t in files_tools()}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the workspace holding a secret the tools must not reach."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("TOP SECRET")
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws" / "agent"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("hello\nsecond line with Needle\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.md").write_text("# title\nanother needle here\n")
    return folder


def run(name: str, workspace: Path, approve: bool = True, **arguments) -> ToolOutcome:
    asked: list[ApprovalRequest] = []

    async def approver(request: ApprovalRequest) -> bool:
        asked.append(request)
        return approve

    context = ToolContext(workspace=workspace, approver=approver)
    outcome = asyncio.run(execute_tool(TOOLS[name], arguments, context))
    run.asked = asked  # type: ignore[attr-defined]
    return outcome


def refused(name: str, workspace: Path, **arguments) -> str:
    outcome = run(name, workspace, **arguments)
    assert outcome.is_error, outcome.content
    assert "TOP SECRET" not in outcome.content
    return outcome.content


def test_group_and_policies() -> None:
    assert FILES_GROUP == "files"
    assert tuple(TOOLS) == FILES_TOOL_NAMES
    assert {n: (t.policy, t.risk) for n, t in TOOLS.items()} == {
        "list_files": ("auto", "low"), "read_file": ("auto", "low"),
        "search_files": ("auto", "low"), "write_file": ("ask", "medium")}
    for tool_ in TOOLS.values():
        assert isinstance(tool_, Tool)
        assert "context" not in tool_.parameters["properties"]
    assert TOOLS["write_file"].parameters["required"] == ["path", "content"]


def test_read_list_search_inside(workspace: Path) -> None:
    read = run("read_file", workspace, path="notes.txt")
    assert (read.status, read.content) == ("ok", "hello\nsecond line with Needle\n")
    assert run.asked == []  # reading does not ask
    listing = run("list_files", workspace, path=".", recursive=True).content.splitlines()
    sizes = [(workspace / n).stat().st_size for n in ("notes.txt", "sub/deep.md")]
    assert listing == [f"notes.txt ({sizes[0]} bytes)", "sub/", f"sub/deep.md ({sizes[1]} bytes)"]
    found = run("search_files", workspace, query="needle", ignore_case=True).content
    assert found.splitlines() == ["notes.txt:2: second line with Needle",
                                  "sub/deep.md:2: another needle here"]
    regex = run("search_files", workspace, query=r"^an\w+ ne+dle", regex=True).content
    assert regex.splitlines() == ["sub/deep.md:2: another needle here"]


def test_workspace_created_when_missing(tmp_path: Path) -> None:
    target = tmp_path / "new" / "agent-7"
    outcome = run("list_files", target)
    assert outcome.status == "ok" and "empty" in outcome.content
    assert target.is_dir()


@pytest.mark.parametrize("path", [
    "../../etc/passwd", "../outside/secret.txt", "sub/../../outside/secret.txt",
    "foo/../../x", "/etc/passwd", "C:/Windows/win.ini", "c:secret",
    "\\\\server\\share\\x", "sub\\..\\..\\x", "notes.txt\x00.png", "..",
])
def test_textual_escapes_refused(workspace: Path, path: str) -> None:
    for name in ("read_file", "list_files"):
        message = refused(name, workspace, path=path)
        assert "not allowed" in message or "NUL" in message
    assert refused("write_file", workspace, path=path, content="x")
    assert sorted(p.name for p in workspace.parent.iterdir()) == ["agent"]


def test_symlink_to_outside_file_and_folder(workspace: Path, outside: Path) -> None:
    (workspace / "link.txt").symlink_to(outside / "secret.txt")
    (workspace / "etc").symlink_to("/etc")
    (workspace / "out").symlink_to(outside)  # a symlinked folder
    (workspace / "rel").symlink_to("../../outside")  # relative, climbing out
    for path in ("link.txt", "etc/passwd", "out/secret.txt", "rel/secret.txt", "etc"):
        assert "outside the workspace" in refused("read_file", workspace, path=path)
    for path in ("etc", "out", "rel"):
        assert "outside the workspace" in refused("list_files", workspace, path=path)
    # writing through them is refused too, and nothing appears outside
    for path in ("out/new.txt", "rel/new.txt", "link.txt"):
        assert "outside the workspace" in refused("write_file", workspace, path=path,
                                                  content="pwned")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "TOP SECRET"
    # search does not follow them either; listing shows them without following
    assert "TOP SECRET" not in run("search_files", workspace, query="SECRET").content
    listing = run("list_files", workspace).content
    assert "link.txt -> " in listing and "(symlink)" in listing


def test_symlinks_that_stay_inside_work(workspace: Path) -> None:
    (workspace / "alias.txt").symlink_to("notes.txt")
    (workspace / "sub" / "up.txt").symlink_to("../notes.txt")
    (workspace / "absolute.txt").symlink_to(workspace / "sub" / "deep.md")
    assert run("read_file", workspace, path="alias.txt").content.startswith("hello")
    assert run("read_file", workspace, path="sub/up.txt").content.startswith("hello")
    assert run("read_file", workspace, path="absolute.txt").content.startswith("# title")


def test_symlink_loop_refused(workspace: Path) -> None:
    (workspace / "a").symlink_to("b")
    (workspace / "b").symlink_to("a")
    assert "too many symlinks" in refused("read_file", workspace, path="a")


def test_fifo_device_and_socket_refused(workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    (workspace / "zero").symlink_to("/dev/zero")
    import socket

    sock_path = workspace / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sock_path))
        assert "FIFO" in refused("read_file", workspace, path="pipe")  # would block if opened
        assert "socket" in refused("read_file", workspace, path="s.sock")
        assert "outside the workspace" in refused("read_file", workspace, path="zero")
        assert "FIFO" in refused("write_file", workspace, path="pipe", content="x")
        listing = run("list_files", workspace).content
        assert "pipe (a FIFO, not usable)" in listing
        found = run("search_files", workspace, query="zzz")
        assert found.status == "ok"  # walking past the FIFO and socket does not hang


def test_device_node_inside_workspace_refused(workspace: Path) -> None:
    try:
        os.mknod(workspace / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")  # CI runs as root
    assert "character device" in refused("read_file", workspace, path="null")


def test_huge_sparse_file_read_in_a_window(workspace: Path) -> None:
    big = workspace / "big.log"
    with open(big, "wb") as handle:
        handle.write(b"start of log\n")
        handle.truncate(2 * 1024**3)  # 2 GB, sparse: mostly NUL bytes
    first = run("read_file", workspace, path="big.log")
    assert first.is_error and "binary" in first.content  # NUL bytes: not text
    with open(big, "r+b") as handle:  # now a 2 GB file of text at the start
        handle.write(b"line\n" * (READ_WINDOW // 5 + 10))
    head = run("read_file", workspace, path="big.log")
    assert head.status == "ok"
    assert f"bytes 0-{READ_WINDOW} of {2 * 1024**3}" in head.content
    assert f"offset={READ_WINDOW}" in head.content
    assert len(head.content) < READ_WINDOW + 300
    searched = run("search_files", workspace, query="line").content
    assert "big.log" not in searched and "[1 binary, large or unreadable" in searched


def test_read_continues_at_offset_and_cuts_cleanly(workspace: Path) -> None:
    text = "é" * (READ_WINDOW // 2 + 5)  # 2 bytes each: the window ends inside one
    (workspace / "utf.txt").write_text(text, encoding="utf-8")
    first = run("read_file", workspace, path="utf.txt").content
    body = first.split("\n", 1)[1]
    assert set(body) == {"é"} and len(body) == READ_WINDOW // 2
    second = run("read_file", workspace, path="utf.txt", offset=READ_WINDOW).content
    assert "end of file" in second
    assert second.split("\n", 1)[1] == "é" * 5


def test_binary_refused(workspace: Path) -> None:
    (workspace / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (workspace / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert "binary" in refused("read_file", workspace, path="image.png")
    assert "not UTF-8" in refused("read_file", workspace, path="latin1.txt")


def test_write_asks_and_denied_writes_nothing(workspace: Path) -> None:
    outcome = run("write_file", workspace, approve=False, path="new/file.txt", content="x")
    assert outcome.status == "denied"
    assert [r.tool for r in run.asked] == ["write_file"]
    assert run.asked[0].summary == "write 1 bytes to new/file.txt in the workspace"
    assert run.asked[0].risk == "medium"
    assert not (workspace / "new").exists()


def test_write_creates_folders_atomically(workspace: Path) -> None:
    created = run("write_file", workspace, path="a/b/c.txt", content="one\n")
    assert created.status == "ok" and "created a/b/c.txt (4 bytes)" == created.content
    assert (workspace / "a" / "b" / "c.txt").read_text() == "one\n"
    (workspace / "a" / "b" / "c.txt").chmod(0o600)
    replaced = run("write_file", workspace, path="a/b/c.txt", content="two\n")
    assert replaced.content == "replaced a/b/c.txt (4 bytes)"
    assert (workspace / "a" / "b" / "c.txt").read_text() == "two\n"
    assert stat.S_IMODE((workspace / "a" / "b" / "c.txt").stat().st_mode) == 0o600
    assert sorted(p.name for p in (workspace / "a" / "b").iterdir()) == ["c.txt"]  # no temp


def test_write_through_inside_symlink_writes_target(workspace: Path) -> None:
    (workspace / "alias.txt").symlink_to("notes.txt")
    assert run("write_file", workspace, path="alias.txt", content="new").status == "ok"
    assert (workspace / "notes.txt").read_text() == "new"
    assert (workspace / "alias.txt").is_symlink()


def test_write_limits_and_folders(workspace: Path) -> None:
    assert "at most" in refused("write_file", workspace, path="x.txt",
                                content="x" * (WRITE_LIMIT + 1))
    assert "folder" in refused("write_file", workspace, path="sub", content="x")
    assert "file name" in refused("write_file", workspace, path=".", content="x")
    (workspace / "plain").write_text("x")
    assert "not a folder" in refused("write_file", workspace, path="plain/x.txt",
                                     content="x")
    assert not (workspace / "x.txt").exists()


def test_list_limit(workspace: Path) -> None:
    many = workspace / "many"
    many.mkdir()
    for i in range(520):
        (many / f"f{i:04}").touch()
    lines = run("list_files", workspace, path="many").content.splitlines()
    assert len(lines) == 501 and lines[-1] == "[stopped after 500 entries]"


def test_search_skips_binary_and_handles_bad_regex(workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"needle\x00\x01")
    out = run("search_files", workspace, query="needle").content
    assert "blob.bin" not in out and "[1 binary, large or unreadable files skipped]" in out
    assert "invalid regular expression" in refused("search_files", workspace,
                                                   query="(unclosed", regex=True)


def test_search_regex_that_backtracks_forever_is_stopped(workspace: Path, monkeypatch) -> None:
    from app.core.tools import file_search

    monkeypatch.setattr(file_search, "SEARCH_REGEX_SECONDS", 1.0)
    (workspace / "evil.txt").write_text("a" * 40 + "!\n")
    message = refused("search_files", workspace, query=r"^(a+)+$", regex=True)
    assert "longer than 1 s" in message


def test_split_path_rules() -> None:
    assert split_path("a/./b//c/") == ["a", "b", "c"]
    assert split_path(".") == [] and split_path("") == []
    with pytest.raises(WorkspaceError):
        split_path("a/" + "x" * 300)


def test_workspace_root_may_itself_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f.txt").write_text("inside")
    (tmp_path / "linked").symlink_to(real)
    assert Workspace(tmp_path / "linked").root == real.resolve()
    assert run("read_file", tmp_path / "linked", path="f.txt").content == "inside"


# -- issue 15 item 12: offsets, long names, huge writes ------------------------------


@pytest.mark.parametrize("offset", [2**62, 2**63, 2**64 + 7, 10**30])
def test_read_offset_past_the_end_is_a_clear_refusal(workspace: Path, offset: int,
                                                     caplog) -> None:
    message = refused("read_file", workspace, path="notes.txt", offset=offset)
    assert f"offset {offset} is past the end of notes.txt (30 bytes)" in message
    assert "unexpected" not in message.lower()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback in the log
    at_end = run("read_file", workspace, path="notes.txt", offset=30)
    assert at_end.status == "ok" and "end of file" in at_end.content


@pytest.mark.parametrize("name", [
    "n" * 242, "n" * 250 + ".txt", "n" * 255,
    "é" * 127,  # 254 bytes in UTF-8
    "n" * 252 + "é",  # 254 bytes, the temporary name cut inside a character
])
def test_names_up_to_the_limit_can_be_written(workspace: Path, name: str) -> None:
    outcome = run("write_file", workspace, path=f"long/{name}", content="data")
    assert outcome.status == "ok", outcome.content
    assert (workspace / "long" / name).read_text() == "data"
    assert os.listdir(workspace / "long") == [name]  # no temporary file left
    again = run("write_file", workspace, path=f"long/{name}", content="more")
    assert again.content.startswith("replaced")


def test_names_past_the_limit_are_refused_clearly(workspace: Path) -> None:
    assert "longer than 255 characters" in refused("write_file", workspace,
                                                   path="n" * 256, content="x")
    assert "longer than 255 bytes" in refused("write_file", workspace,
                                              path="é" * 128, content="x")


def test_a_huge_write_is_refused_before_it_is_encoded(workspace: Path) -> None:
    import tracemalloc

    content = "é" * (48 * 1024 * 1024)  # 48 MB of text, 96 MB once encoded
    tracemalloc.start()
    try:
        outcome = run("write_file", workspace, path="huge.txt", content=content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.is_error and "at most" in outcome.content
    assert "refused: too large" in run.asked[0].summary
    assert peak < 8 * 1024 * 1024, f"{peak} bytes allocated to refuse it"
    assert not (workspace / "huge.txt").exists()
