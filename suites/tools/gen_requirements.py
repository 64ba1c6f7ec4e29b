#!/usr/bin/env python3
"""Regenerate suites/requirements.toml from the catalogue (shared/requirements.md).

The catalogue is the source of the rows (ID, source, binds, how tested, paraphrase); every
*level decision* lives in the tables below, each with the reason, so that a reviewer can audit
why a requirement is MUST/SHOULD/MAY in a profile and a catalogue update is one re-run away:

    python3 suites/tools/gen_requirements.py /work/shared/requirements.md > suites/requirements.toml

Rules (see suites/profiles.toml for the profile list):
* Levels are MUST / SHOULD / MAY. The level is that of the behaviour the suites assert:
  uppercase MUST/REQUIRED/SHALL (incl. NOT) -> MUST; SHOULD/RECOMMENDED -> SHOULD;
  MAY/OPTIONAL, lowercase keywords, informative text, definitions -> MAY.
* The three draft profiles (ic-17, ic-14, ic-01) carry an explicit level on every row, judged from
  the text of that draft (identity-chaining-17.txt; seeds 002_... = -14, 000_... = -01).
  Overlay profiles (ena-1.0) carry only the rows where they differ from their base (ic-17).
* Ena and ID-JAG rows are MAY in the IC drafts (not requirements of the chaining draft).
"""
import re
import sys

KEYWORD = [
    (re.compile(r"\b(MUST|REQUIRED|SHALL)\b"), "MUST"),
    (re.compile(r"\b(SHOULD|RECOMMENDED)\b"), "SHOULD"),
    (re.compile(r"\b(MAY|OPTIONAL)\b"), "MAY"),
]

# ic-17 levels where the first uppercase keyword of the Level column is not the level of the
# behaviour the suites assert. Reason on each line.
IC17 = {
    "IC-TE-08": "MAY",     # OPTIONAL parameter; refusing an unissuable type is reported, not required
    "IC-TE-09": "MAY",     # "need to" since -15 (non-normative)
    "IC-TE-15": "MUST",    # scope MUST be returned when it differs from the request
    "IC-TE-16": "MAY",     # "typically not issued": informative in RFC 8693; Ena upgrades
    "IC-JG-05": "MAY",     # lowercase "should" in IC §5.5; Ena upgrades
    "IC-JG-07": "MAY",     # jti optional in RFC 7523 / IC; Ena, ID-JAG require it
    "IC-JB-02": "SHOULD",  # AS audience-restricts the AT to the named resource (RFC 8707)
    "IC-JB-03e": "MUST",   # grants from an issuer without trust MUST be rejected (7523 §3.1)
    "IC-JB-13": "MAY",     # informative: reuse allowed unless a profile makes grants single use
    "IC-AT-02": "MUST",    # the grant must not work as an access token at RS-B (IC §2.3.3 rationale)
    "IC-AT-05": "MAY",     # RFC 9068 shape: profile-only (Ena MUST)
    "IC-MD-01": "MUST",    # OPTIONAL member, but when present its JSON type is defined
    "IC-MD-03": "SHOULD",  # implied consistency; the catalogue grades a mismatch WARN
    "IC-MD-08": "MUST",    # RFC 9728 document validity (resource identical) is a MUST
    "IC-MD-11": "MUST",    # RFC 9449: proof algs are asymmetric; none/HS* never acceptable
    "IC-SC-01": "MAY",     # lowercase "should" since -09
    "IC-SC-02": "MAY",     # lowercase "should" since -09
    "IC-SC-03": "MAY",     # lowercase "recommended"; Ena upgrades
    "IC-SC-07": "MAY",     # "can" in IC; Ena, ID-JAG upgrade
    "IC-SC-10": "MUST",    # unknown keys must not be admitted (7523 §3 item 9)
    "DPOP-05": "MAY",      # servers MAY use nonces
    "GEN-14": "MAY",       # 7523bis client-assertion aud rule: reported, not graded, in IC
}

# -14 (seed 002_..., expires 4 Dec 2026, history tops at -14) differs from -17 only here.
IC14 = {
    "IC-TE-09": "SHOULD",  # "Authorization Servers SHOULD verify ... requested scopes" (until -14)
}

# -01 (seed 000_..., 8 Feb 2024, expires 11 Aug 2024, history tops at -01).
IC01 = {
    "IC-TE-09": "SHOULD",  # §2.6 "Authorization Servers SHOULD verify that requested scopes ..."
    "IC-JB-05": "SHOULD",  # §2.5.2 "SHOULD deny the request if it is not able to identify the subject"
    "IC-SC-01": "SHOULD",  # §4.1 "Authorization Servers SHOULD follow the ... BCP ... client authentication"
    "IC-SC-04": "MAY",     # no refresh-token section in -01 (added later); RFC 7521 only discourages
    "IC-MD-01": "MAY",     # identity_chaining_requested_token_types_supported not defined in -01
    "IC-MD-03": "MAY",     # idem
    # IC-SC-02 / IC-SC-03 (sender constraining, authorized subject-token use) do not exist in -01
    # (its security section is client authentication only): MAY, as in -17.
}

