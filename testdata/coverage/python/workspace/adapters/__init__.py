from .base import Adapter  # noqa: F401
