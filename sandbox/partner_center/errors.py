"""Partner Center error bodies: `{code, description, errorName, isRetryable, parameters, errorMessageExtended}`.

Codes are the documented ones (Partner Center REST error codes) where a documented one fits; where the real
service's answer is unknown (creating a customer on a taken domain) the code is our choice and says so.
"""

from __future__ import annotations

from typing import Any


class PcError(Exception):
    def __init__(self, status: int, code: int, error_name: str, description: str,
                 parameters: dict[str, Any] | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.error_name = error_name
        self.description = description
        self.parameters = parameters or {}
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "message": self.description,
            "errorName": self.error_name,
            "isRetryable": self.status in (429, 503, 504),
            "parameters": self.parameters,
            "errorMessageExtended": f"InternalErrorCode={self.code}",
            "data": [],
            "source": "PartnerFD",
        }


def unauthorized(description: str) -> PcError:
    return PcError(401, 400, "Unauthorized", description)  # documented: 401 / 400 "Access is denied"


def forbidden(description: str = "Access is denied.") -> PcError:
    return PcError(403, 2032, "Forbidden", description)


def no_relationship(customer_id: str) -> PcError:
    return PcError(403, 20002, "NoCommerceRelationship",
                   f"This partner does not have a commerce relationship with the customer {customer_id}.")


def not_found(what: str) -> PcError:
    return PcError(404, 1000, "NotFound", f"{what} was not found.")


def invalid_input(description: str, **parameters: Any) -> PcError:
    return PcError(400, 800002, "InvalidInput", description, parameters)


# The business-rule errors Partner Center documents: kind -> (status, code, name, description with {} for the value).
KNOWN: dict[str, tuple[int, int, str, str]] = {
    # Real answer unknown (check with HEAD /domains first); 409 is our choice.
    "domain_taken": (409, 600041, "DomainAlreadyExists", "The domain prefix {} is already in use."),
    "registration_number_not_allowed": (400, 600002, "OrganizationRegistrationNumberNotAllowed",
                                        "An organization registration number is not accepted for country {}."),
    "phone_required": (400, 600051, "PhoneNumberRequired", "A phone number is required for country {}."),
    "address_invalid": (400, 2007, "AddressValidationFailed", "{}"),
    "mca_missing": (403, 13605, "MicrosoftCustomerAgreementMissing",
                    "To complete this purchase, either you must attest that your customer has accepted the Microsoft "
                    "Customer Agreement or your customer must accept the Microsoft Customer Agreement through the "
                    "Microsoft Admin Center."),
    "cart_not_found": (404, 800008, "CartNotFound", "Unable to retrieve the cart id {}."),
    "catalog_item_unknown": (400, 900142, "CatalogItemIdDoesNotExist", "The catalog item id {} does not exist."),
    "quantity_out_of_range": (400, 2002, "QuantityOutOfRange",
                              "Subscription quantity {} is not within the minimum and maximum allowed quantity."),
    "subscription_not_found": (404, 20003, "SubscriptionNotFound", "The subscription {} is not found."),
}


def known(kind: str, *values: Any) -> PcError:
    """One of the KNOWN errors, its description filled with `values`."""
    status, code, name, description = KNOWN[kind]
    return PcError(status, code, name, description.format(*values))


def throttled(retry_after: int) -> PcError:
    return PcError(429, 429, "TooManyRequests", "Too many requests. Please retry later.", retry_after=retry_after)
