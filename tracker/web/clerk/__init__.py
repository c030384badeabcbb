from . import casepage, notes, queue, rectifications, webhooks  # noqa: F401  (register the routes)
from .views import bp

__all__ = ["bp"]
