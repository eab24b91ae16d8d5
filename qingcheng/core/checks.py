"""System checks: refuse an insecure production configuration."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development default.",
                hint="Set SECRET_KEY in the environment (see docs/operations.md).",
                id="qingcheng.E001",
            )
        ]
    return []


@register(Tags.security)
def trusted_proxies_are_networks(app_configs, **kwargs):
    from .http import trusted_proxies

    try:
        trusted_proxies()
    except ValueError as exc:
        return [
            Error(
                f"QINGCHENG_TRUSTED_PROXIES holds an entry that is not an address or network: {exc}",
                hint="Give addresses or CIDR networks separated by commas, e.g. 10.0.0.5,10.1.0.0/16.",
                id="qingcheng.E002",
            )
        ]
    return []
