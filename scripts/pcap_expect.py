"""pcap-check's second section: the HTTP fields other tools expect, against feedwatch's.

Two sources of expectations, each written next to the captures by the project
that made them:

  suricata-verify  the test.yaml beside the capture: each `checks:` filter
          whose `match:` has `event_type: http` and `count:` N >= 1 stands for
          N HTTP transactions with the fields it names. Compared: http.http_method
          (method), http.hostname (host), http.url (uri: the request target as
          sent), http.status (status), http.length (length). src_ip/src_port
          are the client, dest_ip/dest_port the server (any of them given
          narrows the pairing).
  zeek    baselines/<test>/http.log of the zeek-http corpus (a zeek TSV log,
          `#fields` header or the plain header zeek-cut writes), on the trace
          BASELINE_TRACE_MAP.tsv names. One row = one transaction: method,
          host, uri, status_code (status), response_body_len (length);
          id.orig_h/p is the client, id.resp_h/p the server, uid the
          connection and trans_depth the order in it. "-" (unset) is not an
          expectation; "(empty)" is the empty string. Two tests on one trace
          give one transaction per (uid, trans_depth).

How the fields compare (what each tool means by them):

  method  equal as sent (RFC 9110 section 9.1: case-sensitive).
  host    zeek: equal to the Host field as sent (port included). Suricata
          (libhtp) logs the host name lower-cased and without the port: the
          feedwatch host is compared after the same normalisation.
  uri     suricata: equal as sent. zeek logs the target percent-decoded
          (http-filename.pcap: "%20" logged as a space): the feedwatch target
          is decoded the same way (zeek_unescape) first. Feedwatch keeps at
          most HTTP_MAX_URL bytes of a target, so a feedwatch target of at
          least URI_TRUNC_MIN bytes that the expected one starts with agrees
          (counted as "uri truncated").
  status  equal.
  length  zeek's response_body_len counts the body after de-chunking and
          content decoding (x-gzip.pcap: 19 decoded bytes of a 39-byte coded
          body; missing-zlib-header.pcap: 13249 of 5139), like feedwatch's
          body_bytes: compared, capped at MAX_BODY like feedwatch. Suricata's
          http.length is libhtp's response_message_len, the bytes before
          content decoding (decode-teredo-01: 3651 = the gzip Content-Length,
          the body is 11845): compared only when tshark saw no
          Content-Encoding on the response at that position; otherwise left
          out of that transaction (counted as "length not comparable").

Left out (counted per reason, listed with -v), because feedwatch reports
something else by design or the expectation names no transaction:

  - suricata filters with count: 0 (no such event), with `requires:
    lt-version` (the shape of an older Suricata's output), or naming none of
    the five fields (existence only, or fields feedwatch does not report such
    as http.protocol, http_user_agent, headers);
  - a filter whose match is contained in another's (same keys and values
    plus more) counts only the events beyond the stricter filter's;
  - event types other than http (alert, fileinfo: their http.* repeat the
    transaction's http event, or, for HTTP Evader, name only GET and the
    host on 502 captures judged by the EICAR file in the first section);
  - zeek rows without a status (a request zeek saw no response to: feedwatch
    lists responses only), with status 0 (zeek read an HTTP/0.9 response, no
    status line: feedwatch reports responses with a status line), 1xx
    responses (feedwatch reports final responses only and stops reading after
    101, as in the tshark section), and 2xx answers to CONNECT (a tunnel:
    feedwatch does not report them, as in the tshark section); a suricata
    CONNECT transaction with a 2xx status, or without status in a capture
    where tshark sees a CONNECT answered 2xx, likewise;
  - a suricata transaction that names no status, finds no feedwatch response
    and matches (endpoints, method, target) a request tshark sees no response
    to: Suricata logs unanswered requests as http events too (bug-814,
    http-async-cli: the captures hold no response), feedwatch lists responses
    only. One with a status, or with a response tshark sees, stays compared.

Pairing: a zeek transaction with its connection is paired with the feedwatch
responses of that connection (server and client endpoints) keeping the order
of both (the alignment that agrees best: a response missing in feedwatch
costs only its own transaction). Other expectations are paired within the
capture with distinct feedwatch responses that satisfy their endpoint
constraints: first those that agree on every field, then the best partial
match (most fields agreeing, earliest). A transaction agrees when it is paired
and every expected field agrees.
"""

import collections
import glob
import ipaddress
import os

