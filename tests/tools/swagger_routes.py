#!/usr/bin/env python3
"""swagger_routes.py: hold pbisim's Power BI and Workspace Collections
routes against the published swagger files.

  swagger_routes.py check SPECDIR ROUTES [SECTION]
      Every route of ROUTES (pbisim_routes.txt) is an operation of its
      swagger: same method, same path template (parameter names included),
      same operationId; query parameters it sends are declared there, every
      required query parameter is sent, and the top-level members of its
      JSON body are properties of the operation's body schema (and the
      schema's required properties are there).

  swagger_routes.py coverage ROUTES SIMSRC...
      Every literal path segment the routers of SIMSRC (sim/pbi_*.c,
      sim/collections.c) compare against appears in some route of ROUTES,
      so the list cannot silently fall behind the emulator.  SIMSRC
      without any such comparison is an error.

  swagger_routes.py walk SPECDIR ROUTES SECTION BASEURL IDS.json
      check, then call each route on a running pbisim with the ids of
      IDS.json substituted, and require it to be served: not a 404
      "NotFound" (no such route) nor a 405, and not refused for
      authentication (401/403: the walk's credentials are valid, so such an
      answer means the route was never really exercised) nor a 5xx.
      A 400/409, or a 404 PowerBIEntityNotFound, is a served route that
      refused the request: allowed, and said so.  Control routes (operation
      id starting with "!") are swagger operations pbisim does not
      implement and must answer 404 as an unknown route (never 405: the
      swagger defines their method), which shows the classifier can tell
      the two apart.  "?!" controls are known emulator bugs: reported
      with "# TODO", never failing the walk.
      Credentials come from the environment: SW_SP_TOKEN, SW_USER_TOKEN
      (Bearer) and SW_APPKEY (Workspace Collections AppKey).

Output is TAP: one "ok"/"not ok" line per route.  Exit 0 when all pass.
Only the Python 3 standard library is used.

ROUTES format: "[section] SPECFILE" starts a section; then one route a
line:  AUTH METHOD PATH OPERATION [BODY]
  AUTH       sp | user | appkey | none
  PATH       swagger template with optional query, e.g.
             /v1.0/myorg/groups/{groupId}/imports?datasetDisplayName=x.pbix
             "{name=key}" matches the swagger's {name} but takes its value
             from IDS[key] (default IDS[name]); query values may use {key}.
  OPERATION  the swagger operationId; "-" for a route pbisim serves that
             the swagger lacks (say why in a comment); "!Id" for a control;
             "?!Id" for a control pbisim is known to fail (it answers a
             route it does not implement): reported as TODO, not a failure.
  BODY       JSON with "{key}" placeholders, or @multipart:FILE (a file of
             IDS["pbixDir"]) for an upload.  Without BODY, a required body
             is taken from the operation's first x-ms-examples entry.
"#" starts a comment line; "#! ignore SEGMENT why" exempts a router
segment from coverage (a route outside these swaggers).
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def die(msg):
    print("swagger_routes.py: " + msg, file=sys.stderr)
    sys.exit(2)


class Route:
    def __init__(self, lineno, spec, auth, method, path, op, body):
        self.lineno = lineno
        self.spec = spec
        self.auth = auth
        self.method = method.upper()
        self.raw = path
        self.op = op
        self.body = body
        p, _, q = path.partition("?")
        # {name=key} -> name for matching, key for the value
        self.keys = {}
        for m in re.finditer(r"\{([^}=]+)(?:=([^}]+))?\}", p):
            self.keys[m.group(1)] = m.group(2) or m.group(1)
        self.template = re.sub(r"\{([^}=]+)=[^}]+\}", r"{\1}", p)
        self.query = urllib.parse.parse_qsl(q, keep_blank_values=True)

    def label(self):
        return "%s %s" % (self.method, self.template)


def load_routes(path):
    routes = []
    spec = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                m = re.match(r"\[(\w+)\]\s+(\S+)$", line)
                if not m:
                    die("%s:%d: bad section line" % (path, n))
                spec = (m.group(1), m.group(2))
                continue
            if spec is None:
                die("%s:%d: route before any [section]" % (path, n))
            parts = line.split(None, 4)
            if len(parts) < 4:
                die("%s:%d: want AUTH METHOD PATH OPERATION [BODY]" %
                    (path, n))
            auth, method, p, op = parts[:4]
            body = parts[4] if len(parts) > 4 else None
            if auth not in ("sp", "user", "appkey", "none"):
                die("%s:%d: unknown auth %r" % (path, n, auth))
            if method.lower() not in METHODS:
                die("%s:%d: unknown method %r" % (path, n, method))
            routes.append(Route(n, spec, auth, method, p, op, body))
    return routes


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.ops = {}       # (METHOD, template) -> operation
        self.by_id = {}     # operationId -> (METHOD, template)
        for p, item in self.doc.get("paths", {}).items():
            shared = item.get("parameters", [])
            for m, op in item.items():
                if m not in METHODS:
                    continue
                op = dict(op)
                op["_params"] = [self.param(x) for x in
                                 shared + op.get("parameters", [])]
                self.ops[(m.upper(), p)] = op
                if "operationId" in op:
                    self.by_id[op["operationId"]] = (m.upper(), p)

    def ref(self, r):
        node = self.doc
        for part in r.lstrip("#/").split("/"):
            node = node[part]
        return node

    def param(self, x):
        return self.ref(x["$ref"]) if "$ref" in x else x

    def props(self, schema, seen=None):
        """(properties, required) of a schema, following $ref and allOf."""
        seen = seen or set()
        if "$ref" in schema:
            if schema["$ref"] in seen:
                return {}, set()
            seen.add(schema["$ref"])
            return self.props(self.ref(schema["$ref"]), seen)
        props = dict(schema.get("properties", {}))
        req = set(schema.get("required", []))
        for sub in schema.get("allOf", []):
            p, r = self.props(sub, seen)
            props.update(p)
            req |= r
        return props, req

    def open_schema(self, schema):
        """True for a free-form object (additionalProperties, no props)."""
        if "$ref" in schema:
            schema = self.ref(schema["$ref"])
        return ("additionalProperties" in schema or
                (not schema.get("properties") and not schema.get("allOf")))


def norm(template):
    return re.sub(r"\{[^}]+\}", "{}", template)


def check_route(spec, r):
    """Problems of route r against spec (a list of strings), and the op."""
    errs = []
    if r.op == "-":
        if (r.method, r.template) in spec.ops:
            errs.append("marked as missing from the swagger, but it is "
                        "there as %s" %
                        spec.ops[(r.method, r.template)].get("operationId"))
        return errs, None
    op = spec.ops.get((r.method, r.template))
    if op is None:
        alt = [k for k in spec.ops if norm(k[1]) == norm(r.template)]
        same = [k for k in alt if k[0] == r.method]
        if same:
            errs.append("path parameter names differ from the swagger's "
                        "%s" % same[0][1])
        elif alt:
            errs.append("swagger has this path only with %s" %
                        ",".join(sorted(k[0] for k in alt)))
        elif r.op.lstrip("?!") in spec.by_id:
            errs.append("swagger has %s at %s %s" % (
                (r.op.lstrip("?!"),) + spec.by_id[r.op.lstrip("?!")]))
        else:
            errs.append("no such method and path in the swagger")
        return errs, None
    if op.get("operationId") != r.op.lstrip("?!"):
        errs.append("swagger names it %s, the list says %s" %
                    (op.get("operationId"), r.op))
    params = op["_params"]
    qnames = {x["name"] for x in params if x.get("in") == "query"}
    sent = {k for k, _ in r.query}
    for k in sorted(sent - qnames):
        errs.append("query parameter %s is not declared" % k)
    for x in params:
        if x.get("in") == "query" and x.get("required") and \
                x["name"] not in sent:
            errs.append("required query parameter %s is not sent" %
                        x["name"])
        if x.get("in") == "path" and x["name"] not in r.keys:
            errs.append("path parameter %s missing" % x["name"])
    bodyp = [x for x in params if x.get("in") in ("body", "formData")]
    if r.body and not bodyp:
        errs.append("sends a body, the swagger declares none")
    if r.body and bodyp and not r.body.startswith("@") and \
            bodyp[0].get("in") == "body":
        try:
            b = json.loads(r.body)
        except ValueError as e:
            errs.append("body is not JSON: %s" % e)
            return errs, op
        schema = bodyp[0].get("schema", {})
        if isinstance(b, dict) and not spec.open_schema(schema):
            props, req = spec.props(schema)
            for k in sorted(set(b) - set(props)):
                errs.append("body member %s is not in the swagger's %s" %
                            (k, schema.get("$ref", "schema")
                             .split("/")[-1]))
            for k in sorted((req & set(props)) - set(b)):
                errs.append("required body member %s is not sent" % k)
    return errs, op


def sections(routes, want):
    return [r for r in routes if want is None or r.spec[0] == want]


def cmd_check(specdir, routes_file, want=None):
    routes = sections(load_routes(routes_file), want)
    specs = {}
    bad = 0
    print("1..%d" % len(routes))
    for i, r in enumerate(routes, 1):
        sp = specs.setdefault(r.spec[1], Spec(os.path.join(specdir,
                                                           r.spec[1])))
        errs, _ = check_route(sp, r)
        name = "%s (%s)" % (r.label(), r.op)
        if errs:
            bad += 1
            print("not ok %d - %s: %s" % (i, name, "; ".join(errs)))
        else:
            print("ok %d - %s" % (i, name))
    return 1 if bad else 0


def cmd_coverage(routes_file, srcs):
    routes = load_routes(routes_file)
    ignored = set()
    with open(routes_file, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#!\s*ignore\s+(\S+)", line)
            if m:
                ignored.add(m.group(1))
    segs = set()
    for r in routes:
        if not r.op.lstrip("?").startswith("!"):
            segs.update(s for s in r.template.split("/") if s)
    lits = []
    pat = re.compile(r'strcmp\(\s*(?:r->seg\[[^\]]+\]|op|s2|s4)\s*,\s*'
                     r'"([^"]+)"\s*\)')
    for src in srcs:
        with open(src, encoding="utf-8") as f:
            for m in pat.finditer(f.read()):
                if m.group(1) not in lits:
                    lits.append(m.group(1))
    if not lits:
        die("no router path segments found in %s" % " ".join(srcs))
    print("1..%d" % len(lits))
    bad = 0
    for i, s in enumerate(lits, 1):
        if s in segs:
            print("ok %d - segment %s is in the route list" % (i, s))
        elif s in ignored:
            print("ok %d - segment %s # skip: ignored by the route list" %
                  (i, s))
        else:
            bad += 1
            print("not ok %d - the router matches segment %s, but no "
                  "route of the list uses it" % (i, s))
    return 1 if bad else 0


def subst(text, keys, ids, where):
    def one(m):
        k = keys.get(m.group(1), m.group(1))
        if k not in ids:
            raise KeyError("%s: no id %r" % (where, k))
        return str(ids[k])
    return re.sub(r"\{([A-Za-z_]\w*)(?:=\w+)?\}", one, text)


def multipart(path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"%s\"\r\nContent-Type: application/octet-stream"
             "\r\n\r\n") % (boundary, os.path.basename(path))).encode() + \
        data + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def example_body(op):
    bp = [x for x in op["_params"] if x.get("in") == "body"]
    if not bp:
        return None
    for ex in op.get("x-ms-examples", {}).values():
        v = ex.get("parameters", {}).get(bp[0]["name"])
        if v is not None:
            return json.dumps(v)
    return None


def classify(status, body):
    """(served, note) for an answer."""
    code = ""
    try:
        j = json.loads(body) if body else None
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            code = j["error"].get("code", "")
    except ValueError:
        pass
    if status == 0:
        return False, "no answer"
    if status == 405:
        return False, "405 method not allowed"
    if status == 404 and code != "PowerBIEntityNotFound":
        return False, "404 %s (no such route)" % (code or "without a code")
    if status in (401, 403):
        return False, "%d %s (refused the credentials)" % (status, code)
    if status >= 500:
        return False, "%d %s" % (status, code)
    if status >= 300:
        return True, "%d %s (served; refused this request)" % (status, code)
    return True, "%d" % status


def call(base, r, ids, spec_op):
    path = subst(r.template, r.keys, ids, r.label())
    if r.query:
        path += "?" + urllib.parse.urlencode(
            [(k, subst(v, {}, ids, r.label())) for k, v in r.query],
            safe="$(),'")
    headers = {}
    if r.auth == "sp":
        headers["Authorization"] = "Bearer " + os.environ["SW_SP_TOKEN"]
    elif r.auth == "user":
        headers["Authorization"] = "Bearer " + os.environ["SW_USER_TOKEN"]
    elif r.auth == "appkey":
        headers["Authorization"] = "AppKey " + os.environ["SW_APPKEY"]
    data = None
    note = ""
    body = r.body
    if body is None and spec_op is not None:
        req = [x for x in spec_op["_params"]
               if x.get("in") == "body" and x.get("required")]
        if req:
            body = example_body(spec_op)
            note = " [body from x-ms-examples]"
    if body and body.startswith("@multipart:"):
        data, ct = multipart(os.path.join(ids["pbixDir"],
                                          body[len("@multipart:"):]))
        headers["Content-Type"] = ct
    elif body:
        data = subst(body, {}, ids, r.label()).encode()
        headers["Content-Type"] = "application/json"
    elif r.method in ("POST", "PUT", "PATCH"):
        data = b""
    req = urllib.request.Request(base + path, data=data, headers=headers,
                                 method=r.method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", "replace"), \
                path, note
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), path, note
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e), path, note


def cmd_walk(specdir, routes_file, want, base, ids_file):
    routes = sections(load_routes(routes_file), want)
    with open(ids_file, encoding="utf-8") as f:
        ids = json.load(f)
    specs = {}
    bad = 0
    refused = []
    print("1..%d" % len(routes))
    for i, r in enumerate(routes, 1):
        sp = specs.setdefault(r.spec[1], Spec(os.path.join(specdir,
                                                           r.spec[1])))
        errs, op = check_route(sp, r)
        name = "%s (%s)" % (r.label(), r.op)
        try:
            status, body, path, note = call(base, r, ids, op)
        except KeyError as e:
            errs.append(str(e))
            status, body, path, note = 0, "", r.raw, ""
        served, what = classify(status, body)
        control = r.op.lstrip("?").startswith("!")
        todo = r.op.startswith("?")
        if control:
            ok = not served and status == 404
            what += " [control: must answer 404, not be served]"
        else:
            ok = served
        ok = ok and not errs
        if todo and not errs:
            what += (" # TODO known pbisim bug: it serves this unimplemented "
                     "route" if not ok else
                     " # TODO fixed: drop the \"?\" in the route list")
            if not ok:
                print("not ok %d - %s: %s" % (i, name, what))
                print("#   %s %s -> %s" % (r.method, path,
                                           body.strip()[:200]))
                continue
        if served and status >= 300 and not control:
            refused.append("%s -> %s %s" % (name, what,
                                            body.strip()[:160]))
        line = "%s %d - %s: %s%s" % ("ok" if ok else "not ok", i, name,
                                     what, note)
        if errs:
            line += "; " + "; ".join(errs)
        print(line)
        if not ok:
            bad += 1
            print("#   %s %s -> %s" % (r.method, path, body.strip()[:300]))
    for x in refused:
        print("# served but refused: " + x)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "check":
        return cmd_check(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
    if len(argv) >= 3 and argv[0] == "coverage":
        return cmd_coverage(argv[1], argv[2:])
    if len(argv) == 6 and argv[0] == "walk":
        return cmd_walk(*argv[1:])
    print("usage: swagger_routes.py check SPECDIR ROUTES [SECTION]\n"
          "       swagger_routes.py coverage ROUTES SIMSRC...\n"
          "       swagger_routes.py walk SPECDIR ROUTES SECTION BASEURL "
          "IDS.json", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
