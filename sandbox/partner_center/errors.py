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


def domain_taken(domain: str) -> PcError:
    # Real answer unknown (check with HEAD /domains first); 409 is our choice.
    return PcError(409, 600041, "DomainAlreadyExists", f"The domain prefix {domain} is already in use.")


def registration_number_not_allowed(country: str) -> PcError:
    return PcError(400, 600002, "OrganizationRegistrationNumberNotAllowed",
                   f"An organization registration number is not accepted for country {country}.")


def phone_required(country: str) -> PcError:
    return PcError(400, 600051, "PhoneNumberRequired", f"A phone number is required for country {country}.")


def address_invalid(reason: str) -> PcError:
    return PcError(400, 2007, "AddressValidationFailed", reason)


def mca_missing() -> PcError:
    return PcError(403, 13605, "MicrosoftCustomerAgreementMissing",
                   "To complete this purchase, either you must attest that your customer has accepted the Microsoft "
                   "Customer Agreement or your customer must accept the Microsoft Customer Agreement through the "
                   "Microsoft Admin Center.")


def cart_not_found(cart_id: str) -> PcError:
    return PcError(404, 800008, "CartNotFound", f"Unable to retrieve the cart id {cart_id}.")


def catalog_item_unknown(item: str) -> PcError:
    return PcError(400, 900142, "CatalogItemIdDoesNotExist", f"The catalog item id {item} does not exist.")


def quantity_out_of_range(quantity: Any) -> PcError:
    return PcError(400, 2002, "QuantityOutOfRange",
                   f"Subscription quantity {quantity} is not within the minimum and maximum allowed quantity.")


def subscription_not_found(subscription_id: str) -> PcError:
    return PcError(404, 20003, "SubscriptionNotFound", f"The subscription {subscription_id} is not found.")


def throttled(retry_after: int) -> PcError:
    return PcError(429, 429, "TooManyRequests", "Too many requests. Please retry later.", retry_after=retry_after)
