"""Partner Center double: customers (tenants), MCA attestation, availabilities, carts, checkout, subscriptions."""
