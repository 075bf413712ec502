"""/2/query/<resource>: field selection and Ganeti's query filter language.

Rows are lists of [status, value] pairs: status 0 normal, 1 unknown field, 3 unavailable (e.g. nic.ip/3
on a one-NIC instance). Besides the bulk fields, a few indexed and derived instance fields that
frontends use are served (disk.size/N, nic.ip/N, be/<param>, hv/<param>, admin_up, hypervisor, ...).
"""

import re

RS_NORMAL, RS_UNKNOWN, RS_UNAVAIL = 0, 1, 3
RESOURCES = ("instance", "node", "group", "network", "job")
_UNIT_FIELDS = {"mtotal", "mnode", "mfree", "dtotal", "dfree", "disk_usage", "oper_ram", "be/maxmem",
                "be/minmem", "be/memory"}
_TIMESTAMP_FIELDS = {"ctime", "mtime"}
_INDEXED = re.compile(r"^(disk\.size|disk\.name|disk\.uuid|nic\.ip|nic\.mac|nic\.mode|nic\.link|nic\.network"
                      r"|nic\.uuid|nic\.name)/(\d+)$")
_INDEXED_SOURCE = {"disk.size": "disk.sizes", "disk.name": "disk.names", "disk.uuid": "disk.uuids",
                   "nic.ip": "nic.ips", "nic.mac": "nic.macs", "nic.mode": "nic.modes", "nic.link": "nic.links",
                   "nic.network": "nic.networks", "nic.uuid": "nic.uuids", "nic.name": "nic.names"}


class QueryError(Exception):
    """A query the daemon refuses (Ganeti answers these with HTTP 500)."""


def instance_extra(view):
    """Derived instance fields that /2/query offers beyond the bulk fields."""
    extra = {"admin_up": view["admin_state"] == "up", "hypervisor": "kvm", "disk.count": len(view["disk.sizes"]),
             "nic.count": len(view["nic.macs"]), "console": None, "oper_state": view["oper_state"],
             "pnode.group": None, "snodes.group": None}
    extra.update({"be/" + k: v for k, v in view["beparams"].items()})
    extra.update({"hv/" + k: v for k, v in view["hvparams"].items()})
    return extra


def lookup(row, field):
    """(status, value) of field in a row dict."""
    if field in row:
        return RS_NORMAL, row[field]
    indexed = _INDEXED.match(field)
    if indexed:
        values = row.get(_INDEXED_SOURCE[indexed.group(1)], [])
        index = int(indexed.group(2))
        return (RS_NORMAL, values[index]) if index < len(values) else (RS_UNAVAIL, None)
    return RS_UNKNOWN, None


def known_field(rows_sample, field):
    return field in rows_sample or bool(_INDEXED.match(field))


def field_definition(name, value, known=True):
    if not known:
        kind = "unknown"
    elif name in _TIMESTAMP_FIELDS or name.endswith("_ts"):
        kind = "timestamp"
    elif name in _UNIT_FIELDS:
        kind = "unit"
    elif isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, (int, float)):
        kind = "number"
    elif isinstance(value, str):
        kind = "text"
    else:
        kind = "other"
    title = name if not known else name.replace("_", " ").replace(".", " ").title().replace(" ", "")
    return {"name": name, "title": title, "kind": kind, "doc": "" if known else "Unknown field '%s'" % name}


def matches(qfilter, row):
    """Evaluates a Ganeti query filter (nested lists, operator first) against a row dict."""
    if qfilter is None:
        return True
    if not isinstance(qfilter, list) or not qfilter:
        raise QueryError("Invalid filter: %r" % (qfilter,))
    op, args = qfilter[0], qfilter[1:]
    if op == "&":
        return all(matches(sub, row) for sub in args)
    if op == "|":
        return any(matches(sub, row) for sub in args)
    if op == "!":
        return not matches(args[0], row)
    field = args[0]
    status, value = lookup(row, field)
    if status == RS_UNKNOWN:
        raise QueryError("Unknown field '%s'" % field)
    if op == "?":
        return bool(value)
    if len(args) != 2:
        raise QueryError("Invalid filter operator %r with %d arguments" % (op, len(args)))
    operand = args[1]
    try:
        if op in ("==", "="):
            return value == operand
        if op == "!=":
            return value != operand
        if op == "<":
            return value is not None and value < operand
        if op == ">":
            return value is not None and value > operand
        if op == "<=":
            return value is not None and value <= operand
        if op == ">=":
            return value is not None and value >= operand
        if op == "=~":
            return isinstance(value, str) and re.search(operand, value) is not None
        if op == "=[]":
            return isinstance(value, list) and operand in value
    except TypeError as error:
        raise QueryError("Cannot compare field '%s': %s" % (field, error)) from error
    except re.error as error:
        raise QueryError("Invalid regular expression '%s': %s" % (operand, error)) from error
    raise QueryError("Unknown filter operator '%s'" % op)


def run_query(rows, fields, qfilter):
    """The /2/query answer for rows (dicts) and the requested field names."""
    sample = rows[0] if rows else {}
    selected = [row for row in rows if matches(qfilter, row)]
    definitions = []
    for name in fields:
        known = known_field(sample, name) if rows else True
        definitions.append(field_definition(name, lookup(sample, name)[1] if rows else None, known))
    data = [[list(lookup(row, name)) for name in fields] for row in selected]
    return {"fields": definitions, "data": data}


def all_field_definitions(rows, names=None):
    sample = rows[0] if rows else {}
    wanted = names if names is not None else sorted(sample)
    return {"fields": [field_definition(name, sample.get(name), name in sample or not rows) for name in wanted]}
