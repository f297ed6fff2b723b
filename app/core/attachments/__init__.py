"""Attachments on a user message: files turned into what is sent (images
checked and scaled down with Pillow, documents to text with
app.core.documents and trimmed to a budget), the user message a request
carries (document text in the content, images beside it), and whether a
model can see images before anything is sent. Qt-free."""

from app.core.attachments.files import AttachmentError, attach_file, attach_files
from app.core.attachments.request import fit_user_message, user_chat_message
from app.core.attachments.vision import VisionCheck, check_vision, has_images

__all__ = ["AttachmentError", "VisionCheck", "attach_file", "attach_files", "check_vision",
           "fit_user_message", "has_images", "user_chat_message"]
