#!/usr/bin/env python3
# scan_tls_report.py: judge one sslyze scan of tlschatd against the TLSChat
# TLS policy, from sslyze's JSON (--json_out), and print one line per check.
#
# What it does: reads the JSON of ONE scanned server and checks, on its own
# (never trusting sslyze's exit code): the scan completed; accepted protocol
# versions (modern: TLS 1.3 only; intermediate: TLS 1.2 and 1.3 only; 1.3 is
# required either way); SSL 2/3, TLS 1.0/1.1 refused; TLS 1.3 suites are the
# three Mozilla ones; every TLS 1.2 suite is ECDHE with an AEAD cipher (GCM
# or CHACHA20-POLY1305); ephemeral keys and supported groups are exactly
# X25519 and P-256 (secp256r1); no compression; no client-initiated
# renegotiation and no insecure renegotiation; no Heartbleed, CCS injection
# or ROBOT; TLS_FALLBACK_SCSV and Extended Master Secret where TLS 1.2 is
# offered; the certificate (ECDSA P-256/P-384 or RSA >= 2048 for
# intermediate, Mozilla's signature algorithms, valid now, host name or IP in
# its SAN, chain valid against the supplied CA). It then reads sslyze's own
# Mozilla verdict from sslyze's console log (--sslyze-log), because sslyze
# 6.x writes that verdict only to the console, not into the JSON; every
# issue sslyze lists is a FAIL unless waived below.
# Out of scope for a private-CA deployment (printed as INFO or WAIVED, never
# hidden): trust in the public root stores (Mozilla, Apple, ...; the test CA
# is private, so the chain must validate against --ca instead, or FAIL);
# OCSP stapling, Must-Staple and Certificate Transparency (a private CA has
# no responder and no CT logs); and Mozilla's maximum certificate lifespan
# (90 days modern, 366 intermediate), which is the issuing CA's policy, not
# the server's TLS configuration: WAIVED only for a private CA (--ca given,
# no public store trusts the chain), else and with --strict-cert a FAIL.
# What it does not do: run sslyze, contact any server, change anything, or
# check HTTP headers (chat/1 is not HTTP). Standard library only.
# Exit status: 0 compliant, 1 not compliant, 2 unreadable or incomplete input.
import argparse
import ipaddress
import json
import re
import sys
from datetime import datetime, timezone

VERSIONS = [("ssl_2_0_cipher_suites", "SSLv2"), ("ssl_3_0_cipher_suites", "SSLv3"),
            ("tls_1_0_cipher_suites", "TLSv1.0"), ("tls_1_1_cipher_suites", "TLSv1.1"),
            ("tls_1_2_cipher_suites", "TLSv1.2"), ("tls_1_3_cipher_suites", "TLSv1.3")]
ALLOWED_VERSIONS = {"modern": {"TLSv1.3"}, "intermediate": {"TLSv1.2", "TLSv1.3"}}
TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
GROUPS = {"X25519", "secp256r1"}
CERT_CURVES = {"secp256r1", "secp384r1"}
ECDSA_SIGS = {"ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512"}
CERT_SIGS = {"modern": ECDSA_SIGS, "intermediate": ECDSA_SIGS | {"sha256WithRSAEncryption"}}
MAX_LIFESPAN_DAYS = {"modern": 90, "intermediate": 366}  # Mozilla server-side TLS 5.7
# The scan commands the judgement needs (sslyze --mozilla_config schedules them); the
# groups check copes with a missing elliptic_curves scan itself.
NEEDED = [name for name, _ in VERSIONS] + [
    "certificate_info", "tls_compression", "session_renegotiation", "heartbleed",
    "openssl_ccs_injection", "robot", "tls_fallback_scsv", "tls_extended_master_secret"]
PUBLIC_STORES_NOTE = "private test CA: public root stores are expected to fail; judged against --ca instead"


class Report:
    def __init__(self):
        self.lines = []

    def add(self, status, check, detail=""):
        self.lines.append((status, check, detail))

    def check(self, ok, check, detail=""):
        self.add("PASS" if ok else "FAIL", check, detail)

    @property
    def failed(self):
        return any(status == "FAIL" for status, _, _ in self.lines)

    def print(self, title):
        print(title)
        for status, check, detail in self.lines:
            print(f"  {status:<6} {check}" + (f": {detail}" if detail else ""))


def result(scan, name):
    attempt = scan.get(name) or {}
    return attempt.get("result") if attempt.get("status") == "COMPLETED" else None


