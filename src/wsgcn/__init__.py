"""wsgcn: 2D-to-3D human pose lifting with WS-GCN, fully or weakly supervised."""

from .errors import WsgcnError

__version__ = "0.1.0"

__all__ = ["WsgcnError", "__version__"]
