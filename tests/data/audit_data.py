#!/usr/bin/env python3
# audit_data.py: what the isolation audit's tests need.
#
#   audit_data.py pbix DIR SLUG...
#       DIR/SLUG/Sales.pbix for each customer: a report whose model
#       connects to the SQL database "sales" on server sql-SLUG, its own.
#
#   audit_data.py scale N DIR APPID SPID CAPACITY < DEMO-SEED
#       A tenant of N customers as pbictl would have onboarded them, and
#       the ledger to match, fast: DIR/seed.json (the demo seed from
#       stdin, with the app's service principal, N profiles, N workspaces
#       on CAPACITY with the profile as admin, a report and a dataset
#       each, last changed two days ago) and DIR/ledger.sql (rows for a
#       ledger made by pbictl init, published a day ago).  For the scale
#       test only: the rule tests make their tenants with pbictl.
import json, os, sys, time, uuid, zipfile

TYPES = ('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://'
         'schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="json" ContentType="" /></Types>')


def pbix(d, slugs):
    for s in slugs:
        os.makedirs(os.path.join(d, s), exist_ok=True)
        model = {"roles": [], "expressions": [],
                 "dataSources": [{"datasourceType": "Sql",
                                  "connectionDetails": {
                                      "server": "sql-" + s,
                                      "database": "sales"}}]}
        with zipfile.ZipFile(os.path.join(d, s, "Sales.pbix"), "w",
                             zipfile.ZIP_STORED) as z:
            z.writestr("[Content_Types].xml", TYPES)
            z.writestr("Version", "1.28")
            z.writestr("Report/Layout", json.dumps({"sections": [s]}))
            z.writestr("DataModelSchema", json.dumps({"model": model}))


def gid(kind, i):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "pbictl-audit/%s/%d" % (kind, i)))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def q(s):
    return "'" + s.replace("'", "''") + "'"


def scale(n, d, app, sp, cap):
    os.makedirs(d, exist_ok=True)
    seed = json.load(sys.stdin)
    now = time.time()
    changed, published = iso(now - 2 * 86400), iso(now - 86400)
    seed["servicePrincipals"] = [{"appId": app, "id": sp}]
    seed["profiles"] = []
    seed["workspaces"] = []
    sql = ["BEGIN;",
           "INSERT OR REPLACE INTO settings (key, value) VALUES "
           "('sp_object_id', %s);" % q(sp)]
    for i in range(1, n + 1):
        slug = "c%04d" % i
        name = "cust-" + slug
        prof, ws = gid("profile", i), gid("workspace", i)
        ds, rep, src = gid("dataset", i), gid("report", i), gid("source", i)
        target = "sql-%s/sales" % slug
        seed["profiles"].append({"id": prof, "displayName": name,
                                 "appId": app})
        seed["workspaces"].append({
            "id": ws, "name": name, "capacityId": cap, "modifiedAt": changed,
            "users": [{"identifier": sp, "principalType": "App",
                       "groupUserAccessRight": "Admin",
                       "profile": {"id": prof, "displayName": name}}],
            "datasets": [{"id": ds, "name": "Sales", "configuredBy": prof,
                          "gatewayDatasources": [{
                              "id": src, "gatewayId": gid("gateway", i),
                              "datasourceType": "Sql",
                              "connectionDetails": json.dumps({
                                  "server": "sql-" + slug,
                                  "database": "sales"})}]}],
            "reports": [{"id": rep, "name": "Sales", "datasetId": ds}]})
        sql += [
            "INSERT INTO customers (id, slug, display_name, status) VALUES "
            "(%d, %s, %s, 'active');" % (i, q(slug), q(slug)),
            "INSERT INTO profiles (id, customer_id, display_name) VALUES "
            "(%s, %d, %s);" % (q(prof), i, q(name)),
            "INSERT INTO workspaces (id, customer_id, name, profile_id, "
            "capacity_id) VALUES (%s, %d, %s, %s, %s);" % (
                q(ws), i, q(name), q(prof), q(cap)),
            "INSERT INTO reports (id, workspace_id, dataset_id, name, "
            "sha256, published_at) VALUES (%s, %s, %s, 'Sales', %s, %s);" % (
                q(rep), q(ws), q(ds), q("0" * 64), q(published)),
            "INSERT INTO datasets (id, workspace_id, recorded_at) VALUES "
            "(%s, %s, %s);" % (q(ds), q(ws), q(published)),
            "INSERT INTO datasources (dataset_id, datasource_type, server, "
            "database, target) VALUES (%s, 'Sql', %s, 'sales', %s);" % (
                q(ds), q("sql-" + slug), q(target))]
    sql.append("COMMIT;")
    with open(os.path.join(d, "seed.json"), "w") as f:
        json.dump(seed, f)
    with open(os.path.join(d, "ledger.sql"), "w") as f:
        f.write("\n".join(sql) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "pbix":
        pbix(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 7 and sys.argv[1] == "scale":
        scale(int(sys.argv[2]), *sys.argv[3:])
    else:
        sys.exit("usage: audit_data.py pbix DIR SLUG... | "
                 "scale N DIR APPID SPID CAPACITY < SEED")
