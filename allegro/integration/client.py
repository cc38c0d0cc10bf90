"""The only module that talks HTTP to Allegro.

One ``AllegroClient`` per account (or per app, for app-only calls). It sets the vendor media
types and ``Accept-Language: pl-PL``, puts a timeout on every call, waits for the shared rate
limiter, retries 5xx and timeouts of idempotent calls with exponential backoff and jitter, waits
and retries after 429, refreshes the token once on 401, follows 202/303 operations by hand (so the
Authorization header is not lost) and turns error bodies into typed exceptions carrying
Allegro's ``userMessage`` and ``path``. Logs carry method, path, status, time and trace-id —
never a token, a secret or a body.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urljoin, urlsplit

import requests

from allegro.integration.ratelimit import Limit, RateLimiter
from allegro.integration.schemas.invoices import OrderInvoices
from allegro.integration.schemas.messaging import Issue, IssueMessage, Message, MessageList, ThreadList
from allegro.integration.schemas.products import CatalogueProduct, parse_products
from allegro.integration.schemas.shipments import (
    Address,
    CommandStatus,
    DeliveryService,
    Pickup,
    PickupProposal,
    PickupProposals,
    PickupTime,
    ShipmentDetails,
    ShipmentInput,
)

logger = logging.getLogger("allegro.integration.client")

PUBLIC_MEDIA = "application/vnd.allegro.public.v1+json"
BETA_MEDIA = "application/vnd.allegro.beta.v1+json"
FILE_MEDIA = "application/octet-stream"  # labels and protocols
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiErrorItem:
    code: str = ""
    message: str = ""
    user_message: str = ""
    path: str = ""
    details: str = ""
    metadata: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any) -> ApiErrorItem:
        if not isinstance(raw, dict):
            return cls(message=str(raw)[:500])
        metadata = raw.get("metadata")
        return cls(
            code=str(raw.get("code") or ""),
            message=str(raw.get("message") or ""),
            user_message=str(raw.get("userMessage") or ""),
            path=str(raw.get("path") or ""),
            details=str(raw.get("details") or ""),
            metadata=metadata if isinstance(metadata, dict) else {},
        )


class AllegroError(Exception):
    """Any error answer from Allegro (or no answer at all)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Iterable[ApiErrorItem] = (),
        trace_id: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.errors = list(errors)
        self.trace_id = trace_id
        self.method = method
        self.path = path
        super().__init__(message)

    @property
    def user_messages(self) -> list[str]:
        return [e.user_message or e.message for e in self.errors] or [str(self)]

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} (trace-id {self.trace_id})" if self.trace_id else base


class AllegroAuthError(AllegroError):
    """401: the token is invalid or expired (after the one refresh we try)."""


class AllegroForbidden(AllegroError):
    """403: not this seller's resource, a missing scope, or a programme the seller is not in."""


class AllegroNotFound(AllegroError):
    """404: includes offers archived after 60 days in ENDED."""


class AllegroConflict(AllegroError):
    """409: a command id reused with other content, a stale revision, an edit still processing."""


class AllegroValidationError(AllegroError):
    """400/422: Allegro refused the content; ``errors`` carry ``path`` and ``userMessage``."""


class AllegroRateLimited(AllegroError):
    """429 even after waiting: retry later."""


class AllegroRetryLater(AllegroError):
    """5xx, timeouts, connection errors: the call may or may not have happened; retry later."""


class AllegroReauthRequired(AllegroError):
    """The refresh token was rejected (invalid_grant): the seller has to authorise again."""


_STATUS_ERRORS: dict[int, type[AllegroError]] = {
    400: AllegroValidationError,
    401: AllegroAuthError,
    403: AllegroForbidden,
    404: AllegroNotFound,
    409: AllegroConflict,
    422: AllegroValidationError,
    429: AllegroRateLimited,
}


# --- typed answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str

    def __repr__(self) -> str:  # never print tokens, even by accident
        return f"TokenSet(expires_in={self.expires_in}, scope={self.scope!r})"


@dataclass(frozen=True)
class Me:
    id: str
    login: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass
class ApiResponse:
    status: int
    data: Any
    headers: dict[str, str]
    trace_id: str
    method: str
    path: str
    duration_ms: int

    def summary(self) -> dict:
        """Safe to store in the event log: no headers, no bodies."""
        return {"method": self.method, "path": self.path, "status": self.status, "ms": self.duration_ms}


@dataclass(frozen=True)
class Endpoints:
    api: str
    auth: str
    upload: str


class TokenProvider(Protocol):
    def get(self, *, stale: str | None = None) -> str:
        """A valid access token; with ``stale``, one different from it (refresh when needed)."""


# --- the client -----------------------------------------------------------------------------


