"""The folders' faces: the dotted paths the engine's state pickles, and the one-line failure of contract 5."""

from __future__ import annotations

import importlib
import pickle

import dill
import pytest

from providers.base import ResourceFailed, resource_failed
from providers.clients import errors

FACES = {
    "providers.mailbox": ("MailboxProvider", "Mailbox"),
    "providers.m365_tenant": ("M365TenantProvider", "M365Tenant"),
    "providers.auth_records": ("AuthRecordsProvider", "AuthRecords"),
    "providers.sending_domain": ("SendingDomainProvider", "SendingDomain"),
    "providers.domain_mailboxes": ("DomainMailboxesProvider", "DomainMailboxes"),
    "providers.web_records": ("WebRecordsProvider", "WebRecords"),
}


@pytest.mark.parametrize("face", sorted(FACES))
def test_providers_pickle_by_the_face_path(face: str) -> None:
    """As the engine pickles `__provider` (dill, recurse): by reference to `<face>.<Class>`, nothing by value."""
    provider_name, resource_name = FACES[face]
    module = importlib.import_module(face)
    provider = getattr(module, provider_name)()
    blob = dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert face.encode() in blob and b".provider" not in blob
    assert type(dill.loads(blob)) is getattr(module, provider_name)
    assert getattr(module, resource_name).__name__ == resource_name


def test_failure_is_one_line_and_keeps_the_error_type() -> None:
    error = errors.PermissionDenied("missing Domain.ReadWrite.All\n in tenant t", status=403, code="Denied",
                                    api="graph")
    error.hint = "grant admin consent"  # type: ignore[attr-defined]  # ClientError gains `hint` (contract 2)
    failed = resource_failed("Mailbox", "anna@alpha.com", error)
    assert isinstance(failed, errors.PermissionDenied) and isinstance(failed, ResourceFailed)
    assert failed.args == error.args and failed.status == 403 and failed.api == "graph"  # type: ignore[attr-defined]
    assert str(failed) == ("coldfleet: Mailbox anna@alpha.com: [graph 403 Denied] missing Domain.ReadWrite.All in "
                           "tenant t. Next: grant admin consent")
    assert resource_failed("Mailbox", "x", failed) is failed


def test_any_exception_gets_the_line() -> None:
    failed = resource_failed("SendingDomain", "acme.com", ValueError("photo.png is not a JPEG or PNG image"))
    assert isinstance(failed, ValueError)
    assert str(failed) == "coldfleet: SendingDomain acme.com: photo.png is not a JPEG or PNG image"
