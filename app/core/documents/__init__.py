"""Files to text: PDF, DOCX, PPTX, XLSX, HTML, Markdown, plain text and source
code, with page/slide/sheet/heading places kept for citations and limits that
keep hostile files (zip bombs, huge PDFs, binary data named ``.txt``,
unreadable files, symlink loops) to one clear ``DocumentError`` each.

Used by message attachments and by knowledge folders. Qt-free.
"""

from app.core.documents.convert import convert_file
from app.core.documents.kinds import SUPPORTED_SUFFIXES, kind_of
from app.core.documents.model import (
    Document,
    DocumentError,
    DocumentKind,
    DocumentLimits,
    Section,
)

__all__ = ["SUPPORTED_SUFFIXES", "Document", "DocumentError", "DocumentKind",
           "DocumentLimits", "Section", "convert_file", "kind_of"]