def fmt(items):
    return ", ".join(sorted(items)) if items else "none"


def check_protocols(rep, scan, policy):
    accepted, tls12_suites, tls13_suites, key_groups = set(), set(), set(), set()
    for field, label in VERSIONS:
        res = result(scan, field)
        if res and res.get("is_tls_version_supported"):
            accepted.add(label)
            for suite in res.get("accepted_cipher_suites", []):
                name = suite["cipher_suite"]["name"]
                (tls13_suites if label == "TLSv1.3" else tls12_suites).add(name)
                key = suite.get("ephemeral_key") or {}
                key_groups.add(key.get("curve_name") or key.get("type_name") or "no ephemeral key")
    allowed = ALLOWED_VERSIONS[policy]
    rep.check("TLSv1.3" in accepted and accepted <= allowed, "protocol versions",
              f"accepted {fmt(accepted)}; allowed for {policy}: {fmt(allowed)}")
    legacy = accepted & {"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"}
    rep.check(not legacy, "SSL 2.0/3.0, TLS 1.0/1.1 refused", f"accepted {fmt(legacy)}" if legacy else "")
    extra13 = tls13_suites - TLS13_SUITES
    rep.check(not extra13, "TLS 1.3 cipher suites", f"accepted {fmt(tls13_suites)}")
    bad12 = {s for s in tls12_suites if not (s.startswith("TLS_ECDHE_")
             and ("_GCM_" in s or "_CHACHA20_POLY1305" in s))}
    if tls12_suites or policy == "intermediate":
        detail = f"not ECDHE+AEAD: {fmt(bad12)}" if bad12 else f"accepted {fmt(tls12_suites)}"
        rep.check(not bad12, "TLS 1.2 suites ECDHE + AEAD only", detail)
        if policy == "intermediate" and "TLSv1.2" not in accepted:
            rep.add("INFO", "TLS 1.2", "not offered although the intermediate policy allows it")
    else:
        rep.add("PASS", "TLS 1.2 suites ECDHE + AEAD only", "n/a: no TLS 1.2 suite accepted")
    rep.check(key_groups <= GROUPS, "handshake key exchange groups", f"seen {fmt(key_groups)}")
    return accepted


def check_groups(rep, scan):
    attempt = scan.get("elliptic_curves") or {}
    res = result(scan, "elliptic_curves")
    if attempt.get("status") == "NOT_SCHEDULED":
        rep.add("SKIP", "supported groups", "sslyze elliptic_curves scan not run")
    elif res is None:
        rep.add("FAIL", "supported groups", f"elliptic_curves scan {attempt.get('status')}")
    else:
        groups = {c["name"] for c in res.get("supported_curves") or []}
        rep.check(groups == GROUPS, "supported groups exactly X25519 + P-256", f"supported {fmt(groups)}")


def check_weaknesses(rep, scan, accepted):
    below13 = bool(accepted - {"TLSv1.3"})
    rep.check(not result(scan, "tls_compression")["supports_compression"], "no TLS compression (CRIME)")
    reneg = result(scan, "session_renegotiation")
    rep.check(not reneg["is_vulnerable_to_client_renegotiation_dos"]
              and not reneg.get("client_renegotiations_success_count"),
              "no client-initiated renegotiation",
              f"{reneg.get('client_renegotiations_success_count', 0)} renegotiations accepted")
    note = "" if below13 else "n/a under TLS 1.3 only"
    rep.check(reneg["supports_secure_renegotiation"], "no insecure renegotiation (RFC 5746)", note)
    rep.check(result(scan, "tls_fallback_scsv")["supports_fallback_scsv"], "TLS_FALLBACK_SCSV", note)
    rep.check(result(scan, "tls_extended_master_secret")["supports_ems_extension"],
              "Extended Master Secret", note)
    rep.check(not result(scan, "heartbleed")["is_vulnerable_to_heartbleed"], "not vulnerable to Heartbleed")
    rep.check(not result(scan, "openssl_ccs_injection")["is_vulnerable_to_ccs_injection"],
              "not vulnerable to CCS injection")
    robot = result(scan, "robot")["robot_result"]
    rep.check(not robot.startswith("VULNERABLE"), "not vulnerable to ROBOT", robot)
    early, status = result(scan, "tls_1_3_early_data"), (scan.get("tls_1_3_early_data") or {}).get("status")
    rep.add("INFO", "TLS 1.3 early data (0-RTT)", f"not determined (scan {status})" if early is None
            else "accepted" if early["supports_early_data"] else "refused")


