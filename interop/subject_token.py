"""Prints a fresh AS-A access token for one lab user (the subject token chainproof exchanges).

Runs idpyoidc's authorization-code flow over HTTP as a client would: the authorization request
picks the user's login method through acr_values (AS-A logs lab users in without a page), the
code is read from the redirect's Location header and redeemed at the token endpoint with
client_secret_basic. Standard library only.

Usage: subject_token.py [--json] USER [CLIENT_ID SECRET_ENV]
(--json prints the whole token response, with expires_in, for chainproof's `command` source.)
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

AS_A = os.environ.get("AS_A_ISSUER", "http://127.0.0.1:9611")
REDIRECT = "http://127.0.0.1:9/cb"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    args = sys.argv[1:]
    as_json = bool(args) and args[0] == "--json"
    if as_json:
        args = args[1:]
    user = args[0]
    client_id = args[1] if len(args) > 1 else "chain-client"
    secret = os.environ[args[2] if len(args) > 2 else "CHAINPROOF_AS_A_SECRET"]
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "read write",
            "state": "interop",
            "acr_values": f"urn:interop:user:{user}",
            "response_mode": "query",
        }
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{AS_A}/authorization?{query}")
        sys.exit("authorization endpoint did not redirect")
    except urllib.error.HTTPError as e:
        location = e.headers.get("Location")
        if not location:
            sys.exit(f"authorization failed: {e.code} {e.read()[:300]!r}")
    params = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    if "code" not in params:
        sys.exit(f"no code in redirect: {location}")
    body = urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": REDIRECT}
    ).encode()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    req = urllib.request.Request(
        f"{AS_A}/token", data=body, headers={"Authorization": f"Basic {basic}"}
    )
    try:
        with urllib.request.urlopen(req) as resp:
            answer = json.load(resp)
            print(json.dumps(answer) if as_json else answer["access_token"])
    except urllib.error.HTTPError as e:
        sys.exit(f"token request failed: {e.code} {e.read()[:300]!r}")


if __name__ == "__main__":
    main()
