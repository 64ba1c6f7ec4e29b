#!/usr/bin/env python3
"""Regenerate suites/COVERAGE.md: for every catalogue row, the cases that cite it, or why none does.

    python3 suites/tools/coverage.py > suites/COVERAGE.md

The reasons for uncovered rows live in WHY below; tests/suites_catalogue.rs checks that every
BB, BB+F and HI row has a line in COVERAGE.md.
"""
import glob
import os
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = os.path.dirname(HERE)

WHY = {
    "IC-JB-03k": "MAY-level and both outcomes are conformant; nothing to grade beyond a report, and no fault can turn it into a failure.",
    "IC-JB-09": "Policy (both 200 and invalid_client are conformant): report-only, cannot fail.",
    "IC-MD-03": "Needs iteration over the advertised list (and a way to guard an absent list inside a step); not expressible without failing cases to `error` on servers that omit the optional member.",
    "IC-SC-02": "Observed by requested-cnf/as-b-binds-access-token (token_type DPoP after a proof), graded there under IC-AT-08; the lowercase 'should' of IC §5.2 adds no separate check.",
    "DPOP-05": "Nonce handling is harness behaviour (transparent `use_dpop_nonce` retry), not a server requirement to grade.",
    "GEN-08": "A consumer-side rule (decide only on top-level claims and the current actor): mock/white-box; the black-box structural check on `act` is grant-contents/grant-claims (IC-JG-13).",
    # Rows whose only citations graded nothing (issue 9, KNOWN_UNGRADED emptied): each check is
    # charged to the one requirement it tests; these rows are broader or client-side.
    "GEN-12": "Explicit typing is a rule for whoever defines a JWT kind (RFC 8725 §3.11 RECOMMENDED); its observable effect is graded by the cross-presentation rows: IC-JB-07 (AS-A's access token presented as a grant: aud-restrictions/as-a-access-token-refused-as-grant), IC-AT-02 (the grant presented at RS-B) and, under id-jag, IDJAG-10 (the typ check).",
    "IC-TE-01": "Client-side rule: the harness redeems every grant through the RFC 7523 jwt-bearer request (`present`); AS-B's side of it is IC-JB-01, graded by grant-validation/valid-grant-redeemed.",
    "IC-SC-06": "A posture, not one behaviour (IC §5.5: deployments choose their mitigations); its parts are graded by their own rows: replay/* (IC-JB-13, IC-JB-14), replay/grant-lifetime-short (IC-JG-05), client-binding/* (IC-SC-07).",
    "IDJAG-14": "Graded through the aud rules: an ID-JAG minted for another AS is refused by aud-restrictions/grant-for-as-c-refused under IC-JB-07 (MUST under id-jag) and IDJAG-10 (aud is the resource AS's issuer); a separate IDJAG-14 check would charge the same refusal twice.",
    "GEN-14": "Concerns client-authentication JWTs (RFC 7523bis), which the harness's clients do not use against the mock; MAY in the IC drafts.",
    # id-jag rows without a case of their own (the id-jag-* suites cover 01, 02, 04-10, 12, 13, 15, 17, 18, 22).
    "IDJAG-03": "Exercised by every id-jag case (the setup form sends the ID token as subject_token_type id_token); the IdP's check of that token is IDJAG-04. SAML and refresh-token subjects are not built: the mock has no SAML IdP.",
    "IDJAG-11": "Graded under id-jag by the identity-chaining scope cases at AS-B (IC-JB-15, IC-AT-06), which keep their levels.",
    "IDJAG-16": "Not built: it needs a public-client role in the harness (a target `[as_a.public_client]` id with no credentials, an ID token issued to that client, and `client = \"public\"` on exchange steps) and a public client registered in the id-jag-mode mock; the SHOULD would then be graded by an exchange from the public client that yields no ID-JAG. Refusing it cannot be inferred from any confidential-client case.",
    "IDJAG-20": "Multi-tenant IdPs: depends on a tenant configuration the mock does not have.",
    "IDJAG-21": "SAML 2.0 interop: no SAML IdP in the mock or the harness.",
}
# Ena rows (ena-1.0) without a case of their own: graded elsewhere, not gradable, or not yet
# written (said so).
WHY.update({
    "ENA-XD-01": "Deployment prerequisites (trust, keys, registration at AS-B): exercised by every chain case (grant-validation/valid-grant-redeemed) and metadata/* (IC-MD-06); no behaviour of its own to fail.",
    "ENA-XD-02": "Graded through the identity-chaining rows ena-1.0 upgrades to MUST: replay/grant-lifetime-short (IC-JG-05), replay/same-grant-twice and replay/same-grant-concurrently (IC-JB-13, IC-JB-14).",
    "ENA-XD-03": "Client-side rule; the harness's requests conform (ena-cross-domain/grant-profile sends requested_token_type jwt). A refresh token as subject_token needs a refresh-token fixture the embedded target does not have.",
    "ENA-XD-06": "Graded by token-exchange/client-credentials-subject-token (ENA-GEN-04: a user-less subject token is invalid_request) and unknown-audience/unknown-audience, unknown-audience/unknown-resource (an AS-B that is no trusted peer: invalid_target).",
    "ENA-XD-07": "AS-A's error responses are graded by response-hygiene/as-a-error-shape (GEN-04) and each refusal case's code check; every code those cases expect is in Ena's preferred set (SHOULD).",
    "ENA-XD-14": "Graded by grant-contents/grant-claims (IC-JG-08: signed with a key of AS-A's JWKS, never alg none); encryption is MAY.",
    "ENA-XD-15": "Client-side rule (jwt-bearer request form, no audience parameter); the harness's present requests conform, and the AS's reaction to a stray audience is INFO in the catalogue: nothing to fail.",
    "ENA-XD-19": "Graded by grant-validation/scope-beyond-grant (IC-JB-15: unsatisfiable scope refused with invalid_scope or narrowed).",
    "ENA-XD-20": "Graded by refresh-tokens/as-b-issues-no-refresh-token (IC-SC-04, MUST under ena-1.0) and requested-cnf/as-b-binds-access-token (IC-AT-07: a DPoP-bound token, token_type DPoP).",
    "ENA-GEN-01": "Client-side rule (the harness names AS-B by its issuer: ena-cross-domain/grant-profile); the AS's reaction to a non-issuer alias is report-only in the catalogue.",
    "ENA-GEN-02": "A client rule (never both resource and audience); the AS's reaction is INFO in the catalogue (RFC 8693 allows both): nothing to fail.",
    "ENA-P-04": "Graded by response-hygiene/as-a-error-shape and the AS-B error cases (GEN-04); whether error_description leaks sensitive data is not black-box checkable.",
    "ENA-P-09": "Harness behaviour (discovery tries the RFC 8414 and OpenID locations), not a server rule beyond metadata/* (IC-MD-05).",
    "ENA-P-11": "Configuration-dependent (a resource that requires DPoP); the embedded target declares none. DPoP proof handling is graded by the DPOP-02 cases.",
    "ENA-P-14": "TLS on every transaction is a property of the target's URLs (the embedded mock serves plain HTTP on loopback, as the catalogue allows), not a case.",
})
UNREACHABLE = []  # (fault, why): faults no case can reach; keep in step with tests/mutation_matrix.rs
PROFILE_ONLY = "Profile-only row (MAY in ic-17/ic-14/ic-01): covered when that profile's suite exists."