def host_matches(host, san):
    try:
        return ipaddress.ip_address(host) in {ipaddress.ip_address(a) for a in san.get("ip_addresses", [])}
    except ValueError:
        pass
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in san.get("dns_names", [])):
        if name == host or (name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]):
            return True
    return False


def check_certificate(rep, scan, policy, host, ca_given, strict):
    """Returns (lifespan_days, publicly_trusted) for the sslyze verdict."""
    info = result(scan, "certificate_info")
    deps = info.get("certificate_deployments") or []
    if not deps:
        rep.add("FAIL", "server certificate", "none received")
        return None, False
    dep = deps[0]
    leaf = dep["received_certificate_chain"][0]
    key = leaf["public_key"]
    if key["algorithm"] == "ECPublicKey":
        ok, what = key.get("ec_curve_name") in CERT_CURVES, f"ECDSA {key.get('ec_curve_name')}"
    elif key["algorithm"] == "RSAPublicKey":
        ok, what = policy == "intermediate" and key["key_size"] >= 2048, f"RSA {key['key_size']}"
    else:
        ok, what = False, key["algorithm"]
    rep.check(ok, "certificate key type", what)
    sig = leaf["signature_algorithm_oid"]["name"]
    rep.check(sig in CERT_SIGS[policy], "certificate signature algorithm", sig)
    start = datetime.fromisoformat(leaf["not_valid_before"])
    end = datetime.fromisoformat(leaf["not_valid_after"])
    now = datetime.now(timezone.utc)
    rep.check(start <= now <= end, "certificate valid now", f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}")
    san = leaf.get("subject_alternative_name") or {}
    rep.check(host_matches(host, san), f"certificate SAN covers {host}",
              f"DNS {fmt(san.get('dns_names'))}; IP {fmt(san.get('ip_addresses'))}")
    stores = {p["trust_store"]["name"]: p for p in dep["path_validation_results"]}
    supplied = stores.pop("Supplied CA file", None)
    public_ok = sorted(n for n, p in stores.items() if p["was_validation_successful"])
    if supplied is not None:
        rep.check(supplied["was_validation_successful"], "chain validates against --ca",
                  supplied.get("validation_error") or "")
    elif not public_ok:
        rep.add("FAIL", "chain validation", "no --ca given and no public root store trusts the chain")
    rep.add("INFO", "public root stores",
            f"trusted by {fmt(public_ok)}" if public_ok else f"trusted by none ({PUBLIC_STORES_NOTE})")
    if dep.get("received_chain_contains_anchor_certificate"):
        rep.add("INFO", "chain sent by the server", "includes the root CA (harmless, RFC 8446 lets it be omitted)")
    rep.add("INFO", "OCSP stapling / Must-Staple / CT",
            f"stapled={dep.get('ocsp_response') is not None} must-staple={dep.get('leaf_certificate_has_must_staple_extension')}"
            f" SCTs={dep.get('leaf_certificate_signed_certificate_timestamps_count')}"
            " (out of scope: private CA, no OCSP responder, no CT logs)")
    days = (end - start).days
    limit = MAX_LIFESPAN_DAYS[policy]
    if days <= limit:
        rep.add("PASS", "certificate lifespan", f"{days} days (Mozilla {policy}: <= {limit})")
    elif strict or public_ok or not ca_given:
        rep.add("FAIL", "certificate lifespan", f"{days} days > {limit} (Mozilla {policy})")
    else:
        rep.add("WAIVED", "certificate lifespan", f"{days} days > {limit} (Mozilla {policy}); private CA: "
                "issuance policy, not server TLS config (--strict-cert makes this FAIL)")
    return days, bool(public_ok)


def sslyze_verdict(log_path):
    """(verdict, issues, profile name) from the 'Compliance against TLS configuration' part of sslyze's console output."""
    try:
        text = open(log_path, encoding="utf-8", errors="replace").read()
    except OSError as e:
        return f"unreadable log: {e}", {}, None
    part = re.split(r"COMPLIANCE AGAINST TLS CONFIGURATION", text, flags=re.I)
    if len(part) < 2:
        return "no compliance section in the sslyze output", {}, None
    verdict = re.search(r"^\s+\S+: (OK - Compliant|FAILED - Not compliant|ERROR - .*?)\.?$", part[1], re.M)
    issues = dict(re.findall(r"^\s+\* (\w+): (.*)$", part[1], re.M))
    config = re.search(r"against Mozilla's \"(\w+)\" configuration", part[1])
    return (verdict.group(1) if verdict else "no verdict line"), issues, (config.group(1) if config else None)