FIELDS = ("method", "host", "uri", "status", "length")
SURICATA = "suricata-verify"
ZEEK = "zeek"
SOURCES = (SURICATA, ZEEK)
URI_TRUNC_MIN = 256  # feedwatch keeps targets of up to HTTP_MAX_URL (512) bytes, less when
#                      pipelined requests share the flow's URL pool (HTTP_URL_POOL, 1024)
SURICATA_FIELDS = {"http.http_method": "method", "http.hostname": "host", "http.url": "uri",
                   "http.status": "status", "http.length": "length"}

try:
    import yaml
except ImportError:  # python3-yaml (scripts/setup installs it)
    yaml = None


class Expect:
    """One expected HTTP transaction."""

    def __init__(self, source, label, fields, conn=None, group=None, order=0):
        self.source = source
        self.label = label
        self.fields = fields  # field -> expected value (a subset of FIELDS)
        self.conn = conn or {}  # any of cip, cport, sip, sport (normalised)
        self.group = group  # zeek uid
        self.order = order  # zeek trans_depth
        self.connect_2xx_maybe = False  # suricata CONNECT without status
        # filled by compare_capture()
        self.seen = None  # the paired feedwatch response (dict) or None
        self.bad = []  # fields that disagree
        self.notes = []  # "uri truncated", "length not comparable"

    def full_conn(self):
        return all(k in self.conn for k in ("cip", "cport", "sip", "sport"))

    def describe(self):
        return " ".join("%s=%s" % (f, short(self.fields[f])) for f in FIELDS if f in self.fields)


def short(v, n=60):
    s = repr(v) if isinstance(v, str) and (v == "" or " " in v) else str(v)
    return s if len(s) <= n else s[:n] + "...(%d)" % len(s)


def norm_ip(s):
    try:
        return ipaddress.ip_address(str(s).strip("[]")).compressed
    except ValueError:
        return str(s)


def split_endpoint(s):
    """(address, port) of a feedwatch "addr:port" or "[addr]:port"."""
    if s.startswith("["):
        addr, _, port = s[1:].rpartition("]:")
    else:
        addr, _, port = s.rpartition(":")
    try:
        return norm_ip(addr), int(port)
    except ValueError:
        return norm_ip(addr), None


# ---------------------------------------------------------------------------
# suricata-verify test.yaml


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        k = prefix + str(k)
        if isinstance(v, dict):
            out.update(flatten(v, k + "."))
        else:
            out[k] = v
    return out


def suricata_load(capture):
    """([Expect], [(label, reason, n)]) from the test.yaml beside <capture>; ([], []) when
    there is none or it names another capture; None when python3-yaml is missing."""
    path = os.path.join(os.path.dirname(capture), "test.yaml")
    if not os.path.exists(path):
        return [], []
    if yaml is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        return [], [("test.yaml", "unreadable: %s" % e, 1)]
    if not isinstance(doc, dict):
        return [], []
    if doc.get("pcap") and doc["pcap"] != os.path.basename(capture):
        return [], []
    filters = []
    left = []
    for i, check in enumerate(doc.get("checks") or []):
        flt = check.get("filter") if isinstance(check, dict) else None
        if not isinstance(flt, dict):
            continue
        match = flatten(flt.get("match") or {})
        if match.get("event_type") != "http":
            continue
        label = "check #%d" % (i + 1)
        count = flt.get("count", 1)
        req = flt.get("requires") or {}
        if isinstance(req, dict) and "lt-version" in req:
            left.append((label, "requires lt-version (an older Suricata's output)", 1))
            continue
        if not isinstance(count, int) or count <= 0:
            left.append((label, "count: %s (no such event expected)" % count, 1))
            continue
        fields = {}
        for k, f in SURICATA_FIELDS.items():
            if k in match:
                v = match[k]
                fields[f] = int(v) if f in ("status", "length") else str(v)
        if not fields:
            left.append((label, "names none of method/host/uri/status/length", count))
            continue
        if 100 <= fields.get("status", 0) < 200:
            left.append((label, "1xx response (feedwatch reports final responses)", count))
            continue
        if fields.get("method") == "CONNECT" and 200 <= fields.get("status", 0) < 300:
            left.append((label, "CONNECT 2xx (a tunnel: not reported)", count))
            continue
        conn = {}
        if "src_ip" in match:
            conn["cip"] = norm_ip(match["src_ip"])
        if "src_port" in match:
            conn["cport"] = int(match["src_port"])
        if "dest_ip" in match:
            conn["sip"] = norm_ip(match["dest_ip"])
        if "dest_port" in match:
            conn["sport"] = int(match["dest_port"])
        filters.append([label, match, fields, conn, count])
    # A filter whose match another filter's contains also counts that filter's events.
    for a in filters:
        for b in filters:
            if a is not b and len(b[1]) > len(a[1]) and \
                    all(k in b[1] and b[1][k] == v for k, v in a[1].items()):
                a[4] -= b[4]
    out = []
    for label, match, fields, conn, count in filters:
        if count <= 0:
            left.append((label, "contained in a stricter check", 1))
            continue
        for j in range(count):
            e = Expect(SURICATA, label + ("" if count == 1 else " (%d/%d)" % (j + 1, count)),
                       dict(fields), dict(conn))
            e.connect_2xx_maybe = fields.get("method") == "CONNECT" and "status" not in fields
            out.append(e)
    return out, left


