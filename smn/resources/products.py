"""/v1/products: search and read products, and their stock."""
from __future__ import annotations

import falcon

from smn.auth.scopes import requires_scope
from smn.cache import cached_read
from smn.resources.partner_base import PartnerApiContext, parse_query, send_collection, send_etagged
from smn.schemas.products import ProductQuerySchema, StockQuerySchema
from smn.services.products import ProductService


class ProductsResource:
    """The product collection, its items (suffix "item") and their stock (suffix "stock")."""

    def __init__(self, service: ProductService, api: PartnerApiContext) -> None:
        self.service = service
        self.api = api
        self.query = ProductQuerySchema()
        self.stock_query = StockQuerySchema()

    @requires_scope("products:read")
    @cached_read("products")
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List products.
        ---
        summary: List or export products
        description: >
          Products matching the filters, ordered by id, one page at a time; archived
          products only with `active=false`. With `Accept: application/x-ndjson` every
          match is streamed instead, one JSON product per line (no `limit`/`offset`).
        tags: [Products]
        parameters:
          - in: query
            schema: ProductQuerySchema
        responses:
          200:
            description: A page of products, or every match as NDJSON.
            content:
              application/json:
                schema: ProductPageSchema
              application/x-ndjson:
                schema: ProductSchema
          403:
            $ref: '#/components/responses/Forbidden'
            description: "The token lacks products:read, or Odoo refused."
          422: {$ref: '#/components/responses/InvalidQuery'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_collection(req, resp, self.api.settings, self.query, self.service.list, self.service.export)

    @requires_scope("products:read")
    @cached_read("products")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        """Read a product.
        ---
        summary: Read a product
        tags: [Products]
        responses:
          200:
            description: The product, with an ETag.
            headers:
              ETag: {$ref: '#/components/headers/ETag'}
            content:
              application/json:
                schema: ProductSchema
          304: {$ref: '#/components/responses/NotModified'}
          404: {$ref: '#/components/responses/NotFound'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_etagged(req, resp, self.service.get(product_id))

    @requires_scope("products:read")
    @cached_read("stock")
    def on_get_stock(self, req: falcon.Request, resp: falcon.Response, product_id: int) -> None:
        """Stock of a product.
        ---
        summary: Stock of a product
        description: >
          Quantity on hand and forecast in the product's unit; with `by_location=true`
          also per internal stock location.
        tags: [Products]
        parameters:
          - in: query
            schema: StockQuerySchema
        responses:
          200:
            description: The product's stock, with an ETag.
            headers:
              ETag: {$ref: '#/components/headers/ETag'}
            content:
              application/json:
                schema: StockSchema
          304: {$ref: '#/components/responses/NotModified'}
          404: {$ref: '#/components/responses/NotFound'}
          422: {$ref: '#/components/responses/InvalidQuery'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        query = parse_query(req, self.stock_query)
        send_etagged(req, resp, self.service.stock(product_id, query["by_location"]))