def check_sslyze_verdict(rep, log_path, policy, waive_lifespan):
    verdict, issues, config = sslyze_verdict(log_path)
    if config != policy or not verdict.startswith(("OK", "FAILED")):
        why = verdict if config in (policy, None) else f"sslyze checked against profile {config!r}"
        rep.add("FAIL", f"sslyze --mozilla_config={policy}", why)
        return
    if verdict == "OK - Compliant":
        rep.add("PASS", f"sslyze --mozilla_config={policy}", "compliant")
        return
    for key, text in sorted(issues.items()):
        waived = key == "maximum_certificate_lifespan" and waive_lifespan
        rep.add("WAIVED" if waived else "FAIL", f"sslyze --mozilla_config={policy}: {key}", text)
    if not issues:
        rep.add("FAIL", f"sslyze --mozilla_config={policy}", "not compliant, no issue listed")


def main():
    ap = argparse.ArgumentParser(description="Judge an sslyze JSON scan of tlschatd against the TLSChat TLS policy.")
    ap.add_argument("--json", required=True, help="sslyze --json_out file (one server)")
    ap.add_argument("--sslyze-log", required=True, help="sslyze console output, for its Mozilla verdict")
    ap.add_argument("--policy", choices=sorted(ALLOWED_VERSIONS), default="modern")
    ap.add_argument("--label", default="scan", help="name of this scan in the output")
    ap.add_argument("--ca-given", action="store_true", help="sslyze ran with --certinfo_ca_file")
    ap.add_argument("--strict-cert", action="store_true", help="no waiver for the certificate lifespan")
    ap.add_argument("--sslyze-exit", default="?", help="sslyze's exit status, shown for information only")
    args = ap.parse_args()
    try:
        with open(args.json, encoding="utf-8") as f:
            doc = json.load(f)
        servers = doc["server_scan_results"]
        if len(servers) != 1:
            raise ValueError(f"expected 1 scanned server, found {len(servers)}")
        server = servers[0]
    except (OSError, ValueError, KeyError) as e:
        print(f"{args.label}: ERROR reading {args.json}: {e}")
        return 2
    rep = Report()
    loc, net = server["server_location"], server["network_configuration"]
    target = f"{loc['hostname']}:{loc['port']} ({loc.get('ip_address')})"
    creds = net.get("tls_client_auth_credentials")
    conn = server.get("connectivity_result") or {}
    if creds:  # sslyze only probes the server's client-auth requirement when it has no certificate
        rep.add("INFO", "client certificate", f"sent {creds.get('certificate_chain_path')}")
    else:
        rep.add("INFO", "client certificate", f"none sent; server asks: {conn.get('client_auth_requirement', '?')}")
    rep.add("INFO", "sslyze exit status", f"{args.sslyze_exit} (not used for the verdict)")
    scan = server.get("scan_result") or {}
    missing = [n for n in NEEDED if (scan.get(n) or {}).get("status") != "COMPLETED"]
    if server.get("connectivity_status") != "COMPLETED" or missing:
        why = server.get("connectivity_error_trace") or f"incomplete: {', '.join(missing)}"
        rep.add("FAIL", "scan completed", str(why).strip().splitlines()[-1] if why else "")
        rep.print(f"{args.label}: {target}, policy {args.policy}")
        print(f"{args.label}: NOT COMPLIANT (scan incomplete)")
        return 2
    rep.add("PASS", "scan completed", f"sslyze {doc.get('sslyze_version', '?')}")
    accepted = check_protocols(rep, scan, args.policy)
    check_groups(rep, scan)
    check_weaknesses(rep, scan, accepted)
    host = net.get("tls_server_name_indication") or loc["hostname"]
    days, public = check_certificate(rep, scan, args.policy, host, args.ca_given, args.strict_cert)
    waive = days is not None and args.ca_given and not public and not args.strict_cert
    check_sslyze_verdict(rep, args.sslyze_log, args.policy, waive)
    rep.print(f"{args.label}: {target}, policy {args.policy}")
    print(f"{args.label}: {'NOT COMPLIANT' if rep.failed else 'COMPLIANT'} with the {args.policy} policy")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
