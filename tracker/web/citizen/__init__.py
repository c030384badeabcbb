from . import bundles as _bundles  # noqa: F401  (its routes are on the citizen blueprint)
from .views import bp

__all__ = ["bp"]
