"""A faithful local emulator of the Zoho CRM REST API v7 (standard library only).

``ZohoEmulator`` serves the accounts server (``/oauth/v2/token``), the REST API (``/crm/v7/...``) and Bulk Read
(``/crm/bulk/v7/...``) on one base URL; ``EmulatorConfig`` holds every setting. See README.md.
"""

from .config import EmulatorConfig
from .emulator import ZohoEmulator

__all__ = ["EmulatorConfig", "ZohoEmulator"]
