"""AS-A of the interop lab: idpyoidc's OAuth 2.0 authorization server (RFC 8693 token exchange).

Everything protocol-related (client authentication, the password and token-exchange grants,
JWT access tokens, metadata, JWKS) is idpyoidc's own code. This file is only glue: the server
configuration, the user and client tables, and a small Flask app that hands each HTTP request
to idpyoidc's endpoint objects, the way idpyoidc's own Flask example does.

Environment: LAB_DIR (state directory), AS_A_PORT, CHAINPROOF_AS_A_SECRET,
CHAINPROOF_AS_A_SECOND_SECRET, AS_A_TOKEN_LIFETIME,
AS_B_ISSUER (the audience AS-A mints grants for).
"""

import json
import os
import sys
import traceback

from flask import Flask, Response, request
from idpyoidc.message import Message
from idpyoidc.message.oauth2 import ResponseMessage
from idpyoidc.server import Server
from idpyoidc.server.authz import AuthzHandling
from idpyoidc.server.client_authn import verify_client
from idpyoidc.server.configure import ASConfiguration
from idpyoidc.server.exception import ClientAuthenticationError

LAB = os.environ["LAB_DIR"]
PORT = int(os.environ.get("AS_A_PORT", "9611"))
ISSUER = f"http://127.0.0.1:{PORT}"
# Lifetime of every AS-A access token, grants included (idpyoidc mints both from one class).
LIFETIME = int(os.environ.get("AS_A_TOKEN_LIFETIME", "300"))

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AS_B_ISSUER = os.environ.get("AS_B_ISSUER", "http://127.0.0.1:9612")
AS_B_ALIAS = os.environ.get("AS_B_ALIAS", "urn:interop:as-b")
# AS-C: a second authorization server AS-A also mints grants for (chainproof's `as_c`).
AS_C_ISSUER = os.environ.get("AS_C_ISSUER", "http://127.0.0.1:9614")
TARGETS = [AS_B_ISSUER, AS_C_ISSUER]
# Where the authorization endpoint sends codes; nothing listens there (subject_token.py reads
# the Location header).
REDIRECT = "http://127.0.0.1:9/cb"

KEYDEFS = [{"type": "EC", "crv": "P-256", "use": ["sig"]}]
CRYPT = {
    "kwargs": {
        "keys": {
            "key_defs": [
                {"type": "OCT", "use": ["enc"], "kid": "password"},
                {"type": "OCT", "use": ["enc"], "kid": "salt"},
            ]
        },
        "iterations": 1,
    }
}


