"""Routes of the partner API (partners, products, orders, invoices), wired by smn.app.add_routes."""
from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from smn.idempotency import IdempotencyStore
from smn.odoo.catalog import FieldCatalog
from smn.outbox.accept import Acceptor
from smn.resources.invoices import InvoicesResource
from smn.resources.orders import OrdersResource
from smn.resources.partner_base import PartnerApiContext, Writer
from smn.resources.partners import PartnersResource
from smn.resources.products import ProductsResource
from smn.services.invoices import InvoiceService
from smn.services.orders import OrderService
from smn.services.partners import PartnerService
from smn.services.products import ProductService

if TYPE_CHECKING:
    from smn.app import Services

RECORD_ID = "int(min=1, max=2147483647)"
"""Odoo ids are PostgreSQL integers: anything else is no record (404 from the router)."""


def add_partner_api_routes(app: falcon.App, services: Services) -> None:
    settings = services.settings
    catalog = FieldCatalog(services.odoo)
    store = IdempotencyStore(services.database, ttl=settings.idempotency_ttl, wait=settings.idempotency_wait,
                             lease=settings.idempotency_lease)
    outbox = Acceptor(services.outbox, settings.link) if services.outbox else None
    api = PartnerApiContext(services.settings, Writer(store, outbox), services.reads)
    chunk = settings.export_chunk

    partners = PartnersResource(PartnerService(services.odoo, catalog, chunk), api)
    app.add_route("/v1/partners", partners)
    app.add_route(f"/v1/partners/{{partner_id:{RECORD_ID}}}", partners, suffix="item")

    products = ProductsResource(ProductService(services.odoo, catalog, chunk), api)
    app.add_route("/v1/products", products)
    app.add_route(f"/v1/products/{{product_id:{RECORD_ID}}}", products, suffix="item")
    app.add_route(f"/v1/products/{{product_id:{RECORD_ID}}}/stock", products, suffix="stock")

    orders = OrdersResource(OrderService(services.odoo, catalog), api, settings.batch_max_orders)
    app.add_route("/v1/orders", orders)
    app.add_route("/v1/orders/batch", orders, suffix="batch")
    app.add_route(f"/v1/orders/{{order_id:{RECORD_ID}}}", orders, suffix="item")
    app.add_route(f"/v1/orders/{{order_id:{RECORD_ID}}}/confirm", orders, suffix="confirm")
    app.add_route(f"/v1/orders/{{order_id:{RECORD_ID}}}/cancel", orders, suffix="cancel")

    invoices = InvoicesResource(InvoiceService(services.odoo, catalog), api)
    app.add_route("/v1/invoices", invoices)
    app.add_route(f"/v1/invoices/{{invoice_id:{RECORD_ID}}}", invoices, suffix="item")
