"""allegro.pl/auth/oauth: authorization code (+PKCE S256), refresh rotation with grace, client
credentials, device flow; bearer-token checking for the API; `GET /me`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import uuid
from urllib.parse import urlencode

from . import clock, db, state
from .errors import AuthError, error
from .routing import JSON, Auth, Request, Response, route

ALL_SCOPES = [
    "allegro:api:sale:offers:read",
    "allegro:api:sale:offers:write",
    "allegro:api:sale:settings:read",
    "allegro:api:sale:settings:write",
    "allegro:api:orders:read",
    "allegro:api:orders:write",
    "allegro:api:shipments:read",
    "allegro:api:shipments:write",
    "allegro:api:profile:read",
    "allegro:api:billing:read",
    "allegro:api:payments:read",
]
APP_SCOPES = ["allegro:api:sale:offers:read"]


# JWT (HS256 with a per-state secret; Allegro uses RS256, clients must treat tokens as opaque) ------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _load_secret() -> bytes:
    value = db.meta_get("jwt_secret")
    if not value:
        value = secrets.token_hex(32)
        db.meta_set("jwt_secret", value)
    return value.encode()


def _secret() -> bytes:
    return db.cached("jwt_secret", _load_secret)


def jwt_encode(claims: dict) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(_secret(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(sig)}"


def jwt_decode(token: str) -> dict | None:
    """The claims when the signature is ours, else None (expiry is checked by the caller)."""
    try:
        header, payload, sig = token.split(".")
        expected = hmac.new(_secret(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        return json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError):
        return None


# Issuing -------------------------------------------------------------------------------------------------
def _issue(conn, *, client_id: str, seller_id: str | None, scopes: list[str], with_refresh: bool) -> dict:
    now = clock.ts()
    ttl = int(state.get("access_token_ttl"))
    jti = str(uuid.uuid4())
    claims = {
        "user_name": seller_id,
        "client_id": client_id,
        "scope": scopes,
        "allegro_api": True,
        "iss": "https://allegro.pl/",
        "exp": int(now + ttl),
        "jti": jti,
        "authorities": ["ROLE_USER"] if seller_id else ["ROLE_CLIENT"],
    }
    if seller_id is None:
        del claims["user_name"]
    access = jwt_encode(claims)
    conn.execute(
        "INSERT INTO access_tokens(jti, client_id, seller_id, scope, expires_at, created_at) VALUES (?,?,?,?,?,?)",
        (jti, client_id, seller_id, " ".join(scopes), now + ttl, now),
    )
    body = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": " ".join(scopes),
        "allegro_api": True,
        "iss": "https://allegro.pl/",
        "jti": jti,
    }
    if with_refresh:
        rjti = str(uuid.uuid4())
        rttl = int(state.get("refresh_token_ttl"))
        refresh = jwt_encode(
            {
                "user_name": seller_id,
                "client_id": client_id,
                "scope": scopes,
                "ati": jti,
                "exp": int(now + rttl),
                "jti": rjti,
            }
        )
        conn.execute(
            "INSERT INTO refresh_tokens(jti, client_id, seller_id, scope, access_jti, expires_at, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (rjti, client_id, seller_id, " ".join(scopes), jti, now + rttl, now),
        )
        body["refresh_token"] = refresh
    return body


def _token_error(error_code: str, description: str, status: int = 400) -> Response:
    return Response.json({"error": error_code, "error_description": description}, status, media=JSON)


def _client_from_basic(req: Request) -> dict | Response:
    header = req.headers.get("Authorization") or ""
    if not header.lower().startswith("basic "):
        return _token_error("Unauthorized", "Full authentication is required to access this resource", 401)
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return _token_error("Unauthorized", "Unauthorized", 401)
    row = db.one("SELECT * FROM apps WHERE client_id = ?", (client_id,))
    if row is None or not hmac.compare_digest(row["client_secret"], secret):
        return _token_error("Unauthorized", "Unauthorized", 401)
    return dict(row)


# Authorize --------------------------------------------------------------------------------------------
def _error_page(message: str, status: int = 400) -> Response:
    return Response.html(
        f"<!doctype html><html lang='pl'><head><meta charset='utf-8'><title>Błąd autoryzacji</title></head>"
        f"<body><h1>Nie można połączyć aplikacji</h1><p>{html.escape(message)}</p></body></html>",
        status,
    )


def _redirect_back(redirect_uri: str, params: dict) -> Response:
    sep = "&" if "?" in redirect_uri else "?"
    return Response.redirect(redirect_uri + sep + urlencode({k: v for k, v in params.items() if v is not None}))


def _issue_code(app: dict, seller_id: str, p: dict) -> Response:
    code = secrets.token_urlsafe(24)
    scopes = [s for s in (p.get("scope") or "").split() if s] or ALL_SCOPES
    db.execute(
        "INSERT INTO auth_codes(code, client_id, seller_id, redirect_uri, code_challenge, code_challenge_method,"
        " scope, expires_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            code,
            app["client_id"],
            seller_id,
            p["redirect_uri"],
            p.get("code_challenge"),
            p.get("code_challenge_method"),
            " ".join(scopes),
            clock.ts() + float(state.get("code_ttl")),
        ),
    )
    return _redirect_back(p["redirect_uri"], {"code": code, "state": p.get("state")})


CONSENT_PAGE = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>Allegro – połącz aplikację</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;color:#222}}
h1{{color:#ff5a00}} button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.6rem;border-radius:4px;border:1px solid #ccc}}
button[value=allow]{{background:#ff5a00;color:#fff;border-color:#ff5a00}}</style></head>
<body><h1>allegro</h1>
<p>Aplikacja <b>{app}</b> prosi o dostęp do Twojego konta Allegro.</p>
<form method="post" action="/auth/oauth/authorize">
{hidden}
<p><label>Konto sprzedawcy: <select name="login">{options}</select></label></p>
<p>Aplikacja będzie mogła: zarządzać ofertami, czytać i obsługiwać zamówienia, zarządzać ustawieniami sprzedaży.</p>
<button type="submit" name="decision" value="allow">Zezwól</button>
<button type="submit" name="decision" value="deny">Odmów</button>
</form></body></html>"""


