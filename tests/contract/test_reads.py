"""What the app reads from RAPI: the shape of every resource, through our client, on both backends."""

import ipaddress
import numbers

import pytest

from ganeti.rapi.client import GanetiApiError
from ganeti.rapi.objects import INSTANCE_COLUMNS, instance_values_from_bulk
from tests.contract.backends import OWNER_TAG, SUITE_TAG, run_job, succeeded, unique_name

NODE_ROLE_WORDS = {"master", "master-candidate", "regular", "drained", "offline"}
INSTANCE_STATUSES = {"running", "ADMIN_down", "ADMIN_offline", "ERROR_up", "ERROR_down", "ERROR_nodedown",
                     "ERROR_nodeoffline", "ERROR_wrongnode", "USER_down"}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def test_version_is_2(rapi):
    assert rapi.client.version() == 2


def test_features_announce_the_request_formats_the_client_sends(rapi):
    features = rapi.client.get_features()
    assert {"instance-create-reqv1", "instance-reinstall-reqv1"} <= set(features)


def test_cluster_info_has_what_the_banner_and_create_form_read(rapi):
    info = rapi.client.get_info()
    assert isinstance(info["name"], str) and info["name"]
    assert isinstance(info["software_version"], str) and info["software_version"].split(".")[0].isdigit()
    assert info["master"] in {node["name"] for node in rapi.client.get_nodes()}
    assert info["default_hypervisor"] in info["enabled_hypervisors"]
    assert isinstance(info["enabled_disk_templates"], list) and info["enabled_disk_templates"]
    assert {"file", "diskless"} <= set(info["enabled_disk_templates"]), "the suite creates file and diskless instances"
    defaults = info["beparams"]["default"]
    assert is_int(defaults["maxmem"]) and is_int(defaults["minmem"]) and is_int(defaults["vcpus"])
    assert isinstance(info["nicparams"]["default"]["link"], str)
    assert isinstance(info["hvparams"][info["default_hypervisor"]], dict)
    ipolicy = info["ipolicy"]
    bounds = ipolicy["minmax"][0]
    for spec in ("memory-size", "disk-size", "cpu-count", "disk-count", "nic-count"):
        low, high = bounds["min"][spec], bounds["max"][spec]
        assert is_int(low) and is_int(high) and low <= high
        assert is_int(ipolicy["std"][spec])
    # the create form offers the templates both enabled and allowed by the policy
    assert set(ipolicy["disk-templates"]) & set(info["enabled_disk_templates"])
    assert isinstance(info["tags"], list)
    assert is_number(info["ctime"]) and is_number(info["mtime"])


def test_os_list_names_each_variant_as_its_own_string(rapi):
    names = rapi.client.get_os()
    assert names and all(isinstance(name, str) and name for name in names)
    assert any("+" in name for name in names), "an OS with variants is listed as os+variant"
    assert names == sorted(names)


def check_node(node, group_uuids):
    assert isinstance(node["name"], str) and node["name"]
    assert node["role"] in NODE_ROLE_WORDS
    for flag in ("offline", "drained", "master_candidate", "master_capable", "vm_capable"):
        assert isinstance(node[flag], bool), flag
    live = ("mtotal", "mnode", "mfree", "dtotal", "dfree", "ctotal")
    if not node["offline"]:   # live fields are null only for an offline/unreachable node
        for field in live:
            assert is_int(node[field]), (field, node[field])
        assert node["mfree"] <= node["mtotal"] and node["dfree"] <= node["dtotal"] and node["ctotal"] >= 1
    assert isinstance(node["pinst_list"], list) and node["pinst_cnt"] == len(node["pinst_list"])
    assert isinstance(node["sinst_list"], list) and node["sinst_cnt"] == len(node["sinst_list"])
    assert node["group.uuid"] in group_uuids
    ipaddress.ip_address(node["pip"])
    assert isinstance(node["tags"], list)


def test_nodes_bulk_and_single_have_the_fields_of_the_nodes_page(rapi):
    groups = rapi.client.get_groups()
    group_uuids = {group["uuid"] for group in groups}
    nodes = rapi.client.get_nodes()
    assert nodes
    for node in nodes:
        check_node(node, group_uuids)
    assert [node["role"] for node in nodes].count("master") == 1
    master = next(node for node in nodes if node["role"] == "master")
    assert master["name"] == rapi.client.get_info()["master"]
    single = rapi.client.get_node(master["name"])
    check_node(single, group_uuids)
    assert single["role"] == "master" and single["uuid"] == master["uuid"]
    # GET /2/nodes/<n>/role answers the word itself
    assert rapi.client.get_node_role(master["name"]) == "master"


def test_node_list_without_bulk_is_ids_and_uris(rapi):
    names = {node["name"] for node in rapi.client.get_nodes()}
    rows = rapi.client.get_nodes(bulk=False)
    assert {row["id"] for row in rows} == names
    assert all(row["uri"] == f"/2/nodes/{row['id']}" for row in rows)


