"""SQLite state: one connection per thread, WAL, and one process-wide write lock.

The first areas' tables are created here; a later area declares its own with `add_schema(sql, tables=...)`
at import time (before `configure()`), so it never grows this file. JSON documents are stored in
`data` TEXT columns; the columns beside them exist for filtering and sorting.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- OAuth ------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS apps (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
    redirect_uris TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sellers (
    id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', company_name TEXT, tax_id TEXT,
    features TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, seller_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    code_challenge TEXT, code_challenge_method TEXT, scope TEXT NOT NULL, expires_at REAL NOT NULL,
    used_at REAL);
CREATE TABLE IF NOT EXISTS access_tokens (            -- token values are never stored, only their jti
    jti TEXT PRIMARY KEY, client_id TEXT NOT NULL, seller_id TEXT, scope TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked_at REAL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    jti TEXT PRIMARY KEY, client_id TEXT NOT NULL, seller_id TEXT NOT NULL, scope TEXT NOT NULL,
    access_jti TEXT NOT NULL, expires_at REAL NOT NULL, used_at REAL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS device_codes (
    device_code TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL, seller_id TEXT,
    status TEXT NOT NULL DEFAULT 'PENDING', scope TEXT NOT NULL, expires_at REAL NOT NULL,
    interval_s INTEGER NOT NULL DEFAULT 5);

-- Catalogue (static, loaded by reset) -------------------------------------------------------------
CREATE TABLE IF NOT EXISTS categories (
    id TEXT PRIMARY KEY, parent_id TEXT, name TEXT NOT NULL, leaf INTEGER NOT NULL, position INTEGER NOT NULL,
    options TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS categories_parent ON categories(parent_id, position);
CREATE TABLE IF NOT EXISTS category_parameters (
    category_id TEXT NOT NULL, param_id TEXT NOT NULL, position INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (category_id, param_id));
CREATE TABLE IF NOT EXISTS delivery_methods (id TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS carriers (id TEXT PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL);

-- Product catalogue (area: products.py): seeded by reset, grown by proposals ---------------------------
-- gtins: the product's GTINs, space-separated with a space at both ends (LIKE '% 5901234123457 %')
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, category_id TEXT NOT NULL, gtins TEXT NOT NULL, mpn TEXT,
    status TEXT NOT NULL, seller_id TEXT, position INTEGER NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS products_category ON products(category_id, position);

-- Seller settings ----------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS shipping_rate_sets (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, last_modified TEXT NOT NULL);
-- kind: return-policies | implied-warranties | warranties
CREATE TABLE IF NOT EXISTS after_sales_conditions (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS asc_seller ON after_sales_conditions(seller_id, kind, created_at);
-- kind: producer | person
CREATE TABLE IF NOT EXISTS responsible_parties (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    hash TEXT PRIMARY KEY, seller_id TEXT, content_type TEXT NOT NULL, ext TEXT NOT NULL, data BLOB NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL);

-- Offers (area: offers.py) ---------------------------------------------------------------------------
-- data = the full SaleProductOfferResponseV1 document as last stored; the columns mirror what listing
-- filters and the lifecycle need. status: INACTIVE|ACTIVATING|ACTIVE|ENDED; archived_at set => 404.
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, external_id TEXT, name TEXT NOT NULL DEFAULT '',
    category_id TEXT, format TEXT NOT NULL DEFAULT 'BUY_NOW', status TEXT NOT NULL DEFAULT 'INACTIVE',
    ended_by TEXT, price_amount TEXT, price_currency TEXT NOT NULL DEFAULT 'PLN',
    stock_available INTEGER NOT NULL DEFAULT 0, stock_sold INTEGER NOT NULL DEFAULT 0,
    initial_stock INTEGER NOT NULL DEFAULT 0, duration TEXT, republish INTEGER NOT NULL DEFAULT 0,
    shipping_rates_id TEXT, return_policy_id TEXT, product_id TEXT,
    starting_at TEXT, started_at TEXT, ending_at TEXT, ended_at TEXT, archived_at TEXT,
    data TEXT NOT NULL, validation TEXT NOT NULL DEFAULT '{"errors":[],"warnings":[]}',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_edit_at TEXT NOT NULL,
    edit_in_progress_until TEXT);
CREATE INDEX IF NOT EXISTS offers_seller ON offers(seller_id, status, created_at);
CREATE INDEX IF NOT EXISTS offers_external ON offers(seller_id, external_id);
CREATE INDEX IF NOT EXISTS offers_seller_created ON offers(seller_id, created_at);
CREATE INDEX IF NOT EXISTS offers_status_starting ON offers(status, starting_at);
CREATE INDEX IF NOT EXISTS offers_status_ending ON offers(status, ending_at);
CREATE INDEX IF NOT EXISTS offers_status_ended ON offers(status, ended_at);
-- sweep(): ENDED offers still waiting for archiving (archived ones stay ENDED and would pile up in the scan)
-- GET /sale/offers: the seller's live offers newest first (and their COUNT) straight from the index
CREATE INDEX IF NOT EXISTS offers_listing ON offers(seller_id, archived_at, created_at, id);
CREATE INDEX IF NOT EXISTS offers_to_archive ON offers(ended_at) WHERE status = 'ENDED' AND archived_at IS NULL;
-- async create/edit operations: status PENDING|IN_PROGRESS|COMPLETED; ready_at = when it completes
CREATE TABLE IF NOT EXISTS offer_operations (
    id TEXT PRIMARY KEY, offer_id TEXT NOT NULL, seller_id TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}', started_at TEXT NOT NULL, ready_at TEXT NOT NULL,
    completed_at TEXT);
-- batch commands; kind: PUBLICATION|PRICE_CHANGE|QUANTITY_CHANGE|MODIFICATION|BULK_MODIFICATION|CHANGE_PRICE
-- body_hash detects reuse of the same UUID with different content (409)
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
    body_hash TEXT NOT NULL, created_at TEXT NOT NULL, completed_at TEXT);
-- one task per (command, offer); status NEW|SUCCESS|FAIL; run_at = when the task will be executed
CREATE TABLE IF NOT EXISTS command_tasks (
    command_id TEXT NOT NULL, position INTEGER NOT NULL, offer_id TEXT NOT NULL, field TEXT,
    status TEXT NOT NULL DEFAULT 'NEW', message TEXT, errors TEXT NOT NULL DEFAULT '[]',
    scheduled_at TEXT, run_at TEXT NOT NULL, finished_at TEXT,
    PRIMARY KEY (command_id, position));
CREATE INDEX IF NOT EXISTS command_tasks_due ON command_tasks(status, run_at);
-- journal of /sale/offer-events; id = opaque cursor string (monotonic), seq orders them
CREATE TABLE IF NOT EXISTS offer_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, seller_id TEXT NOT NULL,
    type TEXT NOT NULL, occurred_at TEXT NOT NULL, offer_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS offer_events_seller ON offer_events(seller_id, seq);

-- Orders (area: orders.py) -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS buyers (
    id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, data TEXT NOT NULL, created_at TEXT NOT NULL);
-- data = the full CheckoutForm document; revision changes on every update
CREATE TABLE IF NOT EXISTS checkout_forms (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, status TEXT NOT NULL, fulfillment_status TEXT,
    revision TEXT NOT NULL, buyer_id TEXT, buyer_login TEXT, delivery_method_id TEXT, payment_id TEXT,
    marketplace_id TEXT NOT NULL DEFAULT 'allegro-pl', bought_at TEXT, updated_at TEXT NOT NULL,
    line_items_sent TEXT NOT NULL DEFAULT 'NONE', data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS checkout_forms_seller ON checkout_forms(seller_id, updated_at);
-- /order/events: id = numeric string (microsecond-like), ascending; seq is the insertion order
CREATE TABLE IF NOT EXISTS order_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, seller_id TEXT NOT NULL,
    type TEXT NOT NULL, occurred_at TEXT NOT NULL, checkout_form_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS order_events_seller ON order_events(seller_id, id);
CREATE TABLE IF NOT EXISTS shipments (
    id TEXT PRIMARY KEY, checkout_form_id TEXT NOT NULL, seller_id TEXT NOT NULL, carrier_id TEXT NOT NULL,
    carrier_name TEXT, waybill TEXT NOT NULL, line_items TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shipments_form ON shipments(checkout_form_id);
CREATE INDEX IF NOT EXISTS checkout_forms_status ON checkout_forms(seller_id, status, updated_at);
CREATE INDEX IF NOT EXISTS checkout_forms_bought ON checkout_forms(seller_id, bought_at);
CREATE INDEX IF NOT EXISTS checkout_forms_buyer ON checkout_forms(seller_id, buyer_login);
CREATE INDEX IF NOT EXISTS order_events_form ON order_events(checkout_form_id, type);
CREATE INDEX IF NOT EXISTS shipments_waybill ON shipments(waybill, seller_id);
"""

