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
#
# mkpbix.py --zip64 FILE [SIZE [CORRUPT]]: a sparse ZIP64 package of
# SIZE bytes of model (default 4.5 GiB): its DataModel entry first,
# stored, its sizes in a ZIP64 extra field, the other entries after it
# at offsets over 4 GiB, a ZIP64 end of central directory record and
# its locator.  The data is a hole: the file takes a few KiB of disk.
# CORRUPT breaks one part: "record" (the ZIP64 record's signature),
# "locator" (its offset), "extra" (an entry's ZIP64 offset dropped),
# "count" (more entries than the directory holds).
import json, os, struct, sys, zipfile

def zip64(path, size, corrupt=""):
    names = [("DataModel", size), ("[Content_Types].xml", 0),
             ("Report/Layout", 0), ("Version", 0)]
    small = {"[Content_Types].xml": b"<Types/>",
             "Report/Layout": b'{"sections":["big"]}', "Version": b"1.28"}
    cd, offs = [], []
    with open(path, "wb") as f:
        for name, big in names:
            n = name.encode()
            data = small.get(name, b"")
            offs.append(f.tell())
            if big:
                extra = struct.pack("<HHQQ", 1, 16, big, big)
                f.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0,
                                    0, 0, 0, 0xffffffff, 0xffffffff,
                                    len(n), len(extra)) + n + extra)
                f.seek(big, 1)
            else:
                f.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0,
                                    0, 0, zipfile.crc32(data), len(data),
                                    len(data), len(n), 0) + n + data)
        cdoff = f.tell()
        for (name, big), off in zip(names, offs):
            n = name.encode()
            data = small.get(name, b"")
            vals = []
            usize = csize = len(data)
            if big:
                vals += [big, big]
                usize = csize = 0xffffffff
            loff = off
            if off >= 0xffffffff and corrupt != "extra":
                vals.append(off)
                loff = 0xffffffff
            elif off >= 0xffffffff:
                loff = 0xffffffff
            extra = struct.pack("<HH", 1, 8 * len(vals)) + \
                struct.pack("<%dQ" % len(vals), *vals) if vals else b""
            f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45,
                                0, 0, 0, 0,
                                zipfile.crc32(data) if not big else 0,
                                csize, usize, len(n), len(extra), 0, 0, 0,
                                0, loff) + n + extra)
        cdsize = f.tell() - cdoff
        count = len(names) + (1 if corrupt == "count" else 0)
        zoff = f.tell()
        f.write(struct.pack("<IQHHIIQQQQ",
                            0x06064b5f if corrupt == "record" else 0x06064b50,
                            44, 45, 45, 0, 0, count, count, cdsize, cdoff))
        f.write(struct.pack("<IIQI", 0x07064b50, 0,
                            zoff + 8 if corrupt == "locator" else zoff, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054b50, 0xffff, 0xffff, 0xffff,
                            0xffff, 0xffffffff, 0xffffffff, 0))

if len(sys.argv) > 2 and sys.argv[1] == "--zip64":
    zip64(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 9 << 29,
          sys.argv[4] if len(sys.argv) > 4 else "")
    sys.exit(0)

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