def _check_authorize_params(p: dict) -> tuple[dict | None, Response | None]:
    app = db.one("SELECT * FROM apps WHERE client_id = ?", (p.get("client_id") or "",))
    if app is None:
        return None, _error_page("Nieznana aplikacja (client_id).")
    app = dict(app)
    uris = json.loads(app["redirect_uris"])
    if not p.get("redirect_uri") or p["redirect_uri"] not in uris:
        # Allegro shows an error page instead of redirecting to an unregistered address.
        return None, _error_page("Adres przekierowania (redirect_uri) nie jest zarejestrowany dla tej aplikacji.")
    if p.get("response_type") != "code":
        return None, _redirect_back(p["redirect_uri"], {"error": "unsupported_response_type", "state": p.get("state")})
    if p.get("code_challenge") and (p.get("code_challenge_method") or "plain") != "S256":
        return None, _redirect_back(
            p["redirect_uri"],
            {"error": "invalid_request", "error_description": "Only S256 is supported", "state": p.get("state")},
        )
    return app, None


@route("GET", "/auth/oauth/authorize", auth=None, media=())
def authorize(req: Request) -> Response:
    p = req.form()
    app, problem = _check_authorize_params(p)
    if problem:
        return problem
    login = p.get("login") or "demo-seller"  # `login` is an emulator extension to pick the seller
    if state.get("auto_approve"):
        seller = db.one("SELECT id FROM sellers WHERE login = ?", (login,))
        if seller is None:
            return _error_page("Nieznany sprzedawca.")
        return _issue_code(app, seller["id"], p)
    keys = ("response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method")
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{html.escape(p[k])}">' for k in keys if p.get(k) is not None
    )
    options = "".join(
        f'<option value="{html.escape(r["login"])}"{" selected" if r["login"] == login else ""}>'
        f"{html.escape(r['login'])}</option>"
        for r in db.query("SELECT login FROM sellers ORDER BY created_at")
    )
    return Response.html(
        CONSENT_PAGE.format(app=html.escape(app["name"] or app["client_id"]), hidden=hidden, options=options)
    )


@route("POST", "/auth/oauth/authorize", auth=None, media=(), raw_body=True)
def authorize_decision(req: Request) -> Response:
    p = req.form()
    app, problem = _check_authorize_params(p)
    if problem:
        return problem
    if p.get("decision") != "allow":
        return _redirect_back(p["redirect_uri"], {"error": "access_denied", "state": p.get("state")})
    seller = db.one("SELECT id FROM sellers WHERE login = ?", (p.get("login") or "demo-seller",))
    if seller is None:
        return _error_page("Nieznany sprzedawca.")
    return _issue_code(app, seller["id"], p)


