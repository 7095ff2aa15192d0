"""Light and dark looks for the client: one palette each, applied to ttk and Text.

What this module does not do: pick colours for nicks (see :func:`chinwag.client.model.nick_colour`).
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk


@dataclass(frozen=True)
class Palette:
    name: str
    bg: str  # window background
    panel: str  # sidebar / member list background
    text_bg: str  # message view and entries
    fg: str
    muted: str  # timestamps, quiet events
    accent: str  # selection, buttons
    accent_fg: str
    error: str
    link: str
    own_bg: str  # background of our own lines
    mention_bg: str
    border: str

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = Palette(
    "light", bg="#f3f4f6", panel="#e9ebef", text_bg="#ffffff", fg="#1f2328", muted="#6b7280",
    accent="#2563eb", accent_fg="#ffffff", error="#b91c1c", link="#1d4ed8",
    own_bg="#eef4ff", mention_bg="#fff4c2", border="#d0d4db",
)  # fmt: skip
DARK = Palette(
    "dark", bg="#1e2127", panel="#252932", text_bg="#16181d", fg="#e6e6e6", muted="#8b93a1",
    accent="#3b82f6", accent_fg="#ffffff", error="#f87171", link="#7ab7ff",
    own_bg="#1f2a3d", mention_bg="#4a3f12", border="#343a46",
)  # fmt: skip
PALETTES = {"light": LIGHT, "dark": DARK}


def pick_family(root: tk.Misc, *candidates: str) -> str:
    families = set(tkfont.families(root))
    for name in candidates:
        if name in families:
            return name
    return "TkDefaultFont"


def setup_fonts(root: tk.Misc) -> dict[str, tkfont.Font]:
    """Readable fonts: a sans UI font and a slightly larger one for messages."""
    family = pick_family(root, "Inter", "Cantarell", "Noto Sans", "DejaVu Sans", "Helvetica")
    default = tkfont.nametofont("TkDefaultFont", root)
    default.configure(family=family, size=10)
    for name in ("TkTextFont", "TkMenuFont", "TkHeadingFont"):
        tkfont.nametofont(name, root).configure(family=family, size=10)
    fonts = {
        "ui": default,
        "text": tkfont.Font(root, family=family, size=11),
        "bold": tkfont.Font(root, family=family, size=11, weight="bold"),
        "small": tkfont.Font(root, family=family, size=9),
        "italic": tkfont.Font(root, family=family, size=10, slant="italic"),
        "title": tkfont.Font(root, family=family, size=18, weight="bold"),
        "topic": tkfont.Font(root, family=family, size=11, weight="bold"),
    }
    # Font.__del__ calls into Tcl; if the garbage collector ran it on the network thread,
    # Tcl would abort. The fonts go with the interpreter anyway.
    for f in fonts.values():
        f.delete_font = False
    return fonts


def apply(root: tk.Tk, palette: Palette) -> None:
    """Configure ttk's "clam" theme with ``palette`` (Text widgets are set by their views)."""
    style = ttk.Style(root)
    style.theme_use("clam")
    p = palette
    root.configure(background=p.bg)
    style.configure(
        ".", background=p.bg, foreground=p.fg, fieldbackground=p.text_bg, bordercolor=p.border,
        lightcolor=p.bg, darkcolor=p.bg, troughcolor=p.panel, focuscolor=p.accent,
        selectbackground=p.accent, selectforeground=p.accent_fg, insertcolor=p.fg,
    )  # fmt: skip
    style.configure("TFrame", background=p.bg)
    style.configure("Panel.TFrame", background=p.panel)
    style.configure("TLabel", background=p.bg, foreground=p.fg)
    style.configure("Panel.TLabel", background=p.panel, foreground=p.muted)
    style.configure("Muted.TLabel", background=p.bg, foreground=p.muted)
    style.configure("Error.TLabel", background=p.bg, foreground=p.error)
    style.configure("Title.TLabel", background=p.bg, foreground=p.fg)
    style.configure("Topic.TLabel", background=p.bg, foreground=p.fg)
    style.configure("TEntry", fieldbackground=p.text_bg, foreground=p.fg, insertcolor=p.fg,
                    padding=4)  # fmt: skip
    style.configure("TButton", background=p.panel, foreground=p.fg, padding=(10, 4))
    style.map("TButton", background=[("active", p.border), ("pressed", p.border)])
    style.configure("Accent.TButton", background=p.accent, foreground=p.accent_fg)
    style.map("Accent.TButton", background=[("active", p.link), ("disabled", p.border)])
    # The tick is drawn in indicatorforeground: the text colour, so it shows on both looks.
    style.configure("TCheckbutton", background=p.bg, foreground=p.fg, indicatorbackground=p.text_bg,
                    indicatorforeground=p.fg, upperbordercolor=p.border,
                    lowerbordercolor=p.border)  # fmt: skip
    style.map("TCheckbutton", background=[("active", p.bg)],
              indicatorbackground=[("pressed", p.panel), ("disabled", p.bg)])  # fmt: skip
    style.configure("Muted.TCheckbutton", foreground=p.muted)
    style.configure("TPanedwindow", background=p.border)
    style.configure(
        "Vertical.TScrollbar", background=p.panel, troughcolor=p.text_bg, bordercolor=p.border,
        lightcolor=p.panel, darkcolor=p.panel, arrowcolor=p.muted, gripcount=0,
    )  # fmt: skip
    style.map("Vertical.TScrollbar", background=[("active", p.border)])
    root.option_add("*TCombobox*Listbox.background", p.text_bg)


def style_listbox(widget: tk.Listbox, palette: Palette) -> None:
    widget.configure(
        background=palette.panel, foreground=palette.fg, selectbackground=palette.accent,
        selectforeground=palette.accent_fg, highlightthickness=0, borderwidth=0,
        activestyle="none",
    )  # fmt: skip
