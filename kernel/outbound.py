"""The outbound-request policy from settings: what server-side fetches may reach.

`runtime.outbound` holds the guard itself; this module only says which non-public hosts an
instance admin allowed: WEFT_OUTBOUND_ALLOW, plus the URLs the admin configured directly
(WEFT_EMBEDDED_URL, VLLM_BASE_URL), which only the clients built for those URLs get.
"""

from __future__ import annotations

from django.conf import settings

from runtime.outbound import OutboundPolicy, check_url_sync


def outbound_policy(*admin_urls: str) -> OutboundPolicy:
    """The policy for a fetch: WEFT_OUTBOUND_ALLOW, plus the hosts of `admin_urls`."""
    allowed = settings.WEFT_OUTBOUND_ALLOW
    entries = allowed.split(",") if isinstance(allowed, str) else list(allowed)
    return OutboundPolicy.from_entries([*entries, *admin_urls])


def url_refusal(url: str) -> str | None:
    """Why a user-chosen `url` would be refused now (resolving its host), or None."""
    return check_url_sync(url, outbound_policy())
