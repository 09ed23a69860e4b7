"""avito-sync: keeps Avito short-term-rent listings in step with the property-management app."""

__version__ = "0.1.0"
