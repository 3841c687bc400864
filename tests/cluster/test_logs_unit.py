"""Pure log-multiplexing logic: timestamps, dedupe across reconnects, replica names, reasons."""

import pytest

from summlaunch.cluster import logs as L


def lines(*pairs):
    return [(L.timestamp_key(ts), text) for ts, text in pairs]


def test_timestamp_key_normalises_fraction_and_zone():
    assert L.timestamp_key("2026-11-28T01:02:03Z") == "2026-11-28T01:02:03.000000000"
    assert L.timestamp_key("2026-11-28T01:02:03.5Z") == "2026-11-28T01:02:03.500000000"
    assert L.timestamp_key("2026-11-28T02:02:03.123+01:00") == "2026-11-28T01:02:03.123000000"
    # trimmed trailing zeros would sort wrongly as raw strings; the keys sort right
    assert L.timestamp_key("2026-11-28T01:02:03.1234Z") < L.timestamp_key("2026-11-28T01:02:03.12345Z")


def test_split_timestamp():
    assert L.split_timestamp(b"2026-11-28T01:02:03.25Z hello world") == ("2026-11-28T01:02:03.250000000", "hello world")
    assert L.split_timestamp(b"2026-11-28T01:02:03Z ") == ("2026-11-28T01:02:03.000000000", "")
    assert L.split_timestamp("no timestamp here") == (None, "no timestamp here")


def test_dedupe_replay_after_reconnect_keeps_every_line_once():
    d = L.Deduper()
    first = lines(("2026-11-28T01:00:00.1Z", "a"), ("2026-11-28T01:00:01.1Z", "b"),
                  ("2026-11-28T01:00:01.2Z", "c"))
    assert [d.accept(ts, t) for ts, t in first] == [True, True, True]
    assert d.since_time() == "2026-11-28T01:00:01Z"
    d.reconnect()
    # the server resends from the start of that second, then new lines
    replay = lines(("2026-11-28T01:00:01.1Z", "b"), ("2026-11-28T01:00:01.2Z", "c"),
                   ("2026-11-28T01:00:01.3Z", "d"), ("2026-11-28T01:00:02.0Z", "e"))
    assert [d.accept(ts, t) for ts, t in replay] == [False, False, True, True]


def test_dedupe_identical_lines_same_instant_are_both_kept():
    d = L.Deduper()
    ts = L.timestamp_key("2026-11-28T01:00:05.000000001Z")
    assert d.accept(ts, "same") and d.accept(ts, "same")
    d.reconnect()
    assert not d.accept(ts, "same") and not d.accept(ts, "same")
    assert d.accept(ts, "same")  # a third copy is new


def test_dedupe_drops_lines_older_than_window():
    d = L.Deduper()
    d.accept(L.timestamp_key("2026-11-28T01:00:05Z"), "x")
    d.reconnect()
    assert not d.accept(L.timestamp_key("2026-11-28T01:00:04.9Z"), "old")


def pod(name, labels, **status):
    return {"metadata": {"name": name, "labels": labels, "uid": name + "-uid"}, "spec": {"containers": [{"name": "c"}]},
            "status": status}


def test_replica_names_per_kind():
    assert L.replica_name(pod("j-master-0", {"training.kubeflow.org/replica-type": "master",
                                             "training.kubeflow.org/replica-index": "0"})) == "master-0"
    assert L.replica_name(pod("j-worker-3", {"training.kubeflow.org/replica-type": "Worker",
                                             "training.kubeflow.org/replica-index": "3"})) == "worker-3"
    assert L.replica_name(pod("j-slice-1-2-abcde", {"jobset.sigs.k8s.io/replicatedjob-name": "slice",
                                                    "jobset.sigs.k8s.io/job-index": "1",
                                                    "batch.kubernetes.io/job-completion-index": "2"})) == "slice-1-2"
    assert L.replica_name(pod("j-worker-7", {"summlaunch.dev/replica-type": "worker"})) == "worker-7"
    assert L.replica_name(pod("plain", {})) == "plain"


@pytest.mark.parametrize("replica,wanted,ok", [
    ("master-0", "all", True), ("master-0", "master", True), ("worker-2", "worker", True),
    ("worker-2", "worker-2", True), ("worker-12", "worker-1", False), ("master-0", "worker", False),
    ("slice-0-3", "slice", True),
])
def test_replica_matches(replica, wanted, ok):
    assert L.replica_matches(replica, wanted) is ok


def test_prefixer_colour_and_plain():
    plain = L.Prefixer(colour=False)
    assert plain("master-0", "hi") == "[master-0] hi"
    assert plain("w-1", "x") == "[w-1]      x"  # padded to the widest replica seen
    coloured = L.Prefixer(colour=True)
    out = coloured("master-0", "hi")
    assert out.startswith("\x1b[") and "\x1b[0m" in out and out.endswith(" hi")


def test_pod_reasons_and_pull_failure():
    p = pod("j-master-0", {}, phase="Pending",
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                         "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}],
            containerStatuses=[{"name": "c", "image": "reg/img:1", "restartCount": 0,
                                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling"}}}])
    reasons = L.pod_reasons(p)
    assert ("Unschedulable", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.") in reasons
    assert L.pull_failure(p) == ("ImagePullBackOff", "image reg/img:1: Back-off pulling")
    assert not L.log_ready(p, "c")


def test_container_lifecycle_helpers():
    running = pod("p", {}, phase="Running", containerStatuses=[{"name": "c", "restartCount": 2,
                                                                "state": {"running": {}}}])
    assert L.log_ready(running, "c") and L.restart_count(running, "c") == 2 and not L.container_done(running, "c")
    done = pod("p", {}, phase="Succeeded", containerStatuses=[{"name": "c", "state": {"terminated": {"exitCode": 0}}}])
    assert L.container_done(done, "c")


def test_events_filter():
    ev = {"metadata": {"uid": "e1"}, "type": "Warning", "reason": "FailedScheduling", "message": "0/1 nodes",
          "involvedObject": {"kind": "Pod", "name": "j-master-0"}}
    assert L.event_is_relevant(ev, {"j-master-0"}, ("pytorchjob-j-",))
    assert not L.event_is_relevant(ev, {"other"}, ("pytorchjob-j-",))
    kueue = {"type": "Normal", "reason": "Pending", "message": "couldn't assign flavors",
             "involvedObject": {"kind": "Workload", "name": "pytorchjob-j-1a2b3"}}
    assert L.event_is_relevant(kueue, set(), ("pytorchjob-j-",))
    assert L.event_line(kueue) == "Workload/pytorchjob-j-1a2b3: Pending: couldn't assign flavors"


@pytest.mark.parametrize("text,secs", [("90", 90), ("30s", 30), ("5m", 300), ("2h", 7200), ("1h30m", 5400)])
def test_parse_duration(text, secs):
    assert L.parse_duration(text) == secs


@pytest.mark.parametrize("bad", ["", "abc", "5x", "-3"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        L.parse_duration(bad)
