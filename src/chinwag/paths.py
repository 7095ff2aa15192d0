"""Where chinwag keeps its files on this machine, unless told otherwise.

One default data folder for everything that opens the server's database (``chinwag
server``, ``chinwag admin``, ``chinwag accounts``, ``chinwag export``): the platform's
per-user data folder, so a server started inside a checkout leaves nothing behind there.

What this module does not do: create the folder (the storage does, when it opens).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_data_dir() -> Path:
    """~/.local/share/chinwag on Linux, ~/Library/Application Support/chinwag on macOS,
    %LOCALAPPDATA%\\chinwag on Windows (XDG_DATA_HOME and the like are honoured)."""
    return Path(platformdirs.user_data_dir("chinwag", appauthor=False))
