"""The one place that makes file pickers: they never read a file's contents.

Why: SQLite guards its database with POSIX advisory (fcntl) locks, and on
Linux/POSIX closing *any* descriptor of a file drops every lock this process
holds on it (sqlite.org/howtocorrupt.html §2.2). Qt's own file dialog labels
each row through its file system model, whose icon provider asks
``QMimeDatabase.mimeTypeForFile`` with content sniffing for ambiguous or
unknown names: browsing into the data folder opened and closed
``agentdesk.db``, ``-wal`` and ``-shm``, the window silently lost its locks,
the next CLI command checkpointed and deleted the WAL under it, and the window
went on with stale pages ("database disk image is malformed", lost writes).

So every picker comes from ``file_dialog``:
- ``NameOnlyIconProvider`` decides icon and type by the QFileInfo (folder,
  file, link: a stat) and the name's extension (``MatchExtension``) only;
- ``DontUseCustomDirectoryIcons`` (no ``.directory`` files read);
- outside Windows, the Qt-drawn dialog: the native one there (GTK) runs in
  this process and sniffs contents just the same, and no provider reaches it.
  (Windows locks are not dropped by closing another handle.)

tests/ui/test_file_dialogs.py checks that no other module constructs a
QFileDialog, calls its static getters or builds a QFileSystemModel.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QFileInfo, QMimeDatabase
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget

IconType = QAbstractFileIconProvider.IconType


class NameOnlyIconProvider(QFileIconProvider):
    """Icons and type names from a file's kind and name, never its contents."""

    def __init__(self) -> None:
        super().__init__()
        self._mime = QMimeDatabase()
        self.setOptions(QAbstractFileIconProvider.Option.DontUseCustomDirectoryIcons)

    def icon(self, which: QFileInfo | IconType) -> QIcon:  # type: ignore[override]
        if not isinstance(which, QFileInfo):
            return super().icon(which)
        # The QFileInfo overload of the base class asks the platform theme, which
        # may look the type up by content; the IconType one is the style's pixmap.
        if which.isDir():
            return super().icon(IconType.Folder)
        return super().icon(IconType.File)

    def type(self, info: QFileInfo) -> str:  # type: ignore[override]
        if info.isDir():
            return "Folder"
        if info.isSymLink() and not info.exists():
            return "Broken link"
        kind = self._mime.mimeTypeForFile(info.fileName(),
                                          QMimeDatabase.MatchMode.MatchExtension)
        if kind.isDefault():   # no known extension: say so rather than sniff
            return "File"
        return kind.comment() or kind.name()


_provider: NameOnlyIconProvider | None = None


def icon_provider() -> NameOnlyIconProvider:
    """The application's one provider (QFileDialog does not own the provider it
    is given, so it must outlive every dialog; it is stateless and thread-safe)."""
    global _provider
    if _provider is None:
        _provider = NameOnlyIconProvider()
    return _provider


def make_safe(picker: QFileDialog) -> QFileDialog:
    """Give ``picker`` the name-only provider and options (before it is shown)."""
    picker.setOption(QFileDialog.Option.DontUseCustomDirectoryIcons, True)
    if sys.platform != "win32":
        picker.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    picker.setIconProvider(icon_provider())
    return picker


def file_dialog(parent: QWidget | None, title: str, start: str = "",
                filters: str = "") -> QFileDialog:
    """A QFileDialog (not shown yet) that never opens the files it lists.
    ``start``: a folder, or a file to preselect; ``filters`` as QFileDialog's."""
    return make_safe(QFileDialog(parent, title, start, filters))
