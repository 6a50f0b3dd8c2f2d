#!/usr/bin/python3
"""Reference parser for bench/csexport-compare.sh: lxml.etree.iterparse.

Extracts the same fields as adsync.ParseExportErrors from a csexport /f:e file
and prints the same count line and SHA-256 digest as bench/csexport-parse, so
the comparison checks both speed and agreement. Memory is kept bounded the
usual lxml way: clear each cs-object after use and delete the already
processed siblings from the root.

Usage: /usr/bin/python3 bench/lxml_iterparse.py FILE
"""
import hashlib
import sys
import time

from lxml import etree

META = ("first-occurred", "date-occurred", "retry-count", "error-type")
CD = ("error-code", "error-name", "error-literal", "server-error-detail", "extra-error-details")


def text(el):
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def extract(obj):
    ed = obj.find("export-errordetail")
    if ed is None:
        return None
    meta = {}
    # Attributes on export-errordetail, else on an export-error child (FIM
    # layout), else child elements: the same precedence as the Go parser.
    for src in [ed] + ed.findall("export-error"):
        for k in META:
            if k not in meta:
                v = src.get(k)
                if v is None:
                    c = src.find(k)
                    v = text(c) if c is not None else None
                if v is not None and v.strip():
                    meta[k] = v.strip()
    cd = ed.find(".//cd-error")
    cdv = {}
    if cd is not None:
        for k in CD:
            cdv[k] = text(cd.find(k))
    attrs = set()
    op = ""
    ue = obj.find("unapplied-export")
    if ue is not None:
        deltas = ue.findall("delta")
        if deltas:
            op = (deltas[0].get("operation") or "").strip()
        for d in deltas:
            for a in d:
                if a.tag in ("attr", "dn-attr"):
                    n = (a.get("name") or "").strip()
                    if n:
                        attrs.add(n)
    return "\x1f".join([
        obj.get("cs-dn") or "", obj.get("id") or "", obj.get("object-type") or "",
        meta.get("error-type", ""), cdv.get("error-code", ""), cdv.get("error-name", ""),
        cdv.get("error-literal", ""), cdv.get("server-error-detail", ""),
        cdv.get("extra-error-details", ""),
        meta.get("first-occurred", ""), meta.get("date-occurred", ""),
        meta.get("retry-count", ""), op, ",".join(sorted(attrs)),
    ]) + "\n"


def main():
    if len(sys.argv) != 2:
        print("usage: lxml_iterparse.py FILE", file=sys.stderr)
        return 2
    h = hashlib.sha256()
    objects = errors = 0
    start = time.monotonic()
    # resolve_entities/no_network: never expand or fetch anything, like Go.
    ctx = etree.iterparse(sys.argv[1], events=("end",), tag="cs-object",
                          resolve_entities=False, no_network=True, huge_tree=True)
    for _, obj in ctx:
        objects += 1
        line = extract(obj)
        if line is not None:
            errors += 1
            h.update(line.encode("utf-8"))
        obj.clear(keep_tail=True)
        parent = obj.getparent()
        while obj.getprevious() is not None:
            del parent[0]
    el = time.monotonic() - start
    print("objects=%d errors=%d seconds=%.3f digest=%s" % (objects, errors, el, h.hexdigest()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
