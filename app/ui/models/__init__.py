"""The Model Library window (View > Model Library…): the catalogue with this
computer's recommended pick, downloads with progress, pause/resume/cancel,
installed models (info, remove, import), and Ollama pull/delete.

- window.py: the window (objectName ``modelLibrary``), one tab per job;
- service.py: the one DownloadManager of the app's lifetime, as a QObject;
- catalogue_tab.py, downloads_tab.py, installed_tab.py, ollama_tab.py: the tabs;
- text.py: sizes and labels (every catalogue, file or server string is shown
  as plain text).

The tabs call app/ops only, through tasks owned by the StoreBridge; nothing
waits on the UI thread.
"""
