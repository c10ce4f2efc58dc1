"""Demo data of the Odoo 19 sandbox (see ``smn.odoo.sandbox``).

The records mirror the demo database the wire samples were captured from
(``shared/odoo19/odoo19-models.json``): the same ids, names, prices and
totals wherever a sample shows them, and plausible made-up rows around them
so that counts match (41 active partners, 47 active products, 24 sales
orders with 50 lines, 56 customer invoices, 38 quants).

Everything is deterministic. Timestamps are written relative to
``DEMO_EPOCH``, the moment of the capture; ``build_demo_data`` moves that
epoch back to "now" only when the machine's clock is earlier than it, so
demo records are never dated in the future.

Raw values follow the sandbox's storage convention: many2one as an id or
``False``, many2many as a list of ids, dates and datetimes as Odoo strings,
empty text as ``False``. One2many fields are not stored (they are derived
from the inverse many2one). Keys starting with ``_`` are private to the
sandbox and never exposed.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

DEMO_EPOCH = datetime(2026, 12, 4, 19, 21, 40)
"""When the samples were captured (UTC): the demo data is dated relative to it."""

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"

Row = dict[str, Any]

# id, name, ref, email, phone, street, city, zip, country_id, vat
_COMPANIES: list[tuple] = [
    (1, "My Company (San Francisco)", False, "info@yourcompany.com", "+1 555-555-5556",
     "8000 Marina Blvd, Suite 300", "Brisbane", "94005", 233, False),
    (9, "Acme Corporation", "ACME", "contact@acme.example.com", "+1 555-010-0009",
     "1 Acme Plaza", "Springfield", "62701", 233, "US41-1234567"),
    (10, "Deco Addict", "DECO", "deco.addict82@example.com", "(603)-996-3829",
     "77 Santa Barbara Rd", "Pleasant Hill", "94523", 233, False),
    (11, "Ready Mat", "READY", "ready.mat28@example.com", "(803)-873-6126",
     "7500 W Linne Road", "Tracy", "95304", 233, False),
    (12, "Gemini Furniture", "GEMINI", "gemini.furniture39@example.com", "(941)-284-4875",
     "317 Fairchild Dr", "Fairfield", "94535", 233, False),
    (13, "Lumber Inc", "LUMBER", "lumber-inv92@example.com", "(828)-316-0593",
     "1337 N San Joaquin St", "Stockton", "95202", 233, False),
    (14, "Wood Corner", "WOOD", "wood.corner26@example.com", "(623)-853-7197",
     "1839 Arbor Way", "Turlock", "95380", 233, False),
    (15, "Azure Interior", "AZURE", "azure.Interior24@example.com", "(870)-931-0505",
     "4557 De Silva St", "Fremont", "94538", 233, "US12345677"),
    (16, "The Jackson Group", "JACKSON", "jackson.group82@example.com", "(334)-502-1024",
     "1611 Peony Dr", "Tracy", "95377", 233, False),
    (17, "Brussels Office Supplies", "BOS", "orders@bos.example.com", "+32 2 555 01 17",
     "Rue de la Loi 42", "Brussels", "1040", 21, "BE0477472701"),
    (18, "Atelier Lumière", "LUMIERE", "bonjour@lumiere.example.com", "+33 1 55 50 01 18",
     "12 Rue de Rivoli", "Paris", "75004", 75, "FR23334175221"),
    (19, "Berliner Möbelhaus", "BMH", "info@bmh.example.com", "+49 30 5550118",
     "Friedrichstraße 68", "Berlin", "10117", 57, "DE123456788"),
    (20, "Maple Leaf Interiors", "MAPLE", "hello@maple.example.com", "+1 416-555-0120",
     "100 King St W", "Toronto", "M5X 1A9", 38, False),
]

# id, name, parent_id, email, phone, active; address copied from the parent
# company, or given in _PERSON_ADDRESSES for people without one.
_PEOPLE: list[tuple] = [
    (2, "OdooBot", False, "odoobot@example.com", False, False),
    (3, "Mitchell Admin", False, "admin@example.com", "+1 555-555-5555", True),
    (4, "Public user", False, False, False, False),
    (5, "Default User Template", False, False, False, False),
    (6, "Marc Demo", False, "mark.brown23@example.com", "(441)-695-2334", True),
    (7, "Joel Willis", False, "joel.willis63@example.com", "(683)-556-5104", True),
    (8, "Chester Reed", 1, "chester.reed79@example.com", "(979)-904-8902", True),
    (21, "Brandon Freeman", 15, "brandon.freeman55@example.com", "(355)-687-3262", True),
    (22, "Colleen Diaz", 15, "colleen.diaz83@example.com", "(255)-595-8393", True),
    (23, "Nicole Ford", 15, "nicole.ford75@example.com", "(946)-638-6034", True),
    (24, "Addison Olson", 10, "addison.olson28@example.com", "(223)-399-7637", True),
    (25, "Douglas Fletcher", 10, "douglas.fletcher51@example.com", "(132)-553-7242", True),
    (26, "Floyd Steward", 10, "floyd.steward34@example.com", "(145)-138-3401", True),
    (27, "Edwin Hansen", 12, "edwin.hansen58@example.com", "(943)-352-2555", True),
    (28, "Jesse Brown", 12, "jesse.brown74@example.com", "(829)-386-3277", True),
    (29, "Oscar Morgan", 12, "oscar.morgan11@example.com", "(561)-239-1744", True),
    (30, "Soham Palmer", 12, "soham.palmer15@example.com", "(379)-167-2040", True),
    (31, "Billy Fox", 16, "billy.fox45@example.com", "(915)-498-5611", True),
    (32, "Edith Sanchez", 16, "edith.sanchez68@example.com", "(938)-175-2048", True),
    (33, "Kim Snyder", 14, "kim.snyder96@example.com", "(215)-379-4865", True),
    (34, "Sandra Neal", 14, "sandra.neal80@example.com", "(430)-371-7293", True),
    (35, "Theodore Gardner", 11, "theodore.gardner36@example.com", "(186)-612-6561", True),
    (36, "Julie Richards", 11, "julie.richards84@example.com", "(225)-148-7811", True),
    (37, "Toni Rhodes", 13, "toni.rhodes11@example.com", "(198)-539-4948", True),
    (38, "Gordon Owens", 13, "gordon.owens45@example.com", "(336)-723-6569", True),
    (39, "Lorraine Douglas", 9, "lorraine.douglas35@example.com", "(443)-648-9155", True),
    (40, "Ron Gibson", 9, "ron.gibson76@example.com", "(976)-397-4091", True),
    (41, "Tom Ruiz", 17, "tom.ruiz89@example.com", "+32 2 555 01 41", True),
    (42, "Willie Burke", 18, "willie.burke80@example.com", "+33 1 55 50 01 42", True),
    (43, "Travis Mendoza", 19, "travis.mendoza24@example.com", "+49 30 5550143", True),
    (44, "Jeff Lawson", 20, "jeff.lawson52@example.com", "+1 416-555-0144", True),
]

_PERSON_ADDRESSES: dict[int, tuple] = {
    3: ("215 Vine St", "Scranton", "18503", 233),
    6: ("3575  Buena Vista Avenue", "Eugene", "97401", 233),
    7: ("858 Lynn Street", "Bayonne", "07002", 233),
}

_PARTNER_WRITE_OFFSETS: dict[int, int] = {6: 1}
"""Seconds before the epoch each partner was last written (default 18)."""

_COUNTRIES = [
    (21, "Belgium", "BE"), (38, "Canada", "CA"), (57, "Germany", "DE"),
    (75, "France", "FR"), (231, "United Kingdom", "GB"), (233, "United States", "US"),
]

_CURRENCIES = [(1, "USD", "$", "US Dollar", 1.0), (2, "EUR", "€", "Euro", 0.9215)]

_UOMS = [(1, "Units"), (2, "Dozens"), (3, "kg"), (4, "Hours"), (5, "Days"), (6, "m"), (7, "L")]

_CATEGORIES = [
    (1, "Goods", False), (2, "Expenses", False), (3, "Services", False),
    (4, "Office Furniture", 1), (5, "Storage", 1), (6, "Consulting", 3), (7, "Combos", 1),
]

# id, template id, default_code, name, variant label, categ, uom, type, storable,
# list_price, standard_price, description_sale
_PRODUCTS: list[tuple] = [
    (1, 1, False, "Restaurant Expenses", "", 2, 1, "service", False, 14.0, 8.0, False),
    (2, 2, False, "Hotel Accommodation", "", 2, 5, "service", False, 400.0, 400.0, False),
    (3, 3, False, "Virtual Interior Design", "", 3, 4, "service", False, 30.75, 20.5, False),
    (4, 4, False, "Virtual Home Staging", "", 3, 4, "service", False, 38.25, 25.5, False),
    (5, 5, "FURN_7777", "Office Chair", "", 4, 1, "consu", True, 65.0, 55.0,
     "Comfortable yellow chair for daily work"),
    (6, 6, "FURN_8888", "Office Lamp", "", 4, 1, "consu", True, 145.0, 120.0, False),
    (7, 7, "FURN_6741", "Large Meeting Table", "", 4, 1, "consu", True, 4000.0, 3500.0,
     "Conference room table for ten people"),
    (8, 8, "FURN_8220", "Four Person Desk", "", 4, 1, "consu", True, 2350.0, 2100.0, False),
    (9, 9, "FURN_8999", "Three-Seat Sofa", "", 4, 1, "consu", True, 1500.0, 1000.0, False),
    (10, 10, "FURN_9999", "Office Design Software", "", 6, 1, "service", False, 280.0, 235.0, False),
    (11, 11, "E-COM11", "Cabinet with Doors", "", 5, 1, "consu", True, 140.0, 120.5, False),
    (12, 12, "E-COM12", "Conference Chair", "Steel", 4, 1, "consu", True, 33.0, 28.0, False),
    (13, 12, "E-COM13", "Conference Chair", "Aluminium", 4, 1, "consu", True, 33.0, 29.5, False),
    (14, 14, "FURN_7800", "Desk Combination", "", 4, 1, "consu", True, 450.0, 300.0, False),
    (15, 15, "DESK0005", "Customizable Desk", "Steel, White", 4, 1, "consu", True, 750.0, 500.0, False),
    (16, 15, "FURN_0097", "Customizable Desk", "Aluminium, White", 4, 1, "consu", True, 750.0, 520.0, False),
    (17, 15, "FURN_0098", "Customizable Desk", "Aluminium, Black", 4, 1, "consu", True, 750.0, 520.0, False),
    (18, 15, "DESK0006", "Customizable Desk", "Steel, Black", 4, 1, "consu", True, 750.0, 500.0, False),
    (19, 19, "E-COM06", "Corner Desk Right Sit", "", 4, 1, "consu", True, 147.0, 78.0, False),
    (20, 20, "E-COM07", "Large Cabinet", "", 5, 1, "consu", True, 320.0, 280.0, False),
    (21, 21, "E-COM08", "Storage Box", "", 5, 1, "consu", True, 15.8, 14.0, False),
    (22, 22, "E-COM09", "Large Desk", "", 4, 1, "consu", True, 1799.0, 1299.0, False),
    (23, 23, "E-COM10", "Pedal Bin", "", 5, 1, "consu", True, 47.0, 10.0, False),
    (24, 24, "FURN_0001", "Drawer Black", "", 5, 1, "consu", True, 25.0, 20.0, False),
    (25, 25, "FURN_0002", "Drawer Case Black", "", 5, 1, "consu", True, 30.0, 22.0, False),
    (26, 26, "FURN_0269", "Office Chair Black", "", 4, 1, "consu", True, 120.5, 100.0, False),
    (27, 27, "FURN_1118", "Corner Desk Left Sit", "", 4, 1, "consu", True, 139.5, 110.0, False),
    (28, 28, "FURN_2100", "Drawer Grey", "", 5, 1, "consu", True, 26.0, 20.0, False),
    (29, 29, "FURN_2333", "Table Leg", "", 4, 1, "consu", True, 12.5, 9.0, False),
    (30, 30, "FURN_3333", "Cable Management Box", "", 4, 1, "consu", True, 100.0, 70.0, False),
    (31, 31, "FURN_5555", "Desk Stand with Screen", "", 4, 1, "consu", True, 2100.0, 1800.0, False),
    (32, 32, "FURN_5623", "Flipover", "", 4, 1, "consu", True, 1950.0, 1700.0, False),
    (33, 33, "FURN_6666", "Acoustic Bloc Screens", "White", 4, 1, "consu", True, 295.0, 287.0,
     "Noise-reducing panels for open spaces"),
    (34, 34, "FURN_7111", "Ergonomic Chair", "", 4, 1, "consu", True, 310.0, 250.0, False),
    (35, 35, "FURN_7888", "Desk Pad", "", 4, 1, "consu", True, 18.0, 11.0, False),
    (36, 36, "FURN_0789", "Individual Workplace", "", 4, 1, "consu", True, 885.0, 876.0, False),
    (37, 37, "FURN_8522", "Table Kit", "", 4, 1, "consu", True, 147.0, 120.0, False),
    (38, 33, "FURN_6667", "Acoustic Bloc Screens", "Black", 4, 1, "consu", True, 295.0, 287.0,
     "Noise-reducing panels for open spaces"),
    (39, 39, "FURN_8900", "Drawer Organizer", "", 5, 1, "consu", True, 14.0, 8.0, False),
    (40, 40, "FURN_9001", "Whiteboard Pen", "", 4, 1, "consu", False, 1.2, 0.6, False),
    (41, 41, "FURN_9002", "Monitor Stand", "", 4, 1, "consu", True, 79.0, 55.0, False),
    (42, 42, False, "Standard delivery", "", 3, 1, "service", False, 0.0, 0.0, False),
    (43, 43, "SERV_0001", "Office Cleaning Service", "", 3, 4, "service", False, 45.0, 30.0, False),
    (44, 44, "SERV_0002", "Furniture Assembly", "", 6, 4, "service", False, 60.0, 40.0, False),
    (45, 45, "GIFT_CARD", "Gift Card", "", 1, 1, "consu", False, 50.0, 50.0, False),
    (46, 46, "OFC-COMBO", "Office Combo", "", 7, 1, "combo", False, 1200.0, 0.0, False),
    (47, 47, False, "Down Payment", "", 3, 1, "service", False, 0.0, 0.0, False),
    (48, 48, "FURN_0000", "Discontinued Chair", "", 4, 1, "consu", True, 99.0, 60.0, False),
    (49, 49, "E-COM00", "Old Storage Box", "", 5, 1, "consu", True, 12.0, 9.0, False),
]
_INACTIVE_PRODUCTS = {48, 49}

# (product, location, quantity, reserved); first three as captured, then one
# quant per storable product in WH/Stock, and three in the second warehouse.
_FIXED_QUANTS = [(36, 5, 16.0, 0.0), (21, 5, 18.0, 0.0), (20, 5, 500.0, 150.0)]
_FIXED_STOCK = {15: 50.0, 18: 70.0}
_SECOND_WAREHOUSE_QUANTS = [(15, 10, 15.0, 0.0), (5, 10, 12.0, 0.0), (26, 10, 8.0, 0.0)]

_LOCATIONS = [
    # id, name, parent, usage
    (1, "Physical Locations", False, "view"),
    (2, "Partners", False, "view"),
    (3, "Virtual Locations", False, "view"),
    (4, "WH", 1, "view"),
    (5, "Stock", 4, "internal"),
    (6, "Vendors", 2, "supplier"),
    (7, "Customers", 2, "customer"),
    (8, "Inventory adjustment", 3, "inventory"),
    (9, "WH2", 1, "view"),
    (10, "Stock", 9, "internal"),
]

# id, partner, age of date_order, state, client_order_ref, salesperson,
# lines as (product, quantity, price_unit or None for the list price, discount)
_ORDERS: list[tuple] = [
    (1, 9, timedelta(days=30, seconds=40), "draft", False, 2,
     [(38, 3, 295.0, 0), (6, 5, 145.0, 0), (5, 2, 65.0, 0)]),
    (2, 11, timedelta(days=30, seconds=40), "draft", False, 2, [(15, 3, 750.0, 0), (27, 5, 139.5, 0)]),
    (3, 11, timedelta(seconds=2), "draft", False, 2, [(6, 2, 145.0, 0), (4, 2, 43.75, 0)]),
    (4, 10, timedelta(days=25), "sent", "PO-2026-0104", 2, [(7, 1, 4000.0, 0), (30, 2, 100.0, 0)]),
    (5, 12, timedelta(days=24), "sale", "GEM-5521", 2, [(9, 2, 1500.0, 0), (30, 4, 100.0, 0)]),
    (6, 13, timedelta(days=22), "sale", False, 5, [(22, 1, 1799.0, 0), (23, 3, 47.0, 0)]),
    (7, 14, timedelta(days=20), "cancel", False, 2, [(19, 2, 147.0, 0), (23, 1, 47.0, 0)]),
    (8, 15, timedelta(days=19), "sale", "AZ-7781", 2, [(36, 2, 885.0, 0), (33, 4, 295.0, 0)]),
    (9, 16, timedelta(days=18), "draft", False, 5, [(32, 1, 1950.0, 0), (40, 20, 1.2, 0)]),
    (10, 9, timedelta(days=17), "sale", "ACME-PO-88", 2, [(5, 10, 65.0, 0), (26, 10, 120.5, 10.0)]),
    (11, 17, timedelta(days=15), "sent", False, 2, [(11, 6, 140.0, 0), (21, 10, 15.8, 0)]),
    (12, 18, timedelta(days=14), "sale", "FR-2026-12", 2, [(14, 2, 450.0, 0), (21, 20, 15.8, 0)]),
    (13, 19, timedelta(days=12), "draft", False, 2, [(20, 5, 320.0, 0), (21, 10, 15.8, 0)]),
    (14, 20, timedelta(days=11), "sale", False, 5, [(3, 8, 30.75, 0), (44, 4, 60.0, 0)]),
    (15, 21, timedelta(days=10), "sale", False, 2, [(12, 6, 33.0, 0), (13, 6, 33.0, 0)]),
    (16, 24, timedelta(days=9), "cancel", False, 2, [(31, 1, 2100.0, 0), (24, 2, 25.0, 0)]),
    (17, 27, timedelta(days=8), "sale", "GEM-5590", 2, [(16, 2, 750.0, 0), (17, 2, 750.0, 5.0)]),
    (18, 10, timedelta(days=7), "draft", False, 2, [(24, 12, 25.0, 0), (25, 4, 30.0, 0)]),
    (19, 12, timedelta(days=6), "sent", False, 5, [(34, 3, None, 0), (43, 2, 45.0, 0)]),
    (20, 15, timedelta(days=5), "sale", "AZ-7802", 2, [(18, 1, 750.0, 0), (35, 2, None, 0), (43, 5, 45.0, 0)]),
    (21, 9, timedelta(days=4), "sale", False, 2, [(41, 4, None, 0), (10, 1, 280.0, 0)]),
    (22, 14, timedelta(days=3), "draft", False, 2, [(28, 3, None, 0), (29, 4, None, 0)]),
    (25, 15, timedelta(days=1), "sale", "AZ-7810", 2, [(36, 1, 885.0, 0), (6, 1, 145.0, 0)]),
    (26, 9, timedelta(days=1), "draft", False, 2, [(5, 4, 65.0, 0), (30, 2, 100.0, 0)]),
]
NEXT_SALE_ORDER_NUMBER = 27
"""Orders 23 and 24 were deleted in the captured database: the sequence went on."""

# The three captured invoices: id, partner, age of the invoice date (days),
# days from the invoice date to the due date, lines (product, quantity, price).
_FIXED_INVOICES: list[tuple] = [
    (1, 15, 3, 61, [(15, 40, 750.0), (24, 70, 25.0)]),
    (2, 9, 2, 2, [(7, 10, 4000.0), (9, 4, 1500.0), (24, 10, 25.0)]),
    (3, 9, 3, 3, [(32, 10, 1950.0), (30, 8, 100.0), (24, 3, 25.0)]),
]
_INVOICE_CUSTOMERS = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 7, 21, 24, 27]
_INVOICE_PRODUCTS = [5, 6, 7, 9, 11, 14, 19, 20, 21, 22, 24, 26, 30, 33, 36, 41, 3, 43, 44]
LAST_POSTED_INVOICE = 44
LAST_DRAFT_INVOICE = 48
LAST_INVOICE = 56

_SALE_TAX = 1


def _stamp(moment: datetime) -> str:
    return moment.strftime(DATETIME_FORMAT)


def _day(moment: datetime) -> str:
    return moment.strftime(DATE_FORMAT)


def _product_display(code: Any, name: str, variant: str) -> str:
    label = f"{name} ({variant})" if variant else name
    return f"[{code}] {label}" if code else label


def build_demo_data(now: datetime, *, extra_products: int = 0, extra_partners: int = 0) -> dict[str, list[Row]]:
    """Every demo record per model name, as raw rows with their ``id``.

    ``now`` is the current UTC time (naive); demo timestamps are dated
    relative to ``min(now, DEMO_EPOCH)``.
    """
    epoch = min(now.replace(microsecond=0), DEMO_EPOCH)
    data: dict[str, list[Row]] = {}
    data["res.country"] = [{"id": i, "name": n, "code": c} for i, n, c in _COUNTRIES]
    data["res.currency"] = [
        {"id": i, "name": n, "symbol": s, "full_name": f, "rate": r, "active": True}
        for i, n, s, f, r in _CURRENCIES
    ]
    data["uom.uom"] = [{"id": i, "name": n, "active": True} for i, n in _UOMS]
    data["product.category"] = [{"id": i, "name": n, "parent_id": p} for i, n, p in _CATEGORIES]
    data["account.tax"] = [
        {"id": 1, "name": "15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale", "active": True},
        {"id": 2, "name": "15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "purchase",
         "active": True},
    ]
    data["res.partner"] = _partners(epoch, extra_partners)
    data["res.users"] = [
        {"id": 1, "login": "__system__", "partner_id": 2, "active": False, "share": False},
        {"id": 2, "login": "admin", "partner_id": 3, "active": True, "share": False},
        {"id": 5, "login": "demo", "partner_id": 6, "active": True, "share": False},
    ]
    templates, products = _products(epoch, extra_products)
    data["product.template"] = templates
    data["product.product"] = products
    data["stock.location"] = [
        {"id": i, "name": n, "location_id": p, "usage": u, "active": True} for i, n, p, u in _LOCATIONS
    ]
    data["stock.quant"] = _quants(extra_products)
    data["sale.order"], data["sale.order.line"] = _sale_orders(epoch)
    data["account.move"], data["account.move.line"] = _invoices(epoch)
    data["ir.config_parameter"] = [
        {"id": 1, "key": "database.create_date", "value": _stamp(epoch - timedelta(minutes=20))},
        {"id": 2, "key": "database.uuid", "value": "0b6f6b5e-8d0c-11ef-9a3b-0242ac120002"},
        {"id": 3, "key": "database.secret", "value": "sandbox-not-a-secret"},
        {"id": 4, "key": "web.base.url", "value": "http://localhost:8069"},
        {"id": 5, "key": "base.login_cooldown_after", "value": "10"},
        {"id": 6, "key": "base.login_cooldown_duration", "value": "60"},
        {"id": 7, "key": "sale.default_confirmation_template", "value": "12"},
    ]
    data["ir.model.data"] = _external_ids()
    for rows in data.values():
        for row in rows:
            row.setdefault("write_date", _stamp(epoch - timedelta(seconds=18)))
            row.setdefault("create_date", _stamp(epoch - timedelta(minutes=20)))
            row.setdefault("create_uid", 1)
            row.setdefault("write_uid", 1)
    return data


def _partners(epoch: datetime, extra: int) -> list[Row]:
    rows: dict[int, Row] = {}
    for pid, name, ref, email, phone, street, city, zip_code, country, vat in _COMPANIES:
        rows[pid] = {
            "id": pid, "name": name, "ref": ref, "email": email, "phone": phone, "street": street,
            "city": city, "zip": zip_code, "country_id": country, "vat": vat, "is_company": True,
            "parent_id": False, "active": True,
        }
    for pid, name, parent, email, phone, active in _PEOPLE:
        if parent:
            company = rows[parent]
            street, city, zip_code, country = company["street"], company["city"], company["zip"], company["country_id"]
        else:
            street, city, zip_code, country = _PERSON_ADDRESSES.get(pid, (False, False, False, False))
        rows[pid] = {
            "id": pid, "name": name, "ref": False, "email": email, "phone": phone, "street": street,
            "city": city, "zip": zip_code, "country_id": country, "vat": False, "is_company": False,
            "parent_id": parent, "active": active,
        }
    for pid, row in rows.items():
        row["write_date"] = _stamp(epoch - timedelta(seconds=_PARTNER_WRITE_OFFSETS.get(pid, 18)))
    result = [rows[pid] for pid in sorted(rows)]
    next_id = max(rows) + 1
    for n in range(1, extra + 1):
        company = n % 5 == 1
        result.append({
            "id": next_id, "name": f"Generated Partner {n:05d}", "ref": f"GP{n:05d}",
            "email": f"generated.partner{n:05d}@example.com", "phone": f"+1 555-{n % 10000:04d}",
            "street": f"{n} Generated Street", "city": "Springfield", "zip": f"{10000 + n % 90000}",
            "country_id": 233, "vat": False, "is_company": company, "parent_id": False, "active": True,
            "write_date": _stamp(epoch - timedelta(seconds=n % 3600)),
        })
        next_id += 1
    return result


def _products(epoch: datetime, extra: int) -> tuple[list[Row], list[Row]]:
    written = _stamp(epoch - timedelta(seconds=4))
    templates: dict[int, Row] = {}
    products: list[Row] = []
    for (pid, tmpl, code, name, variant, categ, uom, ptype, storable, price, cost, description) in _PRODUCTS:
        active = pid not in _INACTIVE_PRODUCTS
        templates.setdefault(tmpl, {
            "id": tmpl, "name": name, "list_price": price, "type": ptype, "is_storable": storable,
            "sale_ok": True, "categ_id": categ, "uom_id": uom, "description_sale": description,
            "is_favorite": False, "active": active, "write_date": written,
        })
        products.append({
            "id": pid, "product_tmpl_id": tmpl, "default_code": code,
            "barcode": f"601647855{pid:04d}" if code and ptype == "consu" else False,
            "standard_price": cost, "active": active, "write_date": written, "_variant": variant,
        })
    next_id = max(p["id"] for p in products) + 1
    for n in range(1, extra + 1):
        pid = next_id + n - 1
        templates[pid] = {
            "id": pid, "name": f"Generated Product {n:06d}", "list_price": float(5 + n % 995),
            "type": "consu", "is_storable": True, "sale_ok": True, "categ_id": 1 + n % 2 * 3, "uom_id": 1,
            "description_sale": False, "is_favorite": False, "active": True,
            "write_date": _stamp(epoch - timedelta(seconds=n % 86400)),
        }
        products.append({
            "id": pid, "product_tmpl_id": pid, "default_code": f"GEN-{n:06d}",
            "barcode": f"2{n:012d}", "standard_price": float(3 + n % 600), "active": True,
            "write_date": templates[pid]["write_date"], "_variant": "",
        })
    return [templates[t] for t in sorted(templates)], products


def _quants(extra_products: int) -> list[Row]:
    quants: list[tuple] = list(_FIXED_QUANTS)
    fixed = {q[0] for q in _FIXED_QUANTS}
    for pid, _tmpl, _code, _name, _variant, *_rest in _PRODUCTS:
        storable = _rest[3]
        if not storable or pid in fixed or pid in _INACTIVE_PRODUCTS:
            continue
        quants.append((pid, 5, _FIXED_STOCK.get(pid, float((pid * 37) % 90 + 5)), 0.0))
    quants.extend(_SECOND_WAREHOUSE_QUANTS)
    first_extra = max(p[0] for p in _PRODUCTS) + 1
    for n in range(extra_products):
        quants.append((first_extra + n, 5, float(n % 50), 0.0))
    return [
        {"id": i, "product_id": p, "location_id": loc, "quantity": q, "reserved_quantity": r}
        for i, (p, loc, q, r) in enumerate(quants, start=1)
    ]


def _product_lookup() -> dict[int, tuple]:
    return {p[0]: p for p in _PRODUCTS}


def _line_label(product: tuple) -> str:
    pid, _tmpl, code, name, variant, *_rest, description = product
    label = _product_display(code, name, variant)
    return f"{label}\n{description}" if description else label


def _sale_orders(epoch: datetime) -> tuple[list[Row], list[Row]]:
    products = _product_lookup()
    orders: list[Row] = []
    lines: list[Row] = []
    line_id = 1
    for oid, partner, age, state, ref, user, order_lines in _ORDERS:
        orders.append({
            "id": oid, "name": f"S{oid:05d}", "partner_id": partner, "date_order": _stamp(epoch - age),
            "state": state, "currency_id": 1, "client_order_ref": ref, "user_id": user, "origin": False,
            "write_date": _stamp(epoch),
        })
        for pid, qty, price, discount in order_lines:
            product = products[pid]
            lines.append({
                "id": line_id, "order_id": oid, "product_id": pid, "name": _line_label(product),
                "product_uom_qty": float(qty), "product_uom_id": product[6],
                "price_unit": float(product[9] if price is None else price), "discount": float(discount),
                "tax_ids": [], "write_date": _stamp(epoch),
            })
            line_id += 1
    return orders, lines


def _invoices(epoch: datetime) -> tuple[list[Row], list[Row]]:
    products = _product_lookup()
    today = epoch.replace(hour=0, minute=0, second=0)
    specs: list[tuple] = list(_FIXED_INVOICES)
    for mid in range(len(_FIXED_INVOICES) + 1, LAST_INVOICE + 1):
        partner = _INVOICE_CUSTOMERS[mid % len(_INVOICE_CUSTOMERS)]
        age = (mid * 7) % 60 + 4
        count = mid % 3 + 1
        picked = [
            _INVOICE_PRODUCTS[(mid * 5 + k * 3) % len(_INVOICE_PRODUCTS)] for k in range(count)
        ]
        specs.append((mid, partner, age, 30, [(pid, (mid + k) % 6 + 1, None) for k, pid in enumerate(picked)]))
    moves: list[Row] = []
    lines: list[Row] = []
    line_id = 1
    refund_number = 0
    for mid, partner, age, due_in, move_lines in specs:
        invoice_date = today - timedelta(days=age)
        refund = mid > LAST_DRAFT_INVOICE
        draft = LAST_POSTED_INVOICE < mid <= LAST_DRAFT_INVOICE
        if refund:
            refund_number += 1
            name = f"RINV/{invoice_date.year}/{refund_number:05d}"
        else:
            name = "/" if draft else f"INV/{invoice_date.year}/{mid:05d}"
        payment_state = "not_paid"
        paid_share = 0.0
        if not draft and mid > len(_FIXED_INVOICES):
            if mid % 3 == 0:
                payment_state, paid_share = "paid", 1.0
            elif mid % 7 == 0:
                payment_state, paid_share = "partial", 0.5
        moves.append({
            "id": mid, "name": name, "partner_id": partner,
            "move_type": "out_refund" if refund else "out_invoice",
            "state": "draft" if draft else "posted", "date": _day(invoice_date),
            "invoice_date": _day(invoice_date), "invoice_date_due": _day(invoice_date + timedelta(days=due_in)),
            "payment_state": payment_state, "currency_id": 1, "ref": False,
            "invoice_origin": f"S{mid % 22 + 1:05d}" if mid % 4 == 0 and not refund else False,
            "_paid_share": paid_share, "write_date": _stamp(epoch - timedelta(seconds=10)),
        })
        for pid, qty, price in move_lines:
            product = products[pid]
            lines.append({
                "id": line_id, "move_id": mid, "product_id": pid, "name": _line_label(product),
                "quantity": float(qty), "price_unit": float(product[9] if price is None else price),
                "discount": 0.0, "tax_ids": [], "display_type": "product",
                "write_date": _stamp(epoch - timedelta(seconds=10)),
            })
            line_id += 1
    return moves, lines


def _external_ids() -> list[Row]:
    entries = [
        ("base", "main_partner", "res.partner", 1), ("base", "partner_root", "res.partner", 2),
        ("base", "partner_admin", "res.partner", 3), ("base", "partner_demo", "res.partner", 6),
        ("base", "user_root", "res.users", 1), ("base", "user_admin", "res.users", 2),
        ("base", "user_demo", "res.users", 5), ("base", "be", "res.country", 21),
        ("base", "ca", "res.country", 38), ("base", "de", "res.country", 57),
        ("base", "fr", "res.country", 75), ("base", "uk", "res.country", 231),
        ("base", "us", "res.country", 233), ("base", "USD", "res.currency", 1),
        ("base", "EUR", "res.currency", 2), ("uom", "product_uom_unit", "uom.uom", 1),
        ("uom", "product_uom_dozen", "uom.uom", 2), ("uom", "product_uom_kgm", "uom.uom", 3),
        ("uom", "product_uom_hour", "uom.uom", 4), ("uom", "product_uom_day", "uom.uom", 5),
        ("product", "product_category_goods", "product.category", 1),
        ("product", "cat_expense", "product.category", 2),
        ("product", "product_category_services", "product.category", 3),
        ("product", "expense_product", "product.product", 1),
        ("product", "product_product_12", "product.product", 5),
        ("product", "product_product_8", "product.product", 6),
        ("stock", "warehouse0_view_location", "stock.location", 4),
        ("stock", "stock_location_stock", "stock.location", 5),
        ("stock", "stock_location_suppliers", "stock.location", 6),
        ("stock", "stock_location_customers", "stock.location", 7),
        ("account", "sale_tax_template", "account.tax", _SALE_TAX),
    ]
    return [
        {"id": i, "module": module, "name": name, "model": model, "res_id": res_id, "noupdate": False}
        for i, (module, name, model, res_id) in enumerate(entries, start=1)
    ]
