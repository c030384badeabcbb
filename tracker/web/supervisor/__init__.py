from . import casepage, decisions  # noqa: F401  (register the routes)
from .views import bp

__all__ = ["bp"]
