#!/usr/bin/env bash
# Regenerates the PNGs in docs/screenshots/ by running the screenshot tests with
# AGENTDESK_SCREENSHOTS pointing there (an ordinary test run writes them to a
# temporary folder instead). Needs the dev environment (scripts/venv.sh dev local);
# extra arguments go to pytest, e.g. scripts/screenshots.sh -x
set -euo pipefail
cd "$(dirname "$0")/.."
export AGENTDESK_SCREENSHOTS=docs/screenshots
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/ui/test_main_window_screenshots.py \
    tests/ui/test_quick_chat_screenshots.py \
    tests/ui/test_dialog_screenshots.py \
    tests/ui/test_memory_editor.py::test_memory_tab_screenshot \
    tests/ui/test_knowledge_page.py::test_screenshot \
    tests/ui/test_chat_widgets.py::test_screenshot_in_theme \
    tests/ui/test_reply_feedback_screenshots.py \
    tests/ui/test_model_library_screenshots.py \
    tests/ui/test_compare_screenshots.py \
    tests/ui/test_dashboard.py::test_charts_render_offscreen \
    "tests/ui/test_api_settings_session.py::test_api_page_screenshots" \
    tests/ui/test_workflow_screenshots.py \
    tests/ui/test_attachments_screenshots.py \
    tests/ui/test_source_viewer.py::test_source_viewer_screenshot \
    "$@"