TABLES_WIPED_ON_RESET = (
    "apps sellers auth_codes access_tokens refresh_tokens device_codes categories category_parameters "
    "delivery_methods carriers products shipping_rate_sets after_sales_conditions responsible_parties images offers "
    "offer_operations commands command_tasks offer_events buyers checkout_forms order_events shipments"
).split()

# Schemas and wiped tables declared by area modules (`add_schema`), in import order.
_area_schemas: list[str] = []


def add_schema(sql: str, *, tables: list[str] | tuple[str, ...]) -> None:
    """An area's own tables: created by `configure()` beside SCHEMA and wiped by `seed.reset()`.

    Call it at the area module's import; `app.load_areas()` imports every area before configuring."""
    if sql not in _area_schemas:
        _area_schemas.append(sql)
    for table in tables:
        if table not in TABLES_WIPED_ON_RESET:
            TABLES_WIPED_ON_RESET.append(table)


_path: Path | None = None
_local = threading.local()
# SQLite allows one writer at a time; serialising writers in-process avoids SQLITE_BUSY storms and
# gives handlers read-modify-write atomicity without thinking about isolation levels.
write_lock = threading.RLock()
# Connections outlive requests: a request thread takes an idle one (or opens one) and gives it back at the
# end of the request, so a request does not pay for opening/closing SQLite (about 1 ms each way).
_pool: list[sqlite3.Connection] = []
_pool_lock = threading.Lock()
POOL_IDLE_MAX = 32
# In-memory caches of derived, read-mostly data (parsed category parameters, the JWT secret, ...);
# dropped by configure() and by seed.reset() through cache_clear().
_cache: dict[Any, Any] = {}
_cache_lock = threading.Lock()


