#!/usr/bin/env python3
# mkpbix.py DIR: the .pbix packages pbictl's tests publish.  Each is an
# OPC zip as Power BI Desktop writes one ([Content_Types].xml, Version,
# Report/Layout, DataModelSchema), entries stored so pbisim can read the
# model.
#   sales.pbix      a report and a model without roles
#   sales-v2.pbix   the same report, another version
#   rls.pbix        a model with role "Region", a parameter "Server" and
#                   a SQL datasource behind a gateway
#   sales-db.pbix   the sales report, its model with parameters "Server"
#                   and "Database" (as pbictl-publish(1)'s example sets)
#   finance.pbix    another report
#   notpbix.pbix    a zip without the package parts
#   text.pbix       not a zip at all
import json, os, sys, zipfile

d = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(d, exist_ok=True)
TYPES = ('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://'
         'schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="json" ContentType="" /></Types>')

def pbix(name, model, layout):
    with zipfile.ZipFile(os.path.join(d, name), "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", TYPES)
        z.writestr("Version", "1.28")
        z.writestr("Report/Layout", json.dumps(layout))
        z.writestr("DataModelSchema", json.dumps({"model": model}))

pbix("sales.pbix", {"roles": [], "expressions": []}, {"sections": ["v1"]})
pbix("sales-v2.pbix", {"roles": [], "expressions": []}, {"sections": ["v2"]})
pbix("rls.pbix", {
    "roles": [{"name": "Region"}],
    "expressions": [{"name": "Server", "kind": "m",
                     "expression": "\"sql-a\" meta [IsParameterQuery=true, "
                                   "Type=\"Text\", IsParameterQueryRequired=true]"}],
     "dataSources": [{"datasourceType": "Sql",
                      "connectionDetails": {"server": "sql-a",
                                            "database": "sales"}}]},
    {"sections": ["rls"]})
def param(name, value):
    return {"name": name, "kind": "m",
            "expression": "\"%s\" meta [IsParameterQuery=true, "
                          "Type=\"Text\", IsParameterQueryRequired=true]" % value}

pbix("sales-db.pbix", {"roles": [], "expressions": [
    param("Server", "sql-a"), param("Database", "sales")]},
    {"sections": ["v1"]})
pbix("finance.pbix", {"roles": [], "expressions": []}, {"sections": ["f1"]})
with zipfile.ZipFile(os.path.join(d, "notpbix.pbix"), "w") as z:
    z.writestr("hello.txt", "not a report")
with open(os.path.join(d, "text.pbix"), "w") as f:
    f.write("this is not a power bi package\n")
