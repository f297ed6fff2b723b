"""Qt widgets, dialogs, models/views and the application shell."""