def test_groups_bulk_and_single(rapi):
    groups = rapi.client.get_groups()
    assert groups
    all_nodes = set()
    for group in groups:
        assert isinstance(group["name"], str) and group["alloc_policy"] in {"preferred", "last_resort", "unallocable"}
        assert group["node_cnt"] == len(group["node_list"])
        assert isinstance(group["ipolicy"], dict) and isinstance(group["ndparams"], dict)
        all_nodes.update(group["node_list"])
    assert all_nodes == {node["name"] for node in rapi.client.get_nodes()}
    single = rapi.client.get_group(groups[0]["name"])
    assert single["uuid"] == groups[0]["uuid"] and single["node_list"] == groups[0]["node_list"]
    assert rapi.client.get_groups(bulk=False) == [{"name": group["name"], "uri": f"/2/groups/{group['name']}"}
                                                   for group in groups]


@pytest.fixture
def network(rapi):
    """A network connected to a node group: the backend's first one, or one made here with raw
    requests (the app only reads networks; the testbed starts with none)."""
    existing = rapi.client.get_networks()
    if existing:
        yield existing[0]["name"]
        return
    name = unique_name("net").split(".")[0]
    group = rapi.client.get_groups()[0]["name"]
    link = rapi.client.get_info()["nicparams"]["default"]["link"]
    steps = [("POST", "/2/networks", {"network_name": name, "network": "203.0.113.0/28", "gateway": "203.0.113.1",
                                      "tags": [SUITE_TAG]}),
             ("PUT", f"/2/networks/{name}/connect", {"group_name": group, "network_mode": "bridged",
                                                     "network_link": link})]
    try:
        for method, path, body in steps:
            answer = rapi.raw(method, path, json=body)
            assert answer.status_code == 200, answer.text
            succeeded(rapi, int(answer.json()))
        yield name
    finally:
        for method, path, body in (("PUT", f"/2/networks/{name}/disconnect", {"group_name": group}),
                                   ("DELETE", f"/2/networks/{name}", None)):
            answer = rapi.raw(method, path, json=body)
            if answer.status_code == 200:
                run_job(rapi, int(answer.json()))


def test_networks_bulk_and_single(rapi, network):
    groups = {group["name"] for group in rapi.client.get_groups()}
    row = {row["name"]: row for row in rapi.client.get_networks()}[network]
    subnet = ipaddress.ip_network(row["network"])
    assert row["gateway"] is None or ipaddress.ip_address(row["gateway"]) in subnet
    assert is_int(row["free_count"]) and is_int(row["reserved_count"])
    assert row["free_count"] + row["reserved_count"] == subnet.num_addresses
    assert len(row["map"]) == subnet.num_addresses and set(row["map"]) <= {"X", "."}
    assert row["map"].count(".") == row["free_count"]
    assert isinstance(row["external_reservations"], str)
    assert isinstance(row["inst_list"], list) and isinstance(row["tags"], list)
    # one [group, mode, link, vlan] list per connected group (not "group(mode, link)" strings)
    assert row["group_list"]
    for entry in row["group_list"]:
        assert isinstance(entry, list) and len(entry) == 4, entry
        group, mode, link, vlan = entry
        assert group in groups and mode in {"bridged", "routed", "openvswitch"}
        assert isinstance(link, str) and isinstance(vlan, str)
    assert rapi.client.get_network(network)["uuid"] == row["uuid"]
    assert {"name": network, "uri": f"/2/networks/{network}"} in rapi.client.get_networks(bulk=False)


def test_unknown_network_is_404(rapi):
    with pytest.raises(GanetiApiError) as error:
        rapi.client.get_network("no-such-network")
    assert error.value.code == 404


# Fields a list or detail page shows, and their types.
INSTANCE_LIST_FIELDS = ("name", "status", "admin_state", "oper_state", "pnode", "snodes", "os", "beparams",
                        "disk.sizes", "disk_template", "nic.macs", "nic.ips", "nic.modes", "nic.links",
                        "nic.networks.names", "network_port", "tags", "ctime", "mtime", "hvparams", "uuid")


