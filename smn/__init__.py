"""SMN: a REST integration API that stands between partners and Odoo."""

__version__ = "0.1.0"