def main():
    reqs = tomllib.load(open(os.path.join(SUITES, "requirements.toml"), "rb"))["requirement"]
    cited = {}
    ncases = 0
    for f in sorted(glob.glob(os.path.join(SUITES, "*.toml"))):
        if f.endswith(("requirements.toml", "profiles.toml")):
            continue
        d = tomllib.load(open(f, "rb"))
        for c in d["case"]:
            ncases += 1
            for r in c["requirements"]:
                cited.setdefault(r, []).append(f"{d['suite']['id']}/{c['id']}")
    def is_testable(r):
        return any(t in ("BB", "BB+F", "HI") for t in r["testing"].split(" / "))

    testable = [r for r in reqs if is_testable(r)]
    covered = [r for r in testable if r["id"] in cited]
    print("# Coverage of the requirement catalogue\n")
    print("Generated by `suites/tools/coverage.py` from `requirements.toml` and the suites "
          f"({ncases} cases). Every row the catalogue marks BB, BB+F or HI has its cases or a "
          "reason; `tests/suites_catalogue.rs` keeps it that way.\n")
    print(f"Testable rows (BB, BB+F, HI): {len(testable)}; covered by at least one case: "
          f"{len(covered)}; IC/GEN/DPOP rows among the uncovered: "
          f"{sum(1 for r in testable if r['id'] not in cited and not r['id'].startswith(('ENA-', 'IDJAG-', 'TX8693-')))}.\n")
    print("## Testable rows\n")
    print("| ID | testing | ic-17 | cases, or why none |")
    print("|---|---|---|---|")
    for r in testable:
        rid = r["id"]
        if rid in cited:
            cell = ", ".join(f"`{c}`" for c in cited[rid])
        elif rid.startswith("TX8693-"):
            cell = "— " + PROFILE_ONLY.replace("that profile", "the rfc8693 profile")
        else:
            cell = "— " + WHY[rid]
        print(f"| {rid} | {r['testing']} | {r['levels'].get('ic-17', '—')} | {cell} |")
    print("\n## Mock faults\n")
    print("`tests/mutation_matrix.rs` runs every fault of `mock_as::Fault::ALL` and requires each to be "
          "caught by a case citing one of its requirement IDs, at that requirement's level. "
          "`accept-expired-subject-token` is caught by `token-exchange/expired-subject-token` in the "
          "matrix test that drives a mock with four-second user tokens as a live target (on the "
          "embedded mock that case skips: its wait would exceed `max_wait_secs`).")
    if UNREACHABLE:
        print("\nFaults no case reaches:\n")
        for name, why in UNREACHABLE:
            print(f"- `{name}`: {why}")
    print("\n## Other rows (MK, INFO, N, -)\n")
    print("Not black-box gradable by definition (mock/white-box only, report-only, not testable, or "
          "a heading row); cases that cite them anyway are listed.\n")
    print("| ID | testing | cases |")
    print("|---|---|---|")
    for r in reqs:
        if is_testable(r):
            continue
        cell = ", ".join(f"`{c}`" for c in cited.get(r["id"], [])) or "—"
        print(f"| {r['id']} | {r['testing']} | {cell} |")


if __name__ == "__main__":
    main()