def configure(path: str | Path) -> None:
    """Point the module at a state file and create the schema."""
    global _path
    close_thread_connection()
    with _pool_lock:
        while _pool:
            _pool.pop().close()
    cache_clear()
    _path = Path(path)
    _path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect()
    conn.executescript(SCHEMA)
    for sql in _area_schemas:
        conn.executescript(sql)
    conn.commit()


def connect() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        assert _path is not None, "db.configure() was not called"
        with _pool_lock:
            conn = _pool.pop() if _pool else None
        if conn is None:
            conn = sqlite3.connect(_path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
        _local.conn = conn
    return conn


def close_thread_connection() -> None:
    """End of a request: give the thread's connection back to the pool (closed when the pool is full)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        return
    _local.conn = None
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        conn.close()
        return
    with _pool_lock:
        if len(_pool) < POOL_IDLE_MAX:
            _pool.append(conn)
            return
    conn.close()


def cached(key: Any, factory: Any) -> Any:
    """`factory()` computed once per key until the next reset (values are shared: treat them as read-only)."""
    try:
        return _cache[key]
    except KeyError:
        pass
    value = factory()
    with _cache_lock:
        return _cache.setdefault(key, value)


def cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


@contextlib.contextmanager
def tx() -> Iterator[sqlite3.Connection]:
    """A write transaction (BEGIN IMMEDIATE under the process write lock); commits or rolls back."""
    conn = connect()
    with write_lock:
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def query(sql: str, params: tuple | list | dict = ()) -> list[sqlite3.Row]:
    return connect().execute(sql, params).fetchall()


def one(sql: str, params: tuple | list | dict = ()) -> sqlite3.Row | None:
    return connect().execute(sql, params).fetchone()


def execute(sql: str, params: tuple | list | dict = ()) -> sqlite3.Cursor:
    with tx() as conn:
        return conn.execute(sql, params)


def meta_get(key: str, default: Any = None) -> Any:
    row = one("SELECT value FROM meta WHERE key = ?", (key,))
    return json.loads(row["value"]) if row else default


def meta_set(key: str, value: Any) -> None:
    execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
