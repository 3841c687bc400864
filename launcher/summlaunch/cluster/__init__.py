"""The cluster: the one module that talks to it (client), creating objects (submit), following a
job (follow), its logs (logs) and progress (progress)."""
