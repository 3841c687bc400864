"""Label and annotation keys that every rendered object carries, and how `logs` finds pods.

`summlaunch.dev/job` is set on the job object AND on every pod template: selecting
pods with ``summlaunch.dev/job=<name>`` finds every replica of every kind.
"""

from __future__ import annotations

from collections.abc import Iterable

PREFIX = "summlaunch.dev/"

NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"
JOB = PREFIX + "job"
REPLICA_TYPE = PREFIX + "replica-type"
FRAMEWORK = PREFIX + "framework"

APP = "summlaunch"
COMPONENT_TRAINING = "training"

# Annotations
GCLOUD_COMMAND = PREFIX + "gcloud-command"
JOBSET_EXCLUSIVE_TOPOLOGY = "alpha.jobset.sigs.k8s.io/exclusive-topology"
GKE_NODEPOOL = "cloud.google.com/gke-nodepool"
GKE_TPU_ACCELERATOR = "cloud.google.com/gke-tpu-accelerator"
GKE_TPU_TOPOLOGY = "cloud.google.com/gke-tpu-topology"
KUEUE_QUEUE = "kueue.x-k8s.io/queue-name"
RENDER_MANAGER = PREFIX + "render"  # the TrainJob runtime patches' manager

# Labels the operators and controllers put on the pods they make (read by logs and status).
KUBEFLOW_JOB_NAME = "training.kubeflow.org/job-name"
KUBEFLOW_REPLICA_TYPE = "training.kubeflow.org/replica-type"
KUBEFLOW_REPLICA_INDEX = "training.kubeflow.org/replica-index"
JOBSET_NAME = "jobset.sigs.k8s.io/jobset-name"
JOBSET_REPLICATED_JOB = "jobset.sigs.k8s.io/replicatedjob-name"
JOBSET_JOB_INDEX = "jobset.sigs.k8s.io/job-index"
BATCH_JOB_NAME = "batch.kubernetes.io/job-name"
BATCH_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"

# Keys a user may not set with --label (they would break how summlaunch finds its objects).
RESERVED = frozenset({NAME, INSTANCE, MANAGED_BY, COMPONENT, JOB, REPLICA_TYPE, FRAMEWORK})


def base_labels(job: str) -> dict[str, str]:
    """The labels every object of one job carries."""
    return {
        NAME: APP,
        INSTANCE: job,
        MANAGED_BY: APP,
        COMPONENT: COMPONENT_TRAINING,
        JOB: job,
    }


def job_labels(job: str, framework: str, user: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Labels of the job object: user labels first, ours win (the user's cannot collide: see RESERVED)."""
    return {**dict(user), **base_labels(job), FRAMEWORK: framework}


def pod_labels(job: str, replica_type: str, user: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Labels of one replica type's pod template."""
    return {**dict(user), **base_labels(job), REPLICA_TYPE: replica_type}


def selector(job: str) -> str:
    """Label selector matching every pod (and object) of a job."""
    return f"{JOB}={job}"
