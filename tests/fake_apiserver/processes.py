"""Process mode: a pod's main container runs as a real local subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from . import podenv

MASTER_VARS = (("MASTER_ADDR", "MASTER_PORT"), ("PET_MASTER_ADDR", "PET_MASTER_PORT"))


def _map_paths(text: str, path_map: dict) -> str:
    for prefix, local in path_map.items():
        if text == prefix or text.startswith(prefix.rstrip("/") + "/"):
            return str(local) + text[len(prefix):]
        text = text.replace("=" + prefix, "=" + str(local))  # --flag=/workspace/...
    return text


def local_env(kubelet, ctx, script) -> dict:
    """The container env made runnable here: loopback master address, a free port per job, mapped paths."""
    env = {k: _map_paths(v, script.path_map) for k, v in ctx.env.items()}
    namespace = ctx.pod["metadata"].get("namespace", "default")
    for addr, port in MASTER_VARS:
        if addr in env:
            key = (namespace, env[addr], env.get(port, ""))
            env[addr] = "127.0.0.1"
            env[port] = str(kubelet.port_for(key))
    env.update(script.env)
    return env


def start_process(kubelet, ctx, container: dict, script) -> subprocess.Popen:
    env = local_env(kubelet, ctx, script)
    if isinstance(script.process, list):
        argv = list(script.process)
    else:
        argv = list(container.get("command") or []) + list(container.get("args") or [])
    argv = [_map_paths(podenv.expand(a, env), script.path_map) for a in argv]
    if not argv:
        raise ValueError(f"pod {ctx.name}: process mode needs a container command or an explicit argv")
    full_env = {**os.environ, **env}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=full_env, cwd=script.cwd, start_new_session=True)


def _children() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc/<pid>/stat (field 4 is the parent pid)."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the process, its process group and every descendant, as a container's cgroup is killed.

    Descendants may sit in sessions of their own (torchrun starts its workers so), so the
    group alone is not enough. Everything found is stopped first so that nothing forks or is
    re-parented away while the tree is walked, then killed.
    """
    if proc.poll() is not None:
        return
    stopped: set[int] = set()
    todo = [proc.pid]
    while todo:  # stop the tree from the top down; re-walk until no new descendant appears
        pid = todo.pop()
        if pid not in stopped:
            _signal(pid, signal.SIGSTOP)
            stopped.add(pid)
        if not todo:
            tree = _children()
            todo = [c for p in stopped for c in tree.get(p, []) if c not in stopped]
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
