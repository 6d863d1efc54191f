"""wsgcn: 2D-to-3D human pose lifting with WS-GCN, fully or weakly supervised."""

from .errors import WsgcnError

__version__ = "0.1.0"

__all__ = ["Lifter", "WsgcnError", "__version__"]


def __getattr__(name: str) -> object:
    """``wsgcn.Lifter`` is imported on first use, so ``import wsgcn`` stays light (no torch)."""
    if name == "Lifter":
        from .lift import Lifter

        return Lifter
    raise AttributeError(f"module 'wsgcn' has no attribute {name!r}")