# Token ----------------------------------------------------------------------------------------------------
@route("POST", "/auth/oauth/token", auth=None, media=(), raw_body=True)
def token(req: Request) -> Response:
    app = _client_from_basic(req)
    if isinstance(app, Response):
        return app
    p = req.form()
    grant = p.get("grant_type")
    if grant == "authorization_code":
        return _grant_code(app, p)
    if grant == "refresh_token":
        return _grant_refresh(app, p)
    if grant == "client_credentials":
        with db.tx() as conn:
            body = _issue(conn, client_id=app["client_id"], seller_id=None, scopes=APP_SCOPES, with_refresh=False)
        return Response.json(body, media=JSON)
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        return _grant_device(app, p)
    return _token_error("unsupported_grant_type", f"Unsupported grant type: {grant}")


def _grant_code(app: dict, p: dict) -> Response:
    code = p.get("code")
    if not code:
        return _token_error("invalid_request", "An authorization code must be supplied.")
    now = clock.ts()
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM auth_codes WHERE code = ?", (code,)).fetchone()
        if row is None or row["client_id"] != app["client_id"]:
            return _token_error("invalid_grant", f"Invalid authorization code: {code[:4]}…")
        if row["used_at"] is not None:
            return _token_error("invalid_grant", "Authorization code already used")
        # consumed on first presentation, whatever the outcome (like Spring's code services)
        conn.execute("UPDATE auth_codes SET used_at = ? WHERE code = ?", (now, code))
        if now > row["expires_at"]:
            return _token_error("invalid_grant", "Authorization code expired")
        if p.get("redirect_uri") != row["redirect_uri"]:
            return _token_error("invalid_grant", "Redirect URI mismatch.")
        if row["code_challenge"]:
            verifier = p.get("code_verifier") or ""
            digest = _b64(hashlib.sha256(verifier.encode()).digest())
            if not verifier or not hmac.compare_digest(digest, row["code_challenge"]):
                return _token_error("invalid_grant", "Invalid code verifier")
        body = _issue(
            conn, client_id=app["client_id"], seller_id=row["seller_id"], scopes=row["scope"].split(), with_refresh=True
        )
    return Response.json(body, media=JSON)


def _grant_refresh(app: dict, p: dict) -> Response:
    raw = p.get("refresh_token") or ""
    claims = jwt_decode(raw)
    if not claims:
        return _token_error("invalid_grant", "Invalid refresh token: malformed")
    now = clock.ts()
    grace = float(state.get("refresh_grace_seconds"))
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM refresh_tokens WHERE jti = ?", (claims.get("jti"),)).fetchone()
        if row is None or row["client_id"] != app["client_id"]:
            return _token_error("invalid_grant", "Invalid refresh token: unknown")
        if now > row["expires_at"]:
            return _token_error("invalid_grant", "Invalid refresh token (expired)")
        if row["used_at"] is not None and now > row["used_at"] + grace:
            return _token_error("invalid_grant", "Invalid refresh token: already used")
        if row["used_at"] is None:
            conn.execute("UPDATE refresh_tokens SET used_at = ? WHERE jti = ?", (now, row["jti"]))
        # a refresh invalidates the access token of the pair that was refreshed
        conn.execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL", (now, row["access_jti"])
        )
        body = _issue(
            conn, client_id=app["client_id"], seller_id=row["seller_id"], scopes=row["scope"].split(), with_refresh=True
        )
    state.incr("token_refreshes")
    return Response.json(body, media=JSON)


# Device flow -------------------------------------------------------------------------------------------
@route("POST", "/auth/oauth/device", auth=None, media=(), raw_body=True)
def device(req: Request) -> Response:
    app = _client_from_basic(req)
    if isinstance(app, Response):
        return app
    p = req.form()
    device_code = secrets.token_urlsafe(24)
    user_code = secrets.token_hex(4).upper()
    scopes = [s for s in (p.get("scope") or "").split() if s] or ALL_SCOPES
    db.execute(
        "INSERT INTO device_codes(device_code, user_code, client_id, scope, expires_at) VALUES (?,?,?,?,?)",
        (device_code, user_code, app["client_id"], " ".join(scopes), clock.ts() + 3600),
    )
    verify = f"{req.base_url}/skojarz-aplikacje"
    return Response.json(
        {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verify,
            "verification_uri_complete": f"{verify}?code={user_code}",
            "expires_in": 3600,
            "interval": 5,
        },
        media=JSON,
    )


