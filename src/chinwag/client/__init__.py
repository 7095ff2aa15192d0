"""The GUI-free chat client: IRC session state, the threaded connection, the display
model, user commands and settings. Nothing here imports tkinter."""