def check_instance(row, name, info):
    assert set(INSTANCE_LIST_FIELDS) <= set(row), set(INSTANCE_LIST_FIELDS) - set(row)
    assert row["name"] == name
    assert row["status"] in INSTANCE_STATUSES
    assert row["admin_state"] in {"up", "down", "offline"}
    assert isinstance(row["oper_state"], bool)
    assert row["pnode"] == info["master"] and row["snodes"] == []
    assert isinstance(row["os"], str) and row["os"]
    assert row["beparams"]["maxmem"] == 128 and row["beparams"]["vcpus"] == 1
    assert row["disk_template"] == "file" and row["disk.sizes"] == [64]
    nic_lists = [row[f"nic.{field}"] for field in ("macs", "ips", "modes", "links", "networks.names")]
    assert all(isinstance(values, list) and len(values) == 1 for values in nic_lists)
    mac = row["nic.macs"][0]
    assert mac.startswith(info["mac_prefix"]) and len(mac.split(":")) == 6
    assert row["nic.ips"] == [None] and row["nic.networks.names"] == [None]
    # a NIC created with no parameters gets the cluster's default NIC parameters
    assert row["nic.modes"] == [info["nicparams"]["default"]["mode"]]
    assert row["nic.links"] == [info["nicparams"]["default"]["link"]]
    assert row["network_port"] is None or is_int(row["network_port"])
    assert SUITE_TAG in row["tags"] and OWNER_TAG in row["tags"]
    assert is_number(row["ctime"]) and is_number(row["mtime"]) and row["ctime"] <= row["mtime"]
    assert isinstance(row["hvparams"], dict)


def test_instance_bulk_and_single_have_the_fields_of_the_list_and_detail_pages(rapi, instance):
    info = rapi.client.get_info()
    bulk = {row["name"]: row for row in rapi.client.get_instances()}
    check_instance(bulk[instance], instance, info)
    single = rapi.client.get_instance(instance)
    check_instance(single, instance, info)
    assert single["uuid"] == bulk[instance]["uuid"]


def test_instance_list_without_bulk_is_ids_and_uris(rapi, instance):
    rows = rapi.client.get_instances(bulk=False)
    assert {"id": instance, "uri": f"/2/instances/{instance}"} in rows


def test_unknown_instance_is_404(rapi):
    with pytest.raises(GanetiApiError) as error:
        rapi.client.get_instance("no-such-instance.ganeti.test")
    assert error.value.code == 404 and error.value.kind == "http"


def test_query_with_an_owner_tag_filter_returns_only_that_owners_instances(rapi, instance):
    rows = rapi.client.query("instance", ["name", "status", "admin_state", "tags", "pnode"],
                             ["=[]", "tags", OWNER_TAG])
    assert [row["name"] for row in rows] == [instance]
    row = rows[0]
    assert row["status"] in INSTANCE_STATUSES and row["admin_state"] in {"up", "down", "offline"}
    assert OWNER_TAG in row["tags"] and row["pnode"] == rapi.client.get_info()["master"]
    assert rapi.client.query("instance", ["name"], ["=[]", "tags", OWNER_TAG + "-nobody"]) == []


def test_every_field_the_inventory_queries_is_known(rapi, instance):
    """An unknown field would not fail the query: it would come back as a null in every row."""
    answer = rapi.raw("PUT", "/2/query/instance", json={"fields": list(INSTANCE_COLUMNS),
                                                         "qfilter": ["==", "name", instance]})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [field["name"] for field in result["fields"]] == list(INSTANCE_COLUMNS)
    assert [field["name"] for field in result["fields"] if field["kind"] == "unknown"] == []
    (row,) = result["data"]
    # 0 = normal; 3 = not applicable to this instance (network_port on the fake hypervisor)
    assert {field["name"]: status for field, (status, _) in zip(result["fields"], row) if status not in (0, 3)} == {}


def test_inventory_rows_from_the_query_equal_those_from_the_bulk_fallback(rapi, instance):
    queried = rapi.client.query_values("instance", INSTANCE_COLUMNS, ["==", "name", instance])
    assert queried == [instance_values_from_bulk(rapi.client.get_instance(instance))]


def test_jobs_list_is_ids_and_uris_and_bulk_is_job_objects(rapi, instance):
    job_id = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-jobs-list"]))["id"]
    rows = rapi.client.get_jobs()
    assert {"id": job_id, "uri": f"/2/jobs/{job_id}"} in rows
    assert all(is_int(row["id"]) for row in rows)
    bulk = {job["id"]: job for job in rapi.client.get_jobs(bulk=True)}
    job = bulk[job_id]
    assert job["status"] == "success" and job["ops"][0]["OP_ID"] == "OP_TAGS_SET"
    assert job["summary"] and job["opstatus"] == ["success"]


def check_timestamp(value):
    assert isinstance(value, list) and len(value) == 2 and all(is_int(part) for part in value)


def test_job_has_the_fields_the_job_page_shows(rapi, instance):
    job = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-job-shape"]))
    assert is_int(job["id"])
    assert job["status"] == "success" and job["opstatus"] == ["success"]
    assert job["error_message"] is None and job["error_code"] is None
    assert job["summary"] == ["TAGS_SET"]
    op = job["ops"][0]
    assert op["OP_ID"] == "OP_TAGS_SET" and op["tags"] == ["contract-job-shape"]
    assert isinstance(job["opresult"], list) and len(job["opresult"]) == 1
    assert isinstance(job["oplog"], list) and len(job["oplog"]) == 1
    for field in ("received_ts", "start_ts", "end_ts"):
        check_timestamp(job[field])
    assert job["received_ts"] <= job["start_ts"] <= job["end_ts"]