@route("GET", "/skojarz-aplikacje", auth=None, media=())
def device_page(req: Request) -> Response:
    code = html.escape(req.arg("code", "") or "")
    return Response.html(
        "<!doctype html><html lang='pl'><head><meta charset='utf-8'><title>Skojarz aplikację</title></head><body>"
        "<h1>Skojarz aplikację</h1><form method='post' action='/skojarz-aplikacje'>"
        f"<label>Kod: <input name='code' value='{code}'></label> <label>Konto: <input name='login' "
        "value='demo-seller'></label> <button name='decision' value='allow'>Zezwól</button> "
        "<button name='decision' value='deny'>Odmów</button></form></body></html>"
    )


@route("POST", "/skojarz-aplikacje", auth=None, media=(), raw_body=True)
def device_confirm(req: Request) -> Response:
    p = req.form()
    seller = db.one("SELECT id FROM sellers WHERE login = ?", (p.get("login") or "demo-seller",))
    status = "APPROVED" if p.get("decision") == "allow" and seller else "DENIED"
    cur = db.execute(
        "UPDATE device_codes SET status = ?, seller_id = ? WHERE user_code = ? AND status = 'PENDING'",
        (status, seller["id"] if seller else None, (p.get("code") or "").upper()),
    )
    ok = cur.rowcount == 1
    return Response.html(
        "<!doctype html><html lang='pl'><meta charset='utf-8'><body><p>"
        + ("Gotowe. Możesz wrócić do aplikacji." if ok else "Nieprawidłowy kod.")
        + "</p></body></html>",
        200 if ok else 400,
    )


def _grant_device(app: dict, p: dict) -> Response:
    with db.tx() as conn:
        row = conn.execute(
            "SELECT * FROM device_codes WHERE device_code = ? AND client_id = ?",
            (p.get("device_code"), app["client_id"]),
        ).fetchone()
        if row is None or clock.ts() > row["expires_at"]:
            return _token_error("expired_token", "Device code expired or unknown")
        if row["status"] == "PENDING":
            return _token_error("authorization_pending", "Authorization pending")
        if row["status"] != "APPROVED":
            return _token_error("access_denied", "Access denied")
        conn.execute("UPDATE device_codes SET status = 'USED' WHERE device_code = ?", (row["device_code"],))
        body = _issue(
            conn, client_id=app["client_id"], seller_id=row["seller_id"], scopes=row["scope"].split(), with_refresh=True
        )
    return Response.json(body, media=JSON)


# Bearer tokens on the API -------------------------------------------------------------------------------
def authenticate(req: Request) -> Auth:
    """The Auth behind `Authorization: Bearer`, or AuthError (401) like Allegro's."""
    header = req.headers.get("Authorization") or ""
    if not header.lower().startswith("bearer "):
        raise AuthError("unauthorized", "Full authentication is required to access this resource")
    raw = header[7:].strip()
    claims = jwt_decode(raw)
    if not claims or "jti" not in claims:
        raise AuthError("invalid_token", "Cannot convert access token to JSON")
    if clock.ts() > float(claims.get("exp", 0)):
        raise AuthError("invalid_token", f"Access token expired: {raw[:8]}…")
    row = db.one("SELECT * FROM access_tokens WHERE jti = ?", (claims["jti"],))
    if row is None or row["revoked_at"] is not None:
        raise AuthError("invalid_token", f"Invalid access token: {raw[:8]}…")
    return Auth(row["client_id"], row["seller_id"], row["scope"].split(), row["jti"])


# /me -----------------------------------------------------------------------------------------------------
@route("GET", "/me", auth="user", app_token_status=500)
def me(req: Request) -> Response:
    row = db.one("SELECT * FROM sellers WHERE id = ?", (req.seller_id,))
    if row is None:
        raise error(404, "NOT_FOUND", "User not found", pl="Nie znaleziono użytkownika.")
    return Response.json(
        {
            "id": row["id"],
            "login": row["login"],
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "email": row["email"],
            "baseMarketplace": {"id": "allegro-pl"},
            "company": {"name": row["company_name"], "taxId": row["tax_id"]},
            "features": json.loads(row["features"]),
        }
    )