CONF = {
    "issuer": ISSUER,
    "httpc_params": {"verify": False},
    "preference": {
        "grant_types_supported": [
            "client_credentials",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
    },
    "keys": {
        "uri_path": "jwks.json",
        "key_defs": KEYDEFS,
        "private_path": os.path.join(LAB, "as-a-jwks.json"),
        "read_only": False,
    },
    "endpoint": {
        "server_metadata": {
            "path": ".well-known/oauth-authorization-server",
            "class": "idpyoidc.server.oauth2.server_metadata.ServerMetadata",
            "kwargs": {},
        },
        "authorization": {
            "path": "authorization",
            "class": "idpyoidc.server.oauth2.authorization.Authorization",
            "kwargs": {},
        },
        "token": {
            "path": "token",
            "class": "idpyoidc.server.oauth2.token.Token",
            "kwargs": {
                "client_authn_method": ["client_secret_basic", "client_secret_post"],
                # idpyoidc's own helpers; the token-exchange policy is idpyoidc's default
                # function, told which targets this AS-A mints grants for.
                "grant_types_helpers": {
                    "client_credentials": {
                        "class": "idpyoidc.server.oauth2.token_helper.client_credentials"
                        ".ClientCredentials"
                    },
                    "authorization_code": {
                        "class": "idpyoidc.server.oauth2.token_helper.access_token"
                        ".AccessTokenHelper"
                    },
                    TE: {
                        "class": "idpyoidc.server.oauth2.token_helper.token_exchange"
                        ".TokenExchangeHelper",
                        "kwargs": {
                            "subject_token_types_supported": [
                                "urn:ietf:params:oauth:token-type:access_token"
                            ],
                            "requested_token_types_supported": [
                                "urn:ietf:params:oauth:token-type:access_token"
                            ],
                            "default_requested_token_type": "urn:ietf:params:oauth:token-type"
                            ":access_token",
                            "policy": {
                                "": {
                                    "function": "idpyoidc.server.oauth2.token_helper"
                                    ".validate_token_exchange_policy",
                                    "kwargs": {
                                        "resource": TARGETS,
                                        "audience": TARGETS + [AS_B_ALIAS],
                                        "scope": ["read", "write"],
                                    },
                                }
                            },
                        },
                    },
                },
            },
        },
    },
    "client_authn": verify_client,
    # idpyoidc needs a user-info source to open a token-exchange session for another client.
    "userinfo": {
        "class": "idpyoidc.server.user_info.UserInfo",
        "kwargs": {
            "db": {"alice": {"name": "Alice"}, "bob": {"name": "Bob"}, "mallory": {"name": "Mallory"}}
        },
    },
    "cookie_handler": {
        "class": "idpyoidc.server.cookie_handler.CookieHandler",
        "kwargs": {
            "keys": {
                "key_defs": [
                    {"type": "OCT", "kid": "sig", "use": ["sig"]},
                    {"type": "OCT", "kid": "enc", "use": ["enc"]},
                ]
            }
        },
    },
    "claims_interface": {
        "class": "idpyoidc.server.session.claims.OAuth2ClaimsInterface",
        "kwargs": {},
    },
    "authz": {
        "class": AuthzHandling,
        "kwargs": {
            "grant_config": {
                "usage_rules": {
                    "authorization_code": {
                        "supports_minting": ["access_token"],
                        "max_usage": 1,
                    },
                    "access_token": {
                        "supports_minting": ["access_token"],
                        "expires_in": LIFETIME,
                    }
                },
                "expires_in": 3600,
            }
        },
    },
    "token_handler_args": {
        "jwks_defs": {"key_defs": [{"type": "OCT", "kid": "code", "use": ["enc"]}]},
        "code": {"lifetime": 600, "kwargs": {"crypt_conf": CRYPT}},
        "token": {
            "class": "idpyoidc.server.token.jwt_token.JWTToken",
            "kwargs": {"lifetime": LIFETIME, "alg": "ES256"},
        },
    },
    # A fixed salt keeps each user's public `sub` stable across restarts, so AS-B's mapping
    # table and the target's fixtures can name it (sha256 of user id + salt, idpyoidc's rule).
    "session_params": {
        "encrypter": CRYPT,
        "sub_func": {
            "public": {
                "class": "idpyoidc.server.session.manager.PublicID",
                "kwargs": {"salt": "interop-lab"},
            }
        },
    },
    # The lab's users log in without a page: one idpyoidc NoAuthn method per user, picked by
    # the authorization request's acr_values (see subject_token.py). Subject tokens therefore
    # come from idpyoidc's own authorization-code flow, the path its token exchange supports.
    "authentication": {
        user: {
            "acr": f"urn:interop:user:{user}",
            "class": "idpyoidc.server.user_authn.user.NoAuthn",
            "kwargs": {"user": user},
        }
        for user in ("alice", "bob", "mallory")
    },
}

server = Server(ASConfiguration(conf=CONF, base_path=LAB), cwd=LAB)
ctx = server.context
for cid, env in (
    ("chain-client", "CHAINPROOF_AS_A_SECRET"),
    ("other-client", "CHAINPROOF_AS_A_SECOND_SECRET"),
):
    ctx.cdb[cid] = {
        "client_id": cid,
        "client_secret": os.environ[env],
        "client_salt": "salt-" + cid,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types_supported": ["authorization_code", "client_credentials", TE],
        "redirect_uris": [(REDIRECT, None)],
        "response_types_supported": ["code"],
        "allowed_scopes": ["read", "write"],
    }
ctx.set_provider_info()

app = Flask(__name__)


def respond(endpoint, req, args):
    info = endpoint.do_response(request=req, **args)
    if info.get("response_placement", endpoint.response_placement) == "url":
        return Response(status=302, headers={"Location": info["response"]})
    code = info.get("response_code", 400 if "error" in args else 200)
    resp = Response(info["response"], status=code)
    for k, v in info["http_headers"]:
        resp.headers[k] = v
    return resp


def error(err, desc, status=400):
    return Response(
        ResponseMessage(error=err, error_description=desc).to_json(),
        status=status,
        content_type="application/json",
    )


def serve(endpoint):
    http_info = {
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "method": request.method,
        "url": request.url,
    }
    try:
        # idpyoidc's own urlencoded parser (Message.deserialize) reads the query or form body.
        if request.method == "GET":
            body = Message().deserialize(request.query_string.decode(), "urlencoded")
        else:
            body = Message().deserialize(request.get_data(as_text=True), "urlencoded")
        req = endpoint.parse_request(body, http_info=http_info)
    except ClientAuthenticationError as exc:
        # idpyoidc raises this for a missing, unknown or wrongly authenticated client; the
        # glue writes the RFC 6749 §5.2 answer for it.
        resp = error("invalid_client", str(exc) or "client authentication failed", 401)
        resp.headers["WWW-Authenticate"] = 'Basic realm="as-a"'
        return resp
    except Exception as exc:  # a body idpyoidc cannot parse
        return error("invalid_request", str(exc))
    if isinstance(req, ResponseMessage) and "error" in req:
        status = 401 if req["error"] == "invalid_client" else 400
        return Response(req.to_json(), status=status, content_type="application/json")
    try:
        args = endpoint.process_request(req, http_info=http_info)
    except Exception as exc:
        traceback.print_exc()
        return error("invalid_request", str(exc))
    return respond(endpoint, req, args)


@app.route("/.well-known/oauth-authorization-server")
def metadata():
    return serve(server.get_endpoint("server_metadata"))


@app.route("/jwks.json")
def jwks():
    return Response(json.dumps(ctx.keyjar.export_jwks()), content_type="application/json")


@app.route("/authorization")
def authorization():
    return serve(server.get_endpoint("authorization"))


# RFC 6749 §3.2: token requests are POSTs; Flask answers other methods with 405.
@app.route("/token", methods=["POST"])
def token():
    return serve(server.get_endpoint("token"))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT, threaded=True)
