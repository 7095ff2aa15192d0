"""The server admin window (``chinwag admin``): a GUI-free model and a thin tkinter view."""
