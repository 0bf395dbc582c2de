"""The WebRecords resource a program declares."""

from __future__ import annotations

from typing import Any

import pulumi

from providers.resource import CustomResource
from providers.web_records.provider import WebRecordsProvider


class WebRecords(CustomResource, module="coldfleet", name="WebRecords"):
    """Forwarding and tracking records of one sending domain (inputs: providers/web_records/args.py)."""

    records: pulumi.Output[list[dict[str, Any]]]
    redirect: pulumi.Output[dict[str, Any] | None]

    OUTPUTS = ("records", "redirect", "drift")

    def __init__(
        self, resource_name: str, *, domain: pulumi.Input[str], dns_backend: pulumi.Input[str],
        forward_to: pulumi.Input[str] | None = None, redirect_host: pulumi.Input[str] | None = None,
        redirect_ipv4: pulumi.Input[str] | None = None, tracking_label: pulumi.Input[str] | None = None,
        tracking_target: pulumi.Input[str] | None = None, ttl: pulumi.Input[int] = 3600,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(WebRecordsProvider(), resource_name, locals(), opts)
