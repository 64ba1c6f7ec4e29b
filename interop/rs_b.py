"""RS-B of the interop lab: Authlib's RFC 9068 JWT access-token validation on a Flask route.

Bearer-token extraction, the RFC 6750 challenge and error responses are Authlib's
`ResourceProtector`; token checks (signature against AS-B's JWKS, iss, aud, exp, typ at+jwt)
are Authlib's `JWTBearerTokenValidator`. This file is the glue: AS-B's issuer and JWKS
location, RS-B's identifier and one protected route. Authlib implements no RFC 9728, so RS-B
publishes no protected-resource metadata (the RFC makes it optional).

Environment: RS_B_PORT, AS_B_ISSUER.
"""

import json
import os
import urllib.request

from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from flask import Flask, jsonify
from joserfc.jwk import KeySet

PORT = int(os.environ.get("RS_B_PORT", "9615"))
RESOURCE = f"http://127.0.0.1:{PORT}/"
AS_B = os.environ.get("AS_B_ISSUER", "http://127.0.0.1:9612")


class Validator(JWTBearerTokenValidator):
    def get_jwks(self):
        with urllib.request.urlopen(f"{AS_B}/jwks.json", timeout=5) as resp:
            return KeySet.import_key_set(json.load(resp))


app = Flask(__name__)
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator(issuer=AS_B, resource_server=RESOURCE))


@app.route("/")
@require_oauth()
def me():
    return jsonify({"sub": current_token["sub"], "scope": current_token.get("scope", "")})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT, threaded=True)
