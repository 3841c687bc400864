"""Process mode: a pod's main container runs as a real local subprocess."""

from __future__ import annotations

import os
import subprocess

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
