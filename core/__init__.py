"""The platform every policy module stands on."""

from core.app import create_app

__all__ = ["create_app"]