class AllegroClient:
    def __init__(
        self,
        *,
        endpoints: Endpoints,
        client_id: str,
        client_secret: Callable[[], str],
        token_provider: TokenProvider | None = None,
        seller_key: str = "",
        limiter: RateLimiter | None = None,
        limits: dict[str, Limit] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        rate_limited_wait: float = 60.0,
        on_call: Callable[[ApiResponse | None, AllegroError | None], None] | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_provider = token_provider
        self.seller_key = seller_key
        self.limiter = limiter
        self.limits = limits or {}
        self.session = session or requests.Session()
        self._sleep = sleep
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.rate_limited_wait = rate_limited_wait
        self.on_call = on_call
        # Called right before every request that changes something on Allegro (after any wait for a rate-limit
        # slot): the holder of a lease checks it there and raises, so a worker that lost its lease while waiting
        # sends nothing.
        self.before_write = before_write

    # -- plumbing --

    def _basic_auth(self) -> str:
        raw = f"{self.client_id}:{self._client_secret()}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _limit(self, bucket: str | None) -> None:
        if self.limiter is None:
            return
        if "client" in self.limits:
            self.limiter.acquire(f"client:{self.client_id}", self.limits["client"])
        if bucket and bucket in self.limits and self.seller_key:
            self.limiter.acquire(f"seller:{self.seller_key}:{bucket}", self.limits[bucket])

    def _backoff(self, attempt: int) -> float:
        return self.backoff_base * (2**attempt) * (0.5 + random.random())  # noqa: S311 - jitter, not crypto

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        media: str = PUBLIC_MEDIA,
        host: str = "api",
        auth: str = "user",
        bucket: str | None = None,
        retry_unsafe: bool = False,
    ) -> ApiResponse:
        """Call Allegro and return the parsed answer, or raise a typed AllegroError.

        Calls that are not idempotent (POST, PATCH) are not repeated after a timeout or 5xx unless
        ``retry_unsafe``: the caller decides (e.g. looks the offer up by external.id first).
        """
        method = method.upper()
        base = getattr(self.endpoints, host)
        url = path if path.startswith("http") else f"{base}{path}"
        retry_allowed = retry_unsafe or method in IDEMPOTENT_METHODS
        refreshed = False
        token: str | None = None
        for attempt in range(self.max_attempts):
            headers = {"Accept": media, "Accept-Language": "pl-PL"}
            if json is not None or data is not None:
                headers["Content-Type"] = content_type or media
            if auth == "user":
                if self.token_provider is None:
                    raise AllegroAuthError("this client has no seller token", method=method, path=path)
                token = self.token_provider.get()
                headers["Authorization"] = f"Bearer {token}"
            elif auth == "app":
                token = self.token_provider.get() if self.token_provider else ""
                headers["Authorization"] = f"Bearer {token}"
            self._limit(bucket)
            if self.before_write is not None and method not in SAFE_METHODS:
                self.before_write()
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                    allow_redirects=False,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                logger.warning("allegro %s %s failed: %s", method, path, type(exc).__name__)
                if retry_allowed and attempt + 1 < self.max_attempts:
                    self._sleep(self._backoff(attempt))
                    continue
                no_answer = AllegroRetryLater(
                    f"Allegro did not answer ({type(exc).__name__})", method=method, path=path
                )
                self._notify(None, no_answer)
                raise no_answer from None
            duration_ms = int((time.monotonic() - started) * 1000)
            trace_id = response.headers.get("trace-id", "")
            logger.info(
                "allegro %s %s -> %s in %d ms trace-id=%s", method, path, response.status_code, duration_ms, trace_id
            )

            if response.status_code == 401 and auth == "user" and not refreshed and self.token_provider is not None:
                refreshed = True
                self.token_provider.get(stale=token)
                continue
            if response.status_code == 429:
                if attempt + 1 < self.max_attempts:
                    self._sleep(_retry_after(response) or self.rate_limited_wait)
                    continue
            elif response.status_code >= 500 and retry_allowed and attempt + 1 < self.max_attempts:
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code >= 400:
                error = _error_from(response, method=method, path=path, trace_id=trace_id)
                self._notify(None, error)
                raise error
            result = ApiResponse(
                status=response.status_code,
                data=_body(response),
                headers=dict(response.headers),
                trace_id=trace_id,
                method=method,
                path=urlsplit(url).path,
                duration_ms=duration_ms,
            )
            self._notify(result, None)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _notify(self, response: ApiResponse | None, error: AllegroError | None) -> None:
        if self.on_call is not None:
            self.on_call(response, error)

    def get(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs).data

    # -- OAuth (allegro.pl/auth/oauth) --

    def _token_call(self, form: dict[str, str]) -> TokenSet:
        url = f"{self.endpoints.auth}/auth/oauth/token"
        try:
            response = self.session.post(
                url,
                data=form,
                headers={"Authorization": self._basic_auth(), "Accept": "application/json"},
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise AllegroRetryLater(f"Allegro OAuth did not answer ({type(exc).__name__})", path="/auth/oauth/token")
        trace_id = response.headers.get("trace-id", "")
        logger.info(
            "allegro POST /auth/oauth/token grant=%s -> %s trace-id=%s",
            form.get("grant_type"),
            response.status_code,
            trace_id,
        )
        body = _body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            return TokenSet(
                access_token=body["access_token"],
                refresh_token=body.get("refresh_token", ""),
                expires_in=int(body.get("expires_in") or 0),
                scope=str(body.get("scope") or ""),
            )
        code = body.get("error", "") if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        item = ApiErrorItem(code=code, message=description)
        kwargs: dict[str, Any] = {
            "status": response.status_code,
            "errors": [item],
            "trace_id": trace_id,
            "path": "/auth/oauth/token",
        }
        if code == "invalid_grant":
            raise AllegroReauthRequired(f"Allegro rejected the grant: {description}", **kwargs)
        if response.status_code >= 500:
            raise AllegroRetryLater("Allegro OAuth failed", **kwargs)
        if response.status_code == 429:
            raise AllegroRateLimited("too many token requests", **kwargs)
        raise AllegroAuthError(f"Allegro refused the credentials: {code or response.status_code}", **kwargs)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """POST /auth/oauth/token (grant_type=authorization_code, PKCE)."""
        return self._token_call(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    def refresh_tokens(self, *, refresh_token: str) -> TokenSet:
        """POST /auth/oauth/token (grant_type=refresh_token). Rotates: the old refresh token dies 60 s later."""
        return self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def client_credentials(self) -> TokenSet:
        """POST /auth/oauth/token (grant_type=client_credentials): an app-only token."""
        return self._token_call({"grant_type": "client_credentials"})

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        """The allegro.pl/auth/oauth/authorize address the seller's browser goes to."""
        from urllib.parse import urlencode

        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "prompt": "confirm",
            }
        )
        return f"{self.endpoints.auth}/auth/oauth/authorize?{query}"

    # -- resources --

    def get_me(self) -> Me:
        """GET /me"""
        data = self.get("/me")
        return Me(
            id=str(data["id"]),
            login=str(data.get("login") or ""),
            first_name=str(data.get("firstName") or ""),
            last_name=str(data.get("lastName") or ""),
            email=str(data.get("email") or ""),
        )

    def get_after_sales_conditions(self, kind: str) -> list[dict]:
        """GET /after-sales-service-conditions/{return-policies|implied-warranties|warranties} (all pages)."""
        key = {
            "return-policies": "returnPolicies",
            "implied-warranties": "impliedWarranties",
            "warranties": "warranties",
        }[kind]
        items: list[dict] = []
        offset = 0
        while True:
            data = self.get(f"/after-sales-service-conditions/{kind}", params={"limit": 60, "offset": offset})
            page = data.get(key, []) if isinstance(data, dict) else []
            items.extend({"id": str(i.get("id")), "name": str(i.get("name") or i.get("id"))} for i in page)
            if len(page) < 60 or offset >= 59:
                return items
            offset += 59  # the API caps offset at 59; later pages are out of reach, as on Allegro

    def get_shipping_rates(self) -> list[dict]:
        """GET /sale/shipping-rates"""
        data = self.get("/sale/shipping-rates")
        return [{"id": str(i.get("id")), "name": str(i.get("name") or "")} for i in data.get("shippingRates", [])]

    def wait_for_operation(self, response: ApiResponse, *, max_wait: float = 120.0) -> ApiResponse:
        """Follow a 202 + Location until Allegro answers 303, then GET the resource it points to.

        Redirects are followed here, not by requests, so the Authorization header goes along.
        """
        waited = 0.0
        current = response
        poll_url = ""
        while current.status == 202:
            # The first 202 names the operation in Location; the operation's own 202s may not.
            poll_url = current.headers.get("Location") or current.headers.get("location") or poll_url
            if not poll_url:
                return current
            delay = float(_retry_after_headers(current.headers) or 1)
            if waited + delay > max_wait:
                raise AllegroRetryLater("the operation did not finish in time", path=current.path)
            self._sleep(delay)
            waited += delay
            current = self.request("GET", urljoin(self.endpoints.api + "/", poll_url))
        if current.status == 303:
            location = current.headers.get("Location") or current.headers.get("location")
            return self.request("GET", urljoin(self.endpoints.api + "/", location))
        return current

    # -- orders: journal, checkout forms, fulfillment, shipments --

    def get_order_events(self, *, from_event_id: str | None = None, limit: int = 1000) -> list[dict]:
        """GET /order/events?from=<id>&limit=<n> (ascending; ``from`` is exclusive)."""
        params: dict[str, Any] = {"limit": limit}
        if from_event_id:
            params["from"] = from_event_id
        data = self.get("/order/events", params=params)
        return list(data.get("events", [])) if isinstance(data, dict) else []

    def get_order_event_stats(self) -> dict:
        """GET /order/event-stats (only to start a brand-new cursor)."""
        data = self.get("/order/event-stats")
        return data if isinstance(data, dict) else {}

    def get_checkout_form(self, checkout_form_id: str) -> Any:
        """GET /order/checkout-forms/{id} (the raw document: parsed and validated by the importer)."""
        return self.get(f"/order/checkout-forms/{quote(checkout_form_id, safe='')}")

    def list_checkout_forms(self, *, params: dict[str, Any]) -> dict:
        """GET /order/checkout-forms (filters such as updatedAt.gte, sort, limit ≤ 100, offset)."""
        data = self.get("/order/checkout-forms", params=params)
        return data if isinstance(data, dict) else {}

    def set_fulfillment_status(self, checkout_form_id: str, *, status: str, revision: str | None) -> None:
        """PUT /order/checkout-forms/{id}/fulfillment?checkoutForm.revision=<rev> (409 on a stale revision)."""
        params = {"checkoutForm.revision": revision} if revision else None
        self.request(
            "PUT",
            f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/fulfillment",
            params=params,
            json={"status": status},
        )

    def add_shipment(self, checkout_form_id: str, *, body: dict) -> dict:
        """POST /order/checkout-forms/{id}/shipments (a waybill already added gives 409: treat as done)."""
        data = self.request(
            "POST", f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/shipments", json=body
        ).data
        return data if isinstance(data, dict) else {}

    def get_shipments(self, checkout_form_id: str) -> list[dict]:
        """GET /order/checkout-forms/{id}/shipments"""
        data = self.get(f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/shipments")
        return list(data.get("shipments", [])) if isinstance(data, dict) else []

    def get_carriers(self) -> list[dict]:
        """GET /order/carriers"""
        data = self.get("/order/carriers")
        return list(data.get("carriers", [])) if isinstance(data, dict) else []

    # -- categories and parameters (an app-only token is enough, refreshed once on 401) --

    def get_categories(self, *, parent_id: str | None = None) -> list[dict]:
        """GET /sale/categories (roots) or ?parent.id=<id> (the children of one category)."""
        params = {"parent.id": parent_id} if parent_id else None
        data = self.get("/sale/categories", params=params)
        return list(data.get("categories", [])) if isinstance(data, dict) else []

    def get_category(self, category_id: str) -> dict:
        """GET /sale/categories/{categoryId}"""
        data = self.get(f"/sale/categories/{quote(category_id, safe='')}")
        return data if isinstance(data, dict) else {}

    def get_category_parameters(self, category_id: str) -> list[dict]:
        """GET /sale/categories/{categoryId}/parameters"""
        data = self.get(f"/sale/categories/{quote(category_id, safe='')}/parameters")
        return list(data.get("parameters", [])) if isinstance(data, dict) else []

    def get_matching_categories(self, name: str) -> list[dict]:
        """GET /sale/matching-categories?name=<product name> (each with its recursive parent chain)."""
        data = self.get("/sale/matching-categories", params={"name": name})
        return list(data.get("matchingCategories", [])) if isinstance(data, dict) else []

    # -- the product catalogue --

    def search_products(
        self, *, phrase: str, mode: str | None = None, category_id: str | None = None
    ) -> list[CatalogueProduct]:
        """GET /sale/products?phrase=&mode=GTIN|MPN&category.id= (every page, at most five) as CatalogueProducts."""
        params: dict[str, str] = {"phrase": phrase}
        if mode:
            params["mode"] = mode
        if category_id:
            params["category.id"] = category_id
        found: list[CatalogueProduct] = []
        for _ in range(5):
            products, next_page = parse_products(self.get("/sale/products", params=params, bucket="offer_read"))
            found += products
            if not next_page:
                break
            params["page.id"] = next_page
        return found

    # -- delivery methods and shipping-rate sets --

    def get_delivery_methods(self) -> list[dict]:
        """GET /sale/delivery-methods (app-only token is enough)."""
        data = self.get("/sale/delivery-methods", auth="app")
        return list(data.get("deliveryMethods", [])) if isinstance(data, dict) else []

    def get_shipping_rate_set(self, set_id: str) -> dict:
        """GET /sale/shipping-rates/{id}"""
        data = self.get(f"/sale/shipping-rates/{quote(set_id, safe='')}")
        return data if isinstance(data, dict) else {}

    def create_shipping_rate_set(self, body: dict) -> dict:
        """POST /sale/shipping-rates (not idempotent: the caller looks for a set of the same name before retrying)."""
        data = self.request("POST", "/sale/shipping-rates", json=body).data
        return data if isinstance(data, dict) else {}

    def update_shipping_rate_set(self, set_id: str, body: dict) -> dict:
        """PUT /sale/shipping-rates/{id}"""
        data = self.request("PUT", f"/sale/shipping-rates/{quote(set_id, safe='')}", json={**body, "id": set_id}).data
        return data if isinstance(data, dict) else {}

    # -- offers: single listing, images, publication commands, GPSR producers --

    def upload_image(self, data: bytes, *, content_type: str) -> str:
        """POST https://upload.allegro.pl/sale/images (binary); the Allegro-hosted URL of the image.

        Not retried after a timeout: an upload twice only leaves an unused copy that Allegro deletes later.
        """
        body = self.request("POST", "/sale/images", data=data, content_type=content_type, host="upload").data
        return str((body or {}).get("location") or "") if isinstance(body, dict) else ""

    def create_product_offer(self, body: dict) -> ApiResponse:
        """POST /sale/product-offers (201 done, or 202 + Location: follow with ``wait_for_operation``).

        Never retried here (no idempotency key): the caller looks the offer up by external.id first.
        """
        return self.request("POST", "/sale/product-offers", json=body, bucket="offer_write")

    def get_product_offer(self, offer_id: str) -> dict:
        """GET /sale/product-offers/{offerId}"""
        data = self.get(f"/sale/product-offers/{quote(offer_id, safe='')}", bucket="offer_read")
        return data if isinstance(data, dict) else {}

    def put_offer_publication_command(self, command_id: str, *, action: str, offer_ids: list[str]) -> dict:
        """PUT /sale/offer-publication-commands/{commandId} (ACTIVATE or END; the same id and body on a retry)."""
        body = {
            "publication": {"action": action},
            "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": i} for i in offer_ids]}],
        }
        path = f"/sale/offer-publication-commands/{quote(command_id, safe='')}"
        data = self.request("PUT", path, json=body).data
        return data if isinstance(data, dict) else {}

    def get_responsible_producers(self) -> list[dict]:
        """GET /sale/responsible-producers (limit 1000): ``[{"id", "name"}]``."""
        data = self.get("/sale/responsible-producers", params={"limit": 1000})
        items = data.get("responsibleProducers", []) if isinstance(data, dict) else []
        return [{"id": str(i.get("id")), "name": str(i.get("name") or i.get("id"))} for i in items]

    def create_responsible_producer(self, body: dict) -> dict:
        """POST /sale/responsible-producers (not idempotent: the caller looks the name up first)."""
        data = self.request("POST", "/sale/responsible-producers", json=body).data
        return data if isinstance(data, dict) else {}

    # -- batch offer commands, listing and offer events (sync engine) --

    def put_offer_command(self, slug: str, command_id: str, body: dict) -> dict:
        """PUT /sale/{slug}/{commandId} (publication, price-change, quantity-change, modification commands).

        Idempotent by the client's UUID: the same id and body give the same report, another body 409."""
        data = self.request("PUT", f"/sale/{slug}/{quote(command_id, safe='')}", json=body).data
        return data if isinstance(data, dict) else {}

    def post_bulk_modification_command(self, body: dict) -> dict:
        """POST /sale/offer-bulk-modification-commands (beta; 1–25 modifications; ``commandId`` in the body).

        Safe to repeat: the command id makes it idempotent like the PUT commands."""
        data = self.request(
            "POST", "/sale/offer-bulk-modification-commands", json=body, media=BETA_MEDIA, retry_unsafe=True
        ).data
        return data if isinstance(data, dict) else {}

    def get_offer_command(self, slug: str, command_id: str) -> dict:
        """GET /sale/{slug}/{commandId} (the command's summary report)."""
        media = BETA_MEDIA if slug == "offer-bulk-modification-commands" else PUBLIC_MEDIA
        data = self.get(f"/sale/{slug}/{quote(command_id, safe='')}", media=media)
        return data if isinstance(data, dict) else {}

    def get_offer_command_tasks(self, slug: str, command_id: str, *, limit: int = 1000, offset: int = 0) -> list[dict]:
        """GET /sale/{slug}/{commandId}/tasks?limit=&offset= (per-offer results)."""
        media = BETA_MEDIA if slug == "offer-bulk-modification-commands" else PUBLIC_MEDIA
        data = self.get(
            f"/sale/{slug}/{quote(command_id, safe='')}/tasks",
            params={"limit": limit, "offset": offset},
            media=media,
        )
        return list(data.get("tasks", [])) if isinstance(data, dict) else []

    def list_offers(self, *, params: Any = None) -> dict:
        """GET /sale/offers (the seller's offers; limit ≤ 1000, offset; filters such as offer.id, publication.status)."""
        data = self.get("/sale/offers", params=params)
        return data if isinstance(data, dict) else {}

    def get_offer_events(self, *, from_event_id: str | None = None, limit: int = 1000) -> list[dict]:
        """GET /sale/offer-events?from=<id>&limit=<n> (last 24 h, ascending; ``from`` is exclusive)."""
        params: dict[str, Any] = {"limit": limit}
        if from_event_id:
            params["from"] = from_event_id
        data = self.get("/sale/offer-events", params=params)
        return list(data.get("offerEvents", [])) if isinstance(data, dict) else []

    # ---- Shipment management (Wysyłam z Allegro): delivery services, shipments, labels, pickups ----

    def get_delivery_services(self) -> list[DeliveryService]:
        """GET /shipment-management/delivery-services"""
        data = self.get("/shipment-management/delivery-services")
        items = data.get("services", []) if isinstance(data, dict) else []
        return [DeliveryService.model_validate(i) for i in items if isinstance(i, dict)]

    def create_shipment_command(self, command_id: str, shipment: ShipmentInput) -> CommandStatus:
        """POST /shipment-management/shipments/create-commands (asynchronous; follow with ``get_shipment_command``).

        Repeated after a timeout: the command id, stored before the first attempt, makes a repeat the same command."""
        body = {"commandId": command_id, "input": shipment.body()}
        data = self.request("POST", "/shipment-management/shipments/create-commands", json=body, retry_unsafe=True).data
        return CommandStatus.model_validate({"commandId": command_id, **(data if isinstance(data, dict) else {})})

    def get_shipment_command(self, command_id: str) -> CommandStatus:
        """GET /shipment-management/shipments/create-commands/{commandId}"""
        data = self.get(f"/shipment-management/shipments/create-commands/{quote(command_id, safe='')}")
        return CommandStatus.model_validate(data if isinstance(data, dict) else {})

    def cancel_shipment_command(self, command_id: str, *, shipment_id: str) -> CommandStatus:
        """POST /shipment-management/shipments/cancel-commands (same command id on a repeat)."""
        body = {"commandId": command_id, "input": {"shipmentId": shipment_id}}
        data = self.request("POST", "/shipment-management/shipments/cancel-commands", json=body, retry_unsafe=True).data
        return CommandStatus.model_validate({"commandId": command_id, **(data if isinstance(data, dict) else {})})

    def get_cancel_command(self, command_id: str) -> CommandStatus:
        """GET /shipment-management/shipments/cancel-commands/{commandId}"""
        data = self.get(f"/shipment-management/shipments/cancel-commands/{quote(command_id, safe='')}")
        return CommandStatus.model_validate(data if isinstance(data, dict) else {})

    def wait_for_command(
        self, read: Callable[[str], CommandStatus], command_id: str, *, interval: float = 1.0, max_wait: float = 60.0
    ) -> CommandStatus:
        """Read a command's status (``read``: one of the ``get_*_command`` methods) until it ends or time runs out
        (then the last IN_PROGRESS status: the caller reads it again later with the same id)."""
        waited = 0.0
        status = read(command_id)
        while not status.finished and waited < max_wait:
            self._sleep(interval)
            waited += interval
            status = read(command_id)
        return status

    def get_swa_shipment(self, shipment_id: str) -> ShipmentDetails:
        """GET /shipment-management/shipments/{shipmentId}"""
        data = self.get(f"/shipment-management/shipments/{quote(shipment_id, safe='')}")
        return ShipmentDetails.model_validate(data if isinstance(data, dict) else {})

    def get_shipment_labels(self, shipment_ids: list[str], *, page_size: str = "A6") -> bytes:
        """POST /shipment-management/label (a read: safe to repeat) -> the label file (PDF)."""
        body = {"shipmentIds": shipment_ids, "pageSize": page_size}
        data = self.request(
            "POST",
            "/shipment-management/label",
            json=body,
            media=FILE_MEDIA,
            content_type=PUBLIC_MEDIA,
            retry_unsafe=True,
        ).data
        return data if isinstance(data, bytes) else b""

    def get_shipment_protocol(self, shipment_ids: list[str]) -> bytes:
        """POST /shipment-management/protocol -> the pickup protocol (PDF), empty when the carrier has none."""
        data = self.request(
            "POST",
            "/shipment-management/protocol",
            json={"shipmentIds": shipment_ids},
            media=FILE_MEDIA,
            content_type=PUBLIC_MEDIA,
            retry_unsafe=True,
        ).data
        return data if isinstance(data, bytes) else b""

    def get_pickup_proposals(
        self, shipment_ids: list[str], *, address: Address, ready_date: str = ""
    ) -> list[PickupProposal]:
        """POST /shipment-management/pickup-proposals (a read)."""
        body: dict[str, Any] = {"shipmentIds": shipment_ids, "address": address.body()}
        if ready_date:
            body["readyDate"] = ready_date
        data = self.request("POST", "/shipment-management/pickup-proposals", json=body, retry_unsafe=True).data
        groups = [PickupProposals.model_validate(g) for g in (data or []) if isinstance(g, dict)]
        return [p for g in groups for p in g.proposals]

    def create_pickup_command(
        self, command_id: str, *, shipment_ids: list[str], pickup_time: PickupTime, address: Address
    ) -> CommandStatus:
        """POST /shipment-management/pickups/create-commands (same command id on a repeat)."""
        body = {
            "commandId": command_id,
            "input": {
                "shipmentIds": shipment_ids,
                "pickupDateProposalId": pickup_time.date,
                "pickupTime": pickup_time.body(),
                "address": address.body(),
            },
        }
        data = self.request("POST", "/shipment-management/pickups/create-commands", json=body, retry_unsafe=True).data
        return CommandStatus.model_validate({"commandId": command_id, **(data if isinstance(data, dict) else {})})

    def get_pickup_command(self, command_id: str) -> CommandStatus:
        """GET /shipment-management/pickups/create-commands/{commandId}"""
        data = self.get(f"/shipment-management/pickups/create-commands/{quote(command_id, safe='')}")
        return CommandStatus.model_validate(data if isinstance(data, dict) else {})

    def get_pickup(self, pickup_id: str) -> Pickup:
        """GET /shipment-management/pickups/{pickupId}"""
        data = self.get(f"/shipment-management/pickups/{quote(pickup_id, safe='')}")
        return Pickup.model_validate(data if isinstance(data, dict) else {})

    # ---- end of shipment management ----

    # ---- Customer returns, payment refunds, commission refund claims ----

    def get_customer_returns(self, *, params: dict[str, Any]) -> dict:
        """GET /order/customer-returns (beta; filters such as orderId, createdAt.gte, status; limit ≤ 1000, offset)."""
        data = self.get("/order/customer-returns", params=params, media=BETA_MEDIA)
        return data if isinstance(data, dict) else {}

    def get_customer_return(self, customer_return_id: str) -> dict:
        """GET /order/customer-returns/{customerReturnId} (beta)."""
        data = self.get(f"/order/customer-returns/{quote(customer_return_id, safe='')}", media=BETA_MEDIA)
        return data if isinstance(data, dict) else {}

    def reject_customer_return(self, customer_return_id: str, *, code: str, reason: str = "") -> dict:
        """POST /order/customer-returns/{customerReturnId}/rejection (beta; 422 once it is rejected already).

        Not repeated after a timeout: the caller reads the return back to learn whether it was rejected."""
        rejection: dict[str, str] = {"code": code}
        if reason:
            rejection["reason"] = reason
        data = self.request(
            "POST",
            f"/order/customer-returns/{quote(customer_return_id, safe='')}/rejection",
            json={"rejection": rejection},
            media=BETA_MEDIA,
        ).data
        return data if isinstance(data, dict) else {}

    def initiate_refund(self, body: dict) -> dict:
        """POST /payments/refunds (the body's ``commandId`` makes it idempotent: the same id answers the
        refund already made, so it is safe to repeat after a timeout)."""
        data = self.request("POST", "/payments/refunds", json=body, retry_unsafe=True).data
        return data if isinstance(data, dict) else {}

    def get_refunds(self, *, params: dict[str, Any]) -> dict:
        """GET /payments/refunds (filters id, payment.id, order.id, status; limit ≤ 100, offset)."""
        data = self.get("/payments/refunds", params=params)
        return data if isinstance(data, dict) else {}

    def create_refund_claim(self, *, line_item_id: str, quantity: int) -> dict:
        """POST /order/refund-claims (no idempotency key: never repeated here; the caller searches the
        claims for the line item before trying again)."""
        body = {"lineItem": {"id": line_item_id}, "quantity": quantity}
        data = self.request("POST", "/order/refund-claims", json=body).data
        return data if isinstance(data, dict) else {}

    def get_refund_claims(self, *, params: dict[str, Any]) -> dict:
        """GET /order/refund-claims (filters lineItem.offer.id, buyer.id, status; limit ≤ 100, offset)."""
        data = self.get("/order/refund-claims", params=params)
        return data if isinstance(data, dict) else {}

    def get_refund_claim(self, claim_id: str) -> dict:
        """GET /order/refund-claims/{claimId}"""
        data = self.get(f"/order/refund-claims/{quote(claim_id, safe='')}")
        return data if isinstance(data, dict) else {}

    # ---- end of returns and refunds ----

    # ---- Messaging and post-purchase issues (discussions, claims) ----

    def list_message_threads(self, *, limit: int = 20, offset: int = 0) -> ThreadList:
        """GET /messaging/threads?limit=&offset= (newest last message first; limit ≤ 20)."""
        data = self.get("/messaging/threads", params={"limit": limit, "offset": offset})
        return ThreadList.model_validate(data if isinstance(data, dict) else {})

    def list_thread_messages(
        self, thread_id: str, *, limit: int = 20, offset: int = 0, after: str | None = None
    ) -> MessageList:
        """GET /messaging/threads/{threadId}/messages?limit=&offset=&after= (newest first; ``after`` exclusive)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if after:
            params["after"] = after
        data = self.get(f"/messaging/threads/{quote(thread_id, safe='')}/messages", params=params)
        return MessageList.model_validate(data if isinstance(data, dict) else {})

    def mark_thread_read(self, thread_id: str, *, read: bool = True) -> None:
        """PUT /messaging/threads/{threadId}/read"""
        self.request("PUT", f"/messaging/threads/{quote(thread_id, safe='')}/read", json={"read": read})

    def declare_message_attachment(self, *, filename: str, size: int) -> str:
        """POST /messaging/message-attachments (the declaration's id; not retried: a repeat only leaves an
        unused declaration, which Allegro drops)."""
        data = self.request(
            "POST", "/messaging/message-attachments", json={"filename": filename, "size": size}, bucket="messaging"
        ).data
        return str((data or {}).get("id") or "") if isinstance(data, dict) else ""

    def upload_message_attachment(self, attachment_id: str, data: bytes, *, content_type: str) -> None:
        """PUT /messaging/message-attachments/{attachmentId} (the file's bytes in its own content type)."""
        self.request(
            "PUT",
            f"/messaging/message-attachments/{quote(attachment_id, safe='')}",
            data=data,
            content_type=content_type,
        )

    def post_thread_message(self, thread_id: str, *, text: str, attachment_ids: list[str]) -> Message:
        """POST /messaging/threads/{threadId}/messages (1 per second per user).

        No idempotency key exists for messages and this call is never repeated here: the caller reads the
        thread back before sending again (see the messages room's reply service)."""
        body: dict[str, Any] = {"text": text}
        if attachment_ids:
            body["attachments"] = [{"id": i} for i in attachment_ids]
        data = self.request(
            "POST", f"/messaging/threads/{quote(thread_id, safe='')}/messages", json=body, bucket="messaging"
        ).data
        return Message.model_validate(data if isinstance(data, dict) else {})

    def list_issues(self, *, statuses: Sequence[str] = (), limit: int = 100, offset: int = 0) -> list[Issue]:
        """GET /sale/issues?status=&limit=&offset= (beta; newest opened first; limit ≤ 100)."""
        params: list[tuple[str, Any]] = [("limit", limit), ("offset", offset)]
        params += [("status", status) for status in statuses]
        data = self.get("/sale/issues", params=params, media=BETA_MEDIA)
        items = data.get("issues", []) if isinstance(data, dict) else []
        return [Issue.model_validate(item) for item in items if isinstance(item, dict)]

    def get_issue(self, issue_id: str) -> Issue:
        """GET /sale/issues/{issueId} (beta)"""
        data = self.get(f"/sale/issues/{quote(issue_id, safe='')}", media=BETA_MEDIA)
        return Issue.model_validate(data if isinstance(data, dict) else {"id": issue_id})

    def get_issue_chat(self, issue_id: str, *, limit: int = 100, offset: int = 0) -> list[IssueMessage]:
        """GET /sale/issues/{issueId}/chat?limit=&offset= (beta)"""
        data = self.get(
            f"/sale/issues/{quote(issue_id, safe='')}/chat",
            params={"limit": limit, "offset": offset},
            media=BETA_MEDIA,
        )
        items = data.get("chat", []) if isinstance(data, dict) else []
        return [IssueMessage.model_validate(item) for item in items if isinstance(item, dict)]

    def post_issue_message(self, issue_id: str, *, text: str, kind: str = "REGULAR") -> IssueMessage:
        """POST /sale/issues/{issueId}/message (beta; no idempotency key: never repeated here, the caller reads
        the chat back before sending again). ``attachment`` is sent as null: the schema requires the key."""
        data = self.request(
            "POST",
            f"/sale/issues/{quote(issue_id, safe='')}/message",
            json={"text": text, "attachment": None, "type": kind},
            media=BETA_MEDIA,
            bucket="messaging",
        ).data
        return IssueMessage.model_validate(data if isinstance(data, dict) else {})

    # ---- end of messaging ----

    # ---- Invoices attached to checkout forms ----

    def get_order_invoices(self, checkout_form_id: str) -> OrderInvoices:
        """GET /order/checkout-forms/{id}/invoices (the invoices declared on the order, with their files)."""
        data = self.get(f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/invoices")
        return OrderInvoices.model_validate(data if isinstance(data, dict) else {})

    def add_order_invoice(self, checkout_form_id: str, *, invoice_number: str, file_name: str) -> str:
        """POST /order/checkout-forms/{id}/invoices (declare an invoice): its id.

        Never repeated here (no idempotency key): after a lost answer the caller finds its invoice in
        ``get_order_invoices`` by number (Allegro takes one number once per order)."""
        body = {"invoiceNumber": invoice_number, "file": {"name": file_name}}
        data = self.request("POST", f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/invoices", json=body)
        return str((data.data or {}).get("id") or "") if isinstance(data.data, dict) else ""

    def upload_order_invoice_file(self, checkout_form_id: str, invoice_id: str, *, data: bytes) -> None:
        """PUT /order/checkout-forms/{id}/invoices/{invoiceId}/file (the PDF, at most 3 MB; once per invoice)."""
        path = f"/order/checkout-forms/{quote(checkout_form_id, safe='')}/invoices/{quote(invoice_id, safe='')}/file"
        self.request("PUT", path, data=data, content_type="application/pdf")

    # ---- end of invoices ----

    # ---- Paid promotion options (promotion packages, promo-options commands, fee preview) ----

    def get_promotion_packages(self) -> dict:
        """GET /sale/offer-promotion-packages (the base and extra packages on offer)."""
        data = self.get("/sale/offer-promotion-packages")
        return data if isinstance(data, dict) else {}

    def put_promo_options_command(self, command_id: str, body: dict) -> dict:
        """PUT /sale/offers/promo-options-commands/{commandId} (packages of up to 1000 offers).

        Idempotent by the client's UUID: the same id and body give the same report, another body 409."""
        data = self.request("PUT", f"/sale/offers/promo-options-commands/{quote(command_id, safe='')}", json=body)
        return data.data if isinstance(data.data, dict) else {}

    def get_promo_options_command(self, command_id: str) -> dict:
        """GET /sale/offers/promo-options-commands/{commandId} (the command's summary report)."""
        data = self.get(f"/sale/offers/promo-options-commands/{quote(command_id, safe='')}")
        return data if isinstance(data, dict) else {}

    def get_offer_promo_options(self, offer_id: str) -> dict:
        """GET /sale/offers/{offerId}/promo-options (the packages set on one offer)."""
        data = self.get(f"/sale/offers/{quote(offer_id, safe='')}/promo-options")
        return data if isinstance(data, dict) else {}

    def post_fee_preview(self, body: dict) -> dict:
        """POST /pricing/offer-fee-preview (fees and commission of an offer with its promotion options; a read:
        safe to repeat)."""
        data = self.request("POST", "/pricing/offer-fee-preview", json=body, retry_unsafe=True).data
        return data if isinstance(data, dict) else {}

    # ---- end of paid promotion options ----


def _retry_after_headers(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after") or headers.get("Retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    return _retry_after_headers(response.headers)


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith((FILE_MEDIA, "application/pdf")):
        return response.content  # a label or a protocol: the file itself
    if "json" in content_type:
        try:
            return response.json()
        except ValueError:
            return None
    return None


def _error_from(response: requests.Response, *, method: str, path: str, trace_id: str) -> AllegroError:
    body = _body(response)
    items: list[ApiErrorItem] = []
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            items = [ApiErrorItem.parse(e) for e in body["errors"]]
        elif body.get("error"):
            items = [ApiErrorItem(code=str(body.get("error")), message=str(body.get("error_description") or ""))]
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, AllegroRetryLater if status >= 500 else AllegroError)
    first = items[0] if items else None
    text = (first.user_message or first.message) if first else f"HTTP {status}"
    return cls(text, status=status, errors=items, trace_id=trace_id, method=method, path=path)
