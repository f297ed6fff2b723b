"""The model library below the UI: the shipped catalogue and the recommendation
(catalogue.py), this computer's memory and free disk (system.py), downloads
(downloads.py) and the models folder's installed files (library.py).

Qt-free; the window, the CLI and the HTTP API reach it through app/ops.
"""
