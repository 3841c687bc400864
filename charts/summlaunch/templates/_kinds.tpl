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
torchrun reads the operator's PET_* variables; accelerate launch gets them as $(VAR)
arguments, expanded by the kubelet (mirrors summlaunch.kinds.pytorchjob.launch_command).
*/}}
{{- define "summlaunch.torchContainer" -}}
{{- $summtrain := concat (list "-m" "summtrain" "--backend" .backend) .train -}}
{{- $out := dict "command" (list "torchrun") "args" $summtrain "env" list "accelerator" (dict .gpuResource .perNode) -}}
{{- if eq .framework "accelerate" -}}
{{- $processes := mul (int .nodes) (int .procs) -}}
{{- $args := list "--num_machines" "$(PET_NNODES)" "--machine_rank" "$(PET_NODE_RANK)" "--main_process_ip" "$(PET_MASTER_ADDR)" "--main_process_port" "$(PET_MASTER_PORT)" "--num_processes" (toString $processes) -}}
{{- if .accelerateConfig -}}
{{- $args = concat (list "--config_file" "/etc/summlaunch/accelerate/config.yaml") $args -}}
{{- else if gt $processes 1 -}}
{{- $args = append $args "--multi_gpu" -}}
{{- end -}}
{{- $_ := set $out "command" (list "accelerate" "launch") -}}
{{- $_ := set $out "args" (concat $args $summtrain) -}}
{{- if not (int .perNode) }}{{ $_ := set $out "env" (list (dict "name" "ACCELERATE_USE_CPU" "value" "true")) }}{{ end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
