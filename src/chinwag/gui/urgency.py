"""The window's urgency hint: "this window wants your attention" to the window manager.

Tk 8.6 has no command for it on X11, so :func:`set_urgent` sets or clears the
``XUrgencyHint`` flag in the toplevel's ``WM_HINTS`` with Xlib through ctypes, on the
wrapper window Tk gives the window manager (``wm frame``). Task bars then flash or
mark the window. Elsewhere (Windows, macOS) and where Xlib cannot be loaded, it does
nothing and says so by returning False.

What this module does not do: decide when a window is urgent (the app does), or keep
state: the flag lives in the X server, and the window manager clears it on focus too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import tkinter as tk
from typing import Any

URGENCY_HINT = 1 << 8  # XUrgencyHint in <X11/Xutil.h>


class _WMHints(ctypes.Structure):
    _fields_ = [  # XWMHints, <X11/Xutil.h>
        ("flags", ctypes.c_long),
        ("input", ctypes.c_int),
        ("initial_state", ctypes.c_int),
        ("icon_pixmap", ctypes.c_ulong),
        ("icon_window", ctypes.c_ulong),
        ("icon_x", ctypes.c_int),
        ("icon_y", ctypes.c_int),
        ("icon_mask", ctypes.c_ulong),
        ("window_group", ctypes.c_ulong),
    ]


@functools.cache
def _xlib() -> Any:
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XGetWMHints.restype = ctypes.POINTER(_WMHints)
    lib.XGetWMHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    lib.XAllocWMHints.restype = ctypes.POINTER(_WMHints)
    lib.XSetWMHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_WMHints)]
    lib.XFree.argtypes = [ctypes.c_void_p]
    lib.XFlush.argtypes = [ctypes.c_void_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return lib


def set_urgent(window: tk.Misc, urgent: bool) -> bool:
    """Set (or clear) the urgency hint of ``window``'s toplevel. False where unsupported."""
    if window.tk.call("tk", "windowingsystem") != "x11":
        return False
    lib = _xlib()
    if lib is None:
        return False
    toplevel = window.winfo_toplevel()
    frame = int(toplevel.wm_frame(), 16)
    display = lib.XOpenDisplay(toplevel.winfo_screen().encode())
    if not display:
        return False
    try:
        hints = lib.XGetWMHints(display, frame) or lib.XAllocWMHints()
        if not hints:
            return False
        if urgent:
            hints.contents.flags |= URGENCY_HINT
        else:
            hints.contents.flags &= ~URGENCY_HINT
        lib.XSetWMHints(display, frame, hints)
        lib.XFree(hints)
        lib.XFlush(display)
        return True
    finally:
        lib.XCloseDisplay(display)
