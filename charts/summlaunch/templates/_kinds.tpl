{{/* Replica types of a Kubeflow v1 job: `first` (Master or Chief) x1, Worker x (nodes - 1). */}}
{{- define "summlaunch.replicas" -}}
{{- $replicas := list (dict "type" .first "count" 1) -}}
{{- if gt (int .c.nodes) 1 -}}
{{- $replicas = append $replicas (dict "type" "Worker" "count" (sub (int .c.nodes) 1)) -}}
{{- end -}}
{{- toJson $replicas -}}
{{- end -}}

{{/*
The torch-family container (PyTorchJob and TrainJob): {command, args, env, accelerator}.
Args: c (the context), replica ("Master"/"Worker" on a PyTorchJob, "" on a TrainJob).
torchrun reads the operator's PET_* variables; accelerate launch gets them as $(VAR)
arguments, expanded by the kubelet. A multi-node PyTorchJob rendezvous through a c10d store
hosted by the Master (mirrors summlaunch.kinds.pytorchjob.launch_command).
*/}}
{{- define "summlaunch.torchContainer" -}}
{{- $c := .c -}}
{{- $summtrain := concat (list "-m" "summtrain" "--backend" $c.backend) $c.train -}}
{{- $elastic := list -}}
{{- $env := list -}}
{{- if and .replica (gt (int $c.nodes) 1) -}}
{{- $conf := printf "is_host=%d,join_timeout=1800,read_timeout=300" (ternary 1 0 (eq .replica "Master")) -}}
{{- $elastic = list "--rdzv_backend" "c10d" "--rdzv_conf" $conf "--max_restarts" (toString $c.backoffLimit) -}}
{{- $env = list (dict "name" "TORCH_DISABLE_SHARE_RDZV_TCP_STORE" "value" "1") -}}
{{- end -}}
{{- $out := dict "command" (list "torchrun") "env" $env "accelerator" (dict $c.gpuResource $c.perNode) -}}
{{- if $elastic -}}
{{- $_ := set $out "args" (concat (list "--rdzv_endpoint" "$(PET_MASTER_ADDR):$(PET_MASTER_PORT)" "--rdzv_id" $c.name) $elastic $summtrain) -}}
{{- else -}}
{{- $_ := set $out "args" $summtrain -}}
{{- end -}}
{{- if eq $c.framework "accelerate" -}}
{{- $processes := mul (int $c.nodes) (int $c.procs) -}}
{{- $args := list "--num_machines" "$(PET_NNODES)" "--machine_rank" "$(PET_NODE_RANK)" "--main_process_ip" "$(PET_MASTER_ADDR)" "--main_process_port" "$(PET_MASTER_PORT)" "--num_processes" (toString $processes) -}}
{{- $args = concat $args $elastic -}}
{{- if $c.accelerateConfig -}}
{{- $args = concat (list "--config_file" "/etc/summlaunch/accelerate/config.yaml") $args -}}
{{- else if gt $processes 1 -}}
{{- $args = append $args "--multi_gpu" -}}
{{- end -}}
{{- $_ := set $out "command" (list "accelerate" "launch") -}}
{{- $_ := set $out "args" (concat $args $summtrain) -}}
{{- if not (int $c.perNode) }}{{ $_ := set $out "env" (prepend $env (dict "name" "ACCELERATE_USE_CPU" "value" "true")) }}{{ end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The single-node container (batch/v1 Job): {command, args, env, accelerator}, as summlaunch.container
builds it for one machine: torchrun --standalone / accelerate launch with one process per GPU
where there are several, else summtrain itself.
*/}}
{{- define "summlaunch.standaloneContainer" -}}
{{- $summtrain := concat (list "--backend" .backend) .train -}}
{{- $out := dict "command" (list "summtrain") "args" $summtrain "env" list "accelerator" (dict .gpuResource .perNode) -}}
{{- $procs := int .procs -}}
{{- if and (eq .framework "torch") (gt $procs 1) -}}
{{- $_ := set $out "command" (list "torchrun") -}}
{{- $_ := set $out "args" (concat (list "--standalone" (printf "--nproc_per_node=%d" $procs) "-m" "summtrain") $summtrain) -}}
{{- else if and (eq .framework "accelerate") (gt $procs 1) -}}
{{- $_ := set $out "command" (list "accelerate" "launch") -}}
{{- $_ := set $out "args" (concat (list "--num_processes" (toString $procs) "--multi_gpu" "-m" "summtrain") $summtrain) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The job's objects as kubectl references [{group, resource, name}] (NOTES.txt and the helm test). */}}
{{- define "summlaunch.objectRefs" -}}
{{- $job := get (dict "pytorchjob" (list "kubeflow.org" "pytorchjobs") "tfjob" (list "kubeflow.org" "tfjobs") "jobset" (list "jobset.x-k8s.io" "jobsets") "trainjob" (list "trainer.kubeflow.org" "trainjobs") "job" (list "batch" "jobs")) .kind -}}
{{- $refs := list (dict "group" (first $job) "resource" (last $job) "name" .name) -}}
{{- if .pvcSize }}{{ $refs = append $refs (dict "group" "" "resource" "persistentvolumeclaims" "name" .pvc) }}{{ end -}}
{{- if .accelerateConfig }}{{ $refs = append $refs (dict "group" "" "resource" "configmaps" "name" (printf "%s-accelerate" .name)) }}{{ end -}}
{{- if eq .kind "jobset" }}{{ $refs = append $refs (dict "group" "" "resource" "services" "name" .name) }}{{ end -}}
{{- if .nodePool -}}
{{- range .pools }}{{ $refs = append $refs (dict "group" "container.cnrm.cloud.google.com" "resource" "containernodepools" "name" .name) }}{{ end -}}
{{- end -}}
{{- toJson $refs -}}
{{- end -}}

{{/* kubectl TYPE[.GROUP]/NAME of one object reference. */}}
{{- define "summlaunch.kubectlRef" -}}
{{- if .group }}{{ printf "%s.%s/%s" .resource .group .name }}{{ else }}{{ printf "%s/%s" .resource .name }}{{ end -}}
{{- end -}}

{{/* Requests and limits: CPU, memory, and whole accelerators (requests == limits). Args: c, accelerator (dict). */}}
{{- define "summlaunch.resources" -}}
{{- $amounts := dict "cpu" .c.cpu "memory" .c.memory -}}
{{- range $key, $count := .accelerator }}{{ if $count }}{{ $_ := set $amounts $key $count }}{{ end }}{{ end -}}
requests:
  {{- include "summlaunch.mapping" $amounts | nindent 2 }}
limits:
  {{- include "summlaunch.mapping" $amounts | nindent 2 }}
{{- end -}}

{{/* Kubeflow runPolicy. */}}
{{- define "summlaunch.runPolicy" -}}
cleanPodPolicy: None
backoffLimit: {{ .backoffLimit | toJson }}
{{- if .activeDeadline }}
activeDeadlineSeconds: {{ .activeDeadline | toJson }}
{{- end }}
{{- if .ttlAfterFinished }}
ttlSecondsAfterFinished: {{ .ttlAfterFinished | toJson }}
{{- end }}
{{- end -}}