# ---------------------------------------------------------------------------
# zeek http.log baselines


ZEEK_NAMES = {"method": "method", "host": "host", "uri": "uri", "status_code": "status",
              "response_body_len": "length"}


def zeek_rows(path):
    """The rows of a zeek TSV log (with #fields, or zeek-cut's plain header) as dicts."""
    names = None
    unset, empty = "-", "(empty)"
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                parts = line.split("\t")
                if parts[0] == "#fields":
                    names = parts[1:]
                elif parts[0] == "#unset_field" and len(parts) > 1:
                    unset = parts[1]
                elif parts[0] == "#empty_field" and len(parts) > 1:
                    empty = parts[1]
                continue
            if not line:
                continue
            parts = line.split("\t")
            if names is None:
                names = parts  # zeek-cut's header line
                continue
            row = {}
            for n, v in zip(names, parts):
                if v == unset:
                    continue
                row[n] = "" if v == empty else v
            rows.append(row)
    return rows


def zeek_load(corpus):
    """{capture path: ([Expect], [(label, reason, n)])} for the zeek-http folder <corpus>."""
    out = {}
    tmap = os.path.join(corpus, "BASELINE_TRACE_MAP.tsv")
    if not os.path.exists(tmap):
        return out
    seen = {}  # (trace, uid, depth) -> Expect, across tests on one trace
    with open(tmap, encoding="utf-8") as f:
        pairs = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    for parts in pairs:
        if len(parts) < 2:
            continue
        test, trace = parts[0], parts[1]
        log = os.path.join(corpus, "baselines", test, "http.log")
        cap = os.path.normpath(os.path.join(corpus, "Traces", trace))
        if not os.path.exists(log):
            continue
        exp, left = out.setdefault(cap, ([], []))
        name = test.rsplit(".", 1)[-1] if test.startswith("scripts.base.protocols.http.") \
            else test
        for n, row in enumerate(zeek_rows(log)):
            uid = row.get("uid", "row%d" % n)
            depth = int(row.get("trans_depth", n + 1))
            key = (cap, uid, depth)
            label = "%s %s #%d" % (name, uid, depth)
            fields = {}
            for zn, fn in ZEEK_NAMES.items():
                if zn in row:
                    fields[fn] = int(row[zn]) if fn in ("status", "length") else row[zn]
            if key in seen:
                for k, v in fields.items():
                    seen[key].fields.setdefault(k, v)
                continue
            status = fields.get("status")
            reason = None
            if status is None:
                reason = "no response in zeek's log (feedwatch lists responses)"
            elif status == 0:
                reason = "zeek status 0: HTTP/0.9 response, no status line"
            elif 100 <= status < 200:
                reason = "1xx response (feedwatch reports final responses)"
            elif fields.get("method") == "CONNECT" and 200 <= status < 300:
                reason = "CONNECT 2xx (a tunnel: not reported)"
            if reason is not None:
                seen[key] = Expect(ZEEK, label, fields)  # merged, never compared
                left.append((label, reason, 1))
                continue
            conn = {}
            if "id.orig_h" in row:
                conn["cip"] = norm_ip(row["id.orig_h"])
            if "id.orig_p" in row:
                conn["cport"] = int(row["id.orig_p"])
            if "id.resp_h" in row:
                conn["sip"] = norm_ip(row["id.resp_h"])
            if "id.resp_p" in row:
                conn["sport"] = int(row["id.resp_p"])
            e = Expect(ZEEK, label, fields, conn, uid, depth)
            seen[key] = e
            exp.append(e)
    for exp, _ in out.values():
        exp.sort(key=lambda e: (e.group or "", e.order))
    return out