# ena-1.0 overlay (ENA-TX = chaining profile v1.0 draft 01, ENA-P = base profile v1.0 draft 01).
ENA = {
    "IC-TE-16": "MUST",    # ENA-TX §2.4 / §3.3.4: no refresh token from chaining exchanges
    "IC-SC-04": "MUST",    # ENA-TX §3.4.3: no refresh token unless target-domain policy
    "IC-JG-05": "MUST",    # ENA-TX §3.3: grants MUST be short-lived
    "IC-JG-07": "MUST",    # ENA-TX §3.3.4, ENA-P §5.4.2: jti mandatory
    "IC-JB-13": "MUST",    # ENA-TX §3.3: one-time use
    "IC-JB-14": "MUST",    # ENA-TX §3.4.2: jti replay check
    "IC-JB-09": "MUST",    # ENA-TX §3.4.1: client authenticates at AS-B
    "IC-SC-01": "MUST",    # ENA-P §3.3.2.1: AS refuses unauthenticated token requests
    "IC-SC-03": "MUST",    # ENA-TX §3.3.3 / §4.2.2: subject token must be issued to the requester
    "IC-SC-07": "MUST",    # ENA-P §5.4.2: grant client_id must match the authenticated client
    "IC-AT-05": "MUST",    # ENA-P §6.1: RFC 9068 access tokens
}

# Level of Ena rows in the ena-1.0 profile where the first keyword is not the tested behaviour.
ENA_ROWS = {
    "ENA-TX-11": "SHOULD", # act SHOULD be present; structure rules apply only if present
    "ENA-XD-11": "SHOULD",
    "ENA-XD-13": "SHOULD",
    "ENA-GEN-03": "SHOULD",
}

TESTING = {"BB", "BB+F", "HI", "MK", "INFO", "N"}


def first_of(level: str) -> str:
    best = None
    for rx, lvl in KEYWORD:
        m = rx.search(level)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), lvl)
    return best[1] if best else "MAY"


def clean(text: str) -> str:
    text = text.replace("*(k)*", "(from knowledge of the RFC)").replace("`", "")
    text = re.sub(r"\*+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def summary(paraphrase: str) -> str:
    s = clean(paraphrase)
    # first sentence, bounded length
    m = re.match(r"(.+?[.;])(\s|$)", s)
    s = m.group(1) if m else s
    s = s.rstrip(";")
    if not s.endswith("."):
        s += "."
    return s


def testing(col: str) -> str:
    """The catalogue's BB? column: one class, or alternatives joined by " / " (e.g. "HI / BB+F":
    harness-issuer mode, or black-box with a fixture); "-" where the row has no test of its own."""
    col = col.strip()
    if col in ("—", "-", ""):
        return "-"
    parts = [p.strip() for p in col.split("/")]
    assert all(p in TESTING for p in parts), col
    return " / ".join(parts)


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(path: str) -> None:
    rows = []
    for line in open(path, encoding="utf-8"):
        if not re.match(r"^\| (IC|ENA|IDJAG|GEN|DPOP)-", line):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rid, source, level, binds, para, _test, how = cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[-1]
        rows.append((rid, source, level, binds, para, how))

    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate IDs"
    for table in (IC17, IC14, IC01, ENA, ENA_ROWS):
        for k in table:
            assert k in ids, f"level table names unknown ID {k}"

    out = [
        "# Requirement catalogue as data: generated by suites/tools/gen_requirements.py from",
        "# shared/requirements.md (see that script for every level decision and its reason).",
        "# levels: ic-17, ic-14, ic-01 are explicit on every row; ena-1.0 only where it differs",
        "# from its base ic-17 (suites/profiles.toml).",
        "",
    ]
    for rid, source, level, binds, para, how in rows:
        own = first_of(level)
        is_profile_row = rid.startswith(("ENA-", "IDJAG-"))
        if is_profile_row:
            l17 = l14 = l01 = "MAY"
        else:
            l17 = IC17.get(rid, own)
            l14 = IC14.get(rid, l17)
            l01 = IC01.get(rid, l17)
        levels = [("ic-17", l17), ("ic-14", l14), ("ic-01", l01)]
        if rid.startswith("ENA-"):
            levels.append(("ena-1.0", ENA_ROWS.get(rid, own)))
        elif rid in ENA:
            levels.append(("ena-1.0", ENA[rid]))
        out.append("[[requirement]]")
        out.append(f"id = {q(rid)}")
        out.append(f"source = {q(clean(source))}")
        out.append(f"party = {q(clean(binds))}")
        out.append(f"testing = {q(testing(how))}")
        out.append(f"summary = {q(summary(para))}")
        out.append("levels = { " + ", ".join(f"{q(p)} = {q(l)}" for p, l in levels) + " }")
        out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/requirements.md")
