#!/usr/bin/env python3
# mkpbix.py DIR: write the tiny .pbix fixtures pbisim tests import.
#   plain.pbix   zip, DataModelSchema without roles or parameters
#   rls.pbix     zip, DataModelSchema with role "Region" and a required
#                Text parameter "Server" (current value "sql-a")
#   notzip.pbix  not a zip: the import must end Failed
# Entries are stored (not deflated): pbisim reads stored entries only.
import json, os, sys, zipfile

d = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(d, exist_ok=True)

def pbix(name, model):
    with zipfile.ZipFile(os.path.join(d, name), "w", zipfile.ZIP_STORED) as z:
        z.writestr("DataModelSchema", json.dumps({"model": model}))
        z.writestr("Report/Layout", json.dumps({"sections": []}))
        z.writestr("Version", "1.28")

pbix("plain.pbix", {"roles": [], "expressions": []})
pbix("rls.pbix", {
    "roles": [{"name": "Region"}],
    "expressions": [{
        "name": "Server", "kind": "m",
        "expression": "\"sql-a\" meta [IsParameterQuery=true, "
                      "Type=\"Text\", IsParameterQueryRequired=true]"}],
    "dataSources": [{"datasourceType": "Sql",
                     "connectionDetails": {"server": "sql-a",
                                           "database": "sales"}}]})
with open(os.path.join(d, "notzip.pbix"), "w") as f:
    f.write("this is not a power bi package\n")