# ---------------------------------------------------------------------------
# comparison


HEX = "0123456789abcdefABCDEF"


def zeek_unescape(u):
    """The target as zeek logs it: percent-decoded by its unescape_URI() (%XX and %uXXXX
    decoded, the first of "%%" dropped, any other "%" kept), bytes outside printable ASCII
    then written as \\xNN like zeek's log writer."""
    b = u.encode("utf-8", "surrogateescape")
    out = bytearray()
    i, n = 0, len(b)
    while i < n:
        c = b[i]
        if c != 0x25:  # "%"
            out.append(c)
            i += 1
            continue
        rest = b[i + 1:i + 6].decode("latin-1")
        if i + 1 >= n:
            out.append(c)
            i += 1
        elif i + 2 >= n:
            out += b[i:i + 2]
            i += 2
        elif rest[0] == "%":
            i += 1  # the first "%" of "%%" is dropped
        elif rest[0] in HEX and rest[1] in HEX:
            out.append(int(rest[:2], 16))
            i += 3
        elif len(rest) == 5 and rest[0] == "u" and all(x in HEX for x in rest[1:]):
            if rest[1:3] != "00":
                out.append(int(rest[1:3], 16))
            out.append(int(rest[3:5], 16))
            i += 6
        else:
            out += b[i:i + 2]
            i += 2
    return "".join(chr(x) if 0x20 <= x < 0x7f and x != 0x5c else "\\x%02x" % x for x in out)


def host_norm(h):
    """libhtp's hostname: lower-cased, without the port."""
    h = h.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[:end + 1] if end > 0 else h
    if h.count(":") == 1:
        name, _, port = h.partition(":")
        if port.isdigit() or port == "":
            return name
    return h


def field_agrees(e, f, r, max_body):
    """(agrees, note) for expected field <f> of <e> against feedwatch response <r>; agrees
    None when the field cannot be compared on this response."""
    want = e.fields[f]
    if f == "method":
        return r["method"] == want, None
    if f == "host":
        if e.source == SURICATA:
            return host_norm(r["host"]) == want.lower(), None
        return r["host"] == want, None
    if f == "uri":
        got = r["uri"]
        if e.source == ZEEK:
            got = zeek_unescape(got)
        if got == want:
            return True, None
        if len(got) >= URI_TRUNC_MIN and len(want) > len(got) and want.startswith(got):
            return True, "uri truncated"
        return False, None
    if f == "status":
        return r["status"] == want, None
    if f == "length":
        if e.source == SURICATA and r.get("coded"):
            return None, "length not comparable (Content-Encoding %s)" % r["coded"]
        return r["body"] == min(want, max_body), None
    return False, None


def score(e, r, max_body):
    n = 0
    for f in e.fields:
        ok, _ = field_agrees(e, f, r, max_body)
        n += ok is not False
    return n


def eligible(e, r):
    c = e.conn
    return (c.get("cip", r["cip"]) == r["cip"] and c.get("cport", r["cport"]) == r["cport"] and
            c.get("sip", r["sip"]) == r["sip"] and c.get("sport", r["sport"]) == r["sport"])


