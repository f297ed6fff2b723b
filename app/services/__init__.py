"""Qt bridge between the pure-Python core/store and the widgets."""
