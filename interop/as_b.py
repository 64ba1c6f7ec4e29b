"""AS-B of the interop lab: Authlib's RFC 7523 JWT-bearer grant behind a Flask app.

The grant's protocol logic (assertion parsing, signature and claim verification, scope checks,
the error responses, the token response and its headers) is Authlib's `JWTBearerGrant` and
`AuthorizationServer`; access tokens are Authlib's RFC 9068 `JWTBearerTokenGenerator`. This
file is the glue Authlib asks its users to write: which issuers are trusted and where their keys
are, how a grant's `sub` maps to a local user, the signing key, and the metadata document.

Environment: LAB_DIR, AS_B_PORT, AS_A_ISSUER, HARNESS_ISSUER (chainproof's harness issuer,
trusted as a second domain-A issuer), SUBJECT_MAP (JSON object: AS-A sub -> local user).
"""

import json
import os
import time
import urllib.request

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc7523 import JWTBearerGrant
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask, jsonify
from joserfc.jwk import ECKey, KeySet

LAB = os.environ["LAB_DIR"]
PORT = int(os.environ.get("AS_B_PORT", "9612"))
ISSUER = f"http://127.0.0.1:{PORT}"
TOKEN_ENDPOINT = f"{ISSUER}/token"
TRUSTED = [
    os.environ.get("AS_A_ISSUER", "http://127.0.0.1:9611"),
    os.environ.get("HARNESS_ISSUER", "http://127.0.0.1:9613"),
]
SUBJECT_MAP = json.loads(os.environ.get("SUBJECT_MAP", "{}"))
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

key_path = os.path.join(LAB, "as-b-key.json")
if not os.path.exists(key_path):
    with open(key_path, "w") as f:
        json.dump(ECKey.generate_key("P-256", {"use": "sig"}).as_dict(private=True), f)
with open(key_path) as f:
    SIGNING_KEYS = KeySet([ECKey.import_key(json.load(f))])


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


def well_known(issuer):
    """RFC 8414 §3: the well-known segment goes between host and path."""
    scheme, rest = issuer.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/.well-known/oauth-authorization-server" + (f"/{path}" if path else "")


class TrustedIssuer(ClientMixin):
    """A domain-A authorization server whose grants AS-B accepts (Authlib's "issuer client")."""

    def __init__(self, issuer):
        self.issuer = issuer

    def get_client_id(self):
        return self.issuer

    def check_grant_type(self, grant_type):
        return grant_type == JWT_BEARER

    def get_allowed_scope(self, scope):
        return scope or ""


class User:
    def __init__(self, name):
        self.name = name

    def get_user_id(self):
        return self.name


class ChainingGrant(JWTBearerGrant):
    def resolve_issuer_client(self, issuer):
        return TrustedIssuer(issuer) if issuer in TRUSTED else None

    def resolve_client_public_key(self, client):
        # Keys by reference, from the issuer's own metadata (fetched per request: the lab is
        # small, and the harness issuer's key may change between runs).
        meta = fetch_json(well_known(client.issuer))
        return KeySet.import_key_set(fetch_json(meta["jwks_uri"]))

    def get_audiences(self):
        return [ISSUER, TOKEN_ENDPOINT]

    def authenticate_user(self, subject):
        local = SUBJECT_MAP.get(subject)
        return User(local) if local else None

    def has_granted_permission(self, client, user):
        return True


class TokenGenerator(JWTBearerTokenGenerator):
    def get_jwks(self):
        return SIGNING_KEYS

    def get_audiences(self, client, user, scope):
        return os.environ.get("RS_B_RESOURCE", "http://127.0.0.1:9615/")


app = Flask(__name__)
SCOPES = ["read", "write"]
server = AuthorizationServer(app, query_client=lambda client_id: None, save_token=lambda t, r: None)
# Authlib refuses scopes outside this list with invalid_scope (validate_requested_scope).
server.scopes_supported = SCOPES
server.register_grant(ChainingGrant)
server.register_token_generator("default", TokenGenerator(issuer=ISSUER, alg="ES256"))


@app.route("/.well-known/oauth-authorization-server")
def metadata():
    return jsonify(
        {
            "issuer": ISSUER,
            "token_endpoint": TOKEN_ENDPOINT,
            "jwks_uri": f"{ISSUER}/jwks.json",
            "grant_types_supported": [JWT_BEARER],
            "scopes_supported": SCOPES,
            "token_endpoint_auth_methods_supported": ["none"],
        }
    )


@app.route("/jwks.json")
def jwks():
    return jsonify(SIGNING_KEYS.as_dict(private=False))


@app.route("/token", methods=["POST"])
def token():
    return server.create_token_response()


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT, threaded=True)
