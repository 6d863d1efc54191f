"""Figure plumbing and the house style of every picture wsgcn draws.

Figures are made with matplotlib's object interface on their own Agg canvas
(:func:`new_figure`), never through pyplot's global state: writing a PNG never changes the
backend of the user's session (a notebook keeps its inline backend) and leaves no open figures.
Colours: the person's left blue, right red, centre (trunk, head) grey, in the skeleton
pictures and the per-joint charts alike; ground truth black.
"""

from __future__ import annotations

import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .io import atomic_path
from .skeleton import Skeleton

LEFT, RIGHT, CENTRE = "tab:blue", "tab:red", "0.35"
GT_COLOUR = "black"
GUIDE = "0.5"  # guide lines and their labels (end of warm-up, image frames)


def side_colour(name: str) -> str:
    """Colour of a joint by its side: names starting with ``L`` left, ``R`` right, else centre."""
    return LEFT if name.startswith("L") else RIGHT if name.startswith("R") else CENTRE


def bone_colour(skeleton: Skeleton, child: int) -> str:
    """Colour of the bone ending at joint ``child``: the side of the person it is on."""
    return side_colour(skeleton.names[child])


def new_figure(figsize: tuple[float, float]) -> Figure:
    """An empty figure on its own Agg canvas (no pyplot, no global backend)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 110, tight: bool = True) -> None:
    """Write ``fig`` to ``path`` atomically (a temporary file, then rename); the format follows
    the file's suffix."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight" if tight else None)
