"""The fake kubelet and scheduler: runs every pod through Pending -> Running -> Succeeded/Failed.

Each pod gets a thread that plays its PodScript: scheduling (or FailedScheduling), the image pull (or
ErrImagePull / ImagePullBackOff), the main container's log lines or a real subprocess, exit codes,
in-place restarts with CrashLoopBackOff for restartPolicy OnFailure/Always.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field

from . import podenv
from .processes import kill_tree
from .scripts import PodScript, RunContext
from .store import NotFound, now_iso
from .validation import bad_request

MAIN_CONTAINERS = ("pytorch", "tensorflow", "node", "trainer")
NODE = "fake-node-1"


class Stopped(Exception):
    """The pod was deleted (or the cluster is stopping)."""


@dataclass
class PodRun:
    namespace: str
    name: str
    uid: str
    script: PodScript
    kill_code: int | None = None
    kill_reason: str = "Error"
    last_state: dict = field(default_factory=dict)  # lastState of the main container (after a restart)
    proc: subprocess.Popen | None = None
    stop: threading.Event = field(default_factory=threading.Event)


def main_container(pod: dict) -> dict:
    containers = pod["spec"]["containers"]
    return next((c for c in containers if c["name"] in MAIN_CONTAINERS), containers[0])


def _state_message(reason: str) -> str:
    return {"ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)


class Kubelet:
    def __init__(self, cluster):
        self.cluster = cluster
        self.scripts: list[PodScript] = []
        self._runs: dict[str, PodRun] = {}
        self._lock = threading.Lock()
        self._ports: dict[tuple, int] = {}
        cluster.store.listeners.append(self._on_change)

    # -- scripting API ------------------------------------------------------------------------------
    def script(self, pattern: str = "*", **behaviour) -> PodScript:
        """Script the pods matching `pattern` (newest script wins). See PodScript for the fields."""
        script = PodScript(pattern, **behaviour)
        with self._lock:
            self.scripts.insert(0, script)
        return script

    def script_for(self, namespace: str, name: str) -> PodScript:
        with self._lock:
            return next((s for s in self.scripts if s.matches(namespace, name)), PodScript())

    def kill(self, name: str, namespace: str = "default", exit_code: int = 137, reason: str = "Error") -> None:
        """Kill the pod's running container, every process of it (reason "OOMKilled" to play the OOM killer)."""
        run = self._run_named(namespace, name)
        run.kill_code, run.kill_reason = exit_code, reason
        if run.proc:
            kill_tree(run.proc)

    def stop(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            self._halt(run)

    # -- store events -------------------------------------------------------------------------------
    def _run_named(self, namespace: str, name: str) -> PodRun:
        with self._lock:
            for run in self._runs.values():
                if (run.namespace, run.name) == (namespace, name) and not run.stop.is_set():
                    return run
        raise KeyError(f"no running pod {namespace}/{name}")

    def _on_change(self, kind: str, key: tuple, obj: dict) -> None:
        if key[:2] != ("", "pods"):
            return
        uid = obj["metadata"]["uid"]
        if kind == "ADDED":
            run = PodRun(key[2], key[3], uid, self.script_for(key[2], key[3]))
            with self._lock:
                self._runs[uid] = run
            threading.Thread(target=self._run, args=(run,), name=f"pod-{key[3]}", daemon=True).start()
        elif kind == "DELETED":
            with self._lock:
                run = self._runs.get(uid)
            if run:
                self._halt(run)

    def _halt(self, run: PodRun) -> None:
        run.stop.set()
        if run.proc:
            kill_tree(run.proc)
        self.cluster.logs.close_pod(run.uid)

    # -- status helpers -----------------------------------------------------------------------------
    def _update(self, run: PodRun, fn) -> dict:
        store = self.cluster.store
        with store.lock:
            if run.stop.is_set():
                raise Stopped()
            try:
                pod = store.get(self.cluster.pods, run.namespace, run.name)
            except NotFound:
                raise Stopped() from None
            if pod["metadata"]["uid"] != run.uid:
                raise Stopped()
            fn(pod)
            return store.replace(self.cluster.pods, pod, check_version=False)

    def _container_status(self, run: PodRun, state: dict, restarts: int, ready: bool, last=None) -> None:
        def fn(pod):
            statuses = []
            for c in pod["spec"]["containers"]:
                entry = {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
                         "restartCount": restarts, "started": "running" in state, "state": state,
                         "lastState": last or {}}
                statuses.append(entry)
            status = pod.setdefault("status", {})
            status["containerStatuses"] = statuses
            _condition(status, "ContainersReady", ready)
            _condition(status, "Ready", ready)
        return self._update(run, fn)

    def _event(self, run: PodRun, reason: str, message: str, type_: str = "Normal", component="kubelet"):
        pod = self.cluster.store.find(self.cluster.pods, run.namespace, run.name)
        if pod and pod["metadata"]["uid"] == run.uid:
            self.cluster.recorder.emit(pod, reason, message, type_, component)

    def _wait(self, run: PodRun, seconds: float) -> None:
        if run.stop.wait(seconds) or self.cluster.stopping:
            raise Stopped()

    # -- the pod's life -----------------------------------------------------------------------------
    def _run(self, run: PodRun) -> None:
        try:
            pod = self._update(run, lambda p: p.setdefault("status", {}).update(
                phase="Pending", qosClass="BestEffort", conditions=[]))
            self._schedule(run)
            self._pull(run, pod)
            restarts = 0
            while self._run_once(run, restarts):
                restarts += 1
        except Stopped:
            pass
        except Exception as e:  # a bug in the fake: the fixture reports it at teardown
            self.cluster.errors.append(e)
            raise
        finally:
            self.cluster.logs.close_pod(run.uid)

    def _schedule(self, run: PodRun) -> None:
        self._wait(run, run.script.schedule_delay)
        warned = False
        while run.script.unschedulable:
            if not warned:
                self._update(run, lambda p: _condition(p["status"], "PodScheduled", False, "Unschedulable",
                                                       run.script.unschedulable))
                self._event(run, "FailedScheduling", run.script.unschedulable, "Warning", "default-scheduler")
                warned = True
            self._wait(run, 0.05)

        def bind(pod):
            pod["spec"]["nodeName"] = NODE
            pod["status"].update(hostIP="127.0.0.1", podIP="127.0.0.1", startTime=now_iso())
            _condition(pod["status"], "PodScheduled", True)
            _condition(pod["status"], "Initialized", True)
        self._update(run, bind)
        self._event(run, "Scheduled", f"Successfully assigned {run.namespace}/{run.name} to {NODE}",
                    component="default-scheduler")

    def _pull(self, run: PodRun, pod: dict) -> None:
        image = main_container(pod).get("image", "")
        self._container_status(run, {"waiting": {"reason": "ContainerCreating"}}, 0, False)
        self._event(run, "Pulling", f'Pulling image "{image}"')
        warned = False
        while run.script.image_pull_error:
            if not warned:
                message = run.script.image_pull_error
                self._container_status(run, {"waiting": {"reason": "ErrImagePull", "message": message}}, 0, False)
                self._event(run, "Failed", f'Failed to pull image "{image}": {message}', "Warning")
                self._event(run, "Failed", "Error: ErrImagePull", "Warning")
                self._wait(run, 0.1)
                backoff = f'Back-off pulling image "{image}"'
                self._container_status(run, {"waiting": {"reason": "ImagePullBackOff", "message": backoff}},
                                       0, False)
                self._event(run, "BackOff", backoff)
                self._event(run, "Failed", "Error: ImagePullBackOff", "Warning")
                warned = True
            self._wait(run, 0.05)
        self._event(run, "Pulled", f'Successfully pulled image "{image}" in 1.042s (1.042s including waiting)')

    def _env(self, run: PodRun, pod: dict, container: dict) -> dict:
        """The container env; waits in CreateContainerConfigError while a Secret/ConfigMap is missing."""
        warned = False
        while True:
            try:
                return podenv.container_env(self.cluster, pod, container)
            except podenv.MissingRef as e:
                if not warned:
                    self._container_status(run, {"waiting": {"reason": "CreateContainerConfigError",
                                                             "message": str(e)}}, 0, False)
                    self._event(run, "Failed", f"Error: {e}", "Warning")
                    warned = True
                self._wait(run, 0.1)

    def _run_once(self, run: PodRun, restarts: int) -> bool:
        """Run the main container once; True when the kubelet restarts it in place."""
        pod = self.cluster.store.get(self.cluster.pods, run.namespace, run.name)
        container = main_container(pod)
        env = self._env(run, pod, container)
        log = self.cluster.logs.restart(run.uid, container["name"]) if restarts else \
            self.cluster.logs.current(run.uid, container["name"])
        self._wait(run, run.script.start_delay)
        started = now_iso()
        self._container_status(run, {"running": {"startedAt": started}}, restarts, True, run.last_state)
        self._update(run, lambda p: p["status"].update(phase="Running"))
        self._event(run, "Created", f"Created container: {container['name']}")
        self._event(run, "Started", f"Started container {container['name']}")
        run.kill_code = None
        ctx = RunContext(pod, restarts, env)
        code = self._process(run, ctx, container, log) if run.script.process else self._lines(run, ctx, log)
        if run.kill_code is not None:
            code = run.kill_code
        return self._finish(run, pod, container, code, started, restarts)

    def _lines(self, run: PodRun, ctx: RunContext, log) -> int:
        script = run.script
        items = script.lines(ctx) if callable(script.lines) else iter(script.lines or ())
        code = script.exit_for(ctx.restart_count)
        try:
            while run.kill_code is None:
                item = next(items)
                if isinstance(item, tuple):
                    self._wait(run, item[0])
                    item = item[1]
                if isinstance(item, (int, float)):
                    self._wait(run, item)
                    continue
                log.write(str(item))
                if script.line_delay:
                    self._wait(run, script.line_delay)
        except StopIteration as done:
            code = done.value if isinstance(done.value, int) else code
        while script.hold and run.kill_code is None:
            self._wait(run, 0.05)
        return code

    def _process(self, run: PodRun, ctx: RunContext, container: dict, log) -> int:
        from .processes import start_process
        try:
            run.proc = start_process(self, ctx, container, run.script)
        except OSError as e:  # what containerd reports when the command cannot be started
            self._event(run, "Failed", f"Error: failed to create containerd task: exec: {e}", "Warning")
            log.write(f"exec failed: {e}")
            return 128
        for line in run.proc.stdout:
            log.write(line.decode(errors="replace"))
        code = run.proc.wait()
        return 128 - code if code < 0 else code

    def _finish(self, run: PodRun, pod: dict, container: dict, code: int, started: str, restarts: int) -> bool:
        """The main container ended: restart it in place (True) or end the pod's phase (False).

        As a real kubelet: the container shows `terminated` first; the first restart is immediate,
        later ones wait in CrashLoopBackOff (a `BackOff` event) with lastState = the termination.
        """
        reason = run.kill_reason if run.kill_code is not None else ("Completed" if code == 0 else "Error")
        terminated = {"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                                     "finishedAt": now_iso()}}
        self.cluster.logs.current(run.uid, container["name"]).close()  # followers of this container end
        self._container_status(run, terminated, restarts, False, run.last_state)
        policy = pod["spec"].get("restartPolicy", "Always")
        if not (policy == "Always" or (policy == "OnFailure" and code != 0)):
            self._update(run, lambda p: p["status"].update(phase="Succeeded" if code == 0 else "Failed"))
            return False
        run.last_state = terminated
        if restarts == 0:
            self._wait(run, 0.05)
            return True
        target = f"{container['name']} in pod {run.name}_{run.namespace}({run.uid})"
        backoff = f"back-off {min(10 * 2 ** restarts, 300)}s restarting failed container={container['name']} " \
                  f"pod={run.name}_{run.namespace}({run.uid})"
        self._container_status(run, {"waiting": {"reason": "CrashLoopBackOff", "message": backoff}},
                               restarts, False, terminated)
        self._event(run, "BackOff", f"Back-off restarting failed container {target}", "Warning")
        self._wait(run, min(0.05 * 2 ** restarts, 1.0))
        return True

    # -- logs endpoint ------------------------------------------------------------------------------
    def log_for(self, pod: dict, container: str | None, previous: bool):
        """The log buffer GET pods/log reads, or the 400 a real kubelet answers."""
        name = pod["metadata"]["name"]
        names = [c["name"] for c in pod["spec"]["containers"]]
        if container is None:
            if len(names) > 1:
                raise bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                  f"[{' '.join(names)}]")
            container = names[0]
        if container not in names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        uid = pod["metadata"]["uid"]
        if previous:
            log = self.cluster.logs.previous(uid, container)
            if log is None:
                raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            return log
        status = next((s for s in (pod.get("status") or {}).get("containerStatuses") or []
                       if s["name"] == container), None)
        waiting = (status or {}).get("state", {}).get("waiting")
        if status is None or (waiting and not status.get("lastState")):  # never ran yet
            reason = (waiting or {}).get("reason", "ContainerCreating")
            raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: '
                              f"{_state_message(reason)}")
        return self.cluster.logs.current(uid, container)

    def port_for(self, key: tuple) -> int:
        with self._lock:
            if key not in self._ports:
                self._ports[key] = podenv.free_port()
            return self._ports[key]


def _condition(status: dict, type_: str, ok: bool, reason: str | None = None, message: str | None = None):
    conditions = status.setdefault("conditions", [])
    entry = {"type": type_, "status": "True" if ok else "False", "lastTransitionTime": now_iso()}
    if reason:
        entry["reason"] = reason
    if message:
        entry["message"] = message
    for i, c in enumerate(conditions):
        if c["type"] == type_:
            conditions[i] = entry
            return
    conditions.append(entry)