def align(exps, rsps, max_body):
    """Order-preserving pairs (i, j) of exps and rsps maximising the agreement."""
    n, m = len(exps), len(rsps)
    w = [[score(e, r, max_body) * 8 + 1 for r in rsps] for e in exps]
    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            dp[i][j] = max(dp[i + 1][j], dp[i][j + 1], dp[i + 1][j + 1] + w[i][j])
    pairs = []
    i = j = 0
    while i < n and j < m:
        if dp[i][j] == dp[i + 1][j + 1] + w[i][j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif dp[i][j] == dp[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def compare_capture(exps, fw, connect_2xx, max_body, unanswered=()):
    """Pairs each Expect of <exps> with a feedwatch response of <fw> (dicts: cip, cport, sip,
    sport, method, host, uri, status, body, complete, coded) and fills seen, bad and notes.
    <unanswered>: the requests tshark saw no response to (dicts: cip, cport, sip, sport,
    method, uri as its first 120 bytes). Returns (compared Expects, [(label, reason, n)] left
    out here)."""
    left = []
    todo = []
    for e in exps:
        if e.connect_2xx_maybe and connect_2xx:
            left.append((e.label, "CONNECT answered 2xx in tshark (a tunnel: not reported)", 1))
        else:
            todo.append(e)
    used = set()
    # zeek rows with their connection: ordered, per connection
    by_conn = collections.OrderedDict()
    rest = []
    for e in todo:
        if e.source == ZEEK and e.full_conn():
            key = (e.conn["cip"], e.conn["cport"], e.conn["sip"], e.conn["sport"])
            by_conn.setdefault(key, []).append(e)
        else:
            rest.append(e)
    for key, es in by_conn.items():
        idx = [j for j, r in enumerate(fw) if (r["cip"], r["cport"], r["sip"], r["sport"]) == key]
        for i, j in align(es, [fw[j] for j in idx], max_body):
            es[i].seen = fw[idx[j]]
            used.add(idx[j])
    # the others: full agreement first, then the best partial match
    rest.sort(key=lambda e: -len(e.fields))
    for full in (True, False):
        for e in rest:
            if e.seen is not None:
                continue
            best = None
            for j, r in enumerate(fw):
                if j in used or not eligible(e, r):
                    continue
                s = score(e, r, max_body)
                if full and s < len(e.fields):
                    continue
                if best is None or s > best[0]:
                    best = (s, j)
            if best is not None:
                e.seen = fw[best[1]]
                used.add(best[1])
    # A suricata transaction that names no status and found no response may be a request
    # that was never answered: Suricata logs those too, feedwatch lists responses only.
    spare = list(unanswered)
    kept = []
    for e in todo:
        if e.seen is None and e.source == SURICATA and "status" not in e.fields:
            q = next((q for q in spare if eligible(e, q) and
                      e.fields.get("method", q["method"]) == q["method"] and
                      e.fields.get("uri", q["uri"]).startswith(q["uri"])), None)
            if q is not None:
                spare.remove(q)
                left.append((e.label, "a request tshark sees unanswered (feedwatch lists "
                             "responses)", 1))
                continue
        kept.append(e)
    todo = kept
    for e in todo:
        e.bad, e.notes = [], []
        if e.seen is None:
            continue
        for f in FIELDS:
            if f not in e.fields:
                continue
            ok, note = field_agrees(e, f, e.seen, max_body)
            if note:
                e.notes.append(note)
            if ok is False:
                e.bad.append(f)
    return todo, left


def agrees(e):
    return e.seen is not None and not e.bad


def seen_text(r):
    if r is None:
        return "no response"
    return "%s %s %s %d/%d%s" % (r["method"] or "-", short(r["host"]) if r["host"] else "-",
                                 short(r["uri"]) if r["uri"] else "-", r["status"], r["body"],
                                 "" if r["complete"] else "/incomplete")


def diff_line(e):
    what = "no response" if e.seen is None else "differs: " + ",".join(e.bad)
    return "[%s] %s: expected %s; feedwatch %s (%s)%s" % (
        e.source, e.label, e.describe(), seen_text(e.seen), what,
        "  [" + "; ".join(e.notes) + "]" if e.notes else "")


def summary(results, source, verbose):
    """Lines of per-source figures over results (objects with .expects, .exp_left,
    .kind). Returns (lines, agree, total)."""
    total = agree = missing = caps = skipped = 0
    bad = collections.Counter()
    notes = collections.Counter()
    left = collections.Counter()
    for r in results:
        es = [e for e in r.expects if source is None or e.source == source]
        ls = [l for l in r.exp_left if source is None or l[0] == source]
        for _, _, reason, n in ls:
            left[reason] += n
        if not es:
            continue
        if r.kind == "linktype":
            skipped += len(es)
            continue
        caps += 1
        total += len(es)
        for e in es:
            agree += agrees(e)
            if e.seen is None:
                missing += 1
            for f in e.bad:
                bad[f] += 1
            for n in e.notes:
                notes[n.split(" (")[0]] += 1
    lines = ["%-35s %4d captures: %d/%d transactions agree (%.1f%%); disagreeing fields: %s; "
             "no feedwatch response: %d; %d in link-type skipped captures" %
             (source or "overall", caps, agree, total, 100.0 * agree / total if total else 100.0,
              ", ".join("%s %d" % (f, bad[f]) for f in FIELDS) or "-", missing, skipped)]
    if notes:
        lines.append("%-35s notes: %s" % ("", ", ".join("%s %d" % kv for kv in
                                                     sorted(notes.items()))))
    if left:
        lines.append("%-35s left out: %s" % ("", "; ".join(
            "%s: %d" % (k, v) for k, v in sorted(left.items(), key=lambda kv: -kv[1]))))
    return lines, agree, total
