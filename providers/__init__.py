"""coldfleet's Pulumi dynamic providers. Importable, no side effects at import (dill pickles them by reference)."""
