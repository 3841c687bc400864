{{/*
summlaunch.context: every value the templates need, resolved and checked once; the chart's
counterpart of summlaunch.render.common_context plus the kind contexts (launcher/summlaunch/
kinds/). Returns JSON; templates read it with: $c := include "summlaunch.context" . | fromJson
*/}}
{{- define "summlaunch.context" -}}
{{- $v := .Values -}}
{{- $name := include "summlaunch.name" . -}}
{{- $tpu := include "summlaunch.tpuSlice" . | fromJson -}}
{{- $framework := include "summlaunch.framework" (dict "v" $v "tpu" $tpu) -}}
{{- $size := include "summlaunch.size" (dict "v" $v "tpu" $tpu) | fromJson -}}
{{- $kind := include "summlaunch.kind" (dict "v" $v "framework" $framework) -}}
{{- $stack := get (dict "torch" "torch" "accelerate" "torch" "tf" "tf" "xla" "xla") $framework -}}
{{- $backend := get (dict "torch" "trainer" "accelerate" "accelerate" "tf" "tf" "xla" "xla") $framework -}}
{{- $base := dict "app.kubernetes.io/name" "summlaunch" "app.kubernetes.io/instance" $name "app.kubernetes.io/managed-by" "summlaunch" "app.kubernetes.io/component" "training" "summlaunch.dev/job" $name -}}
{{- $jobLabels := mustMergeOverwrite (dict) ($v.labels | default dict) $base (dict "summlaunch.dev/framework" $framework) -}}
{{- if $v.queue }}{{ $_ := set $jobLabels "kueue.x-k8s.io/queue-name" $v.queue }}{{ end -}}
{{- $zone := $v.tpuZone | default $tpu.zone -}}
{{- $c := dict "name" $name "namespace" (include "summlaunch.namespace" .) "framework" $framework "kind" $kind "backend" $backend -}}
{{- $_ := set $c "image" ($v.image | default (get $v.defaultImages $stack)) -}}
{{- $_ := set $c "imagePullPolicy" $v.imagePullPolicy -}}
{{- $_ := set $c "nodes" $size.nodes -}}
{{- $_ := set $c "perNode" $size.perNode -}}
{{- $_ := set $c "procs" (max 1 (int $size.perNode)) -}}
{{- $_ := set $c "gpuResource" $v.gpuResource -}}
{{- $_ := set $c "tpu" $tpu -}}
{{- $_ := set $c "slices" (int $v.slices) -}}
{{- $_ := set $c "zone" $zone -}}
{{- $_ := set $c "location" ($v.gkeLocation | default $zone) -}}
{{- $_ := set $c "gkeCluster" $v.gkeCluster -}}
{{- $_ := set $c "cpu" (toString $v.cpu) -}}
{{- $_ := set $c "memory" (toString $v.memory) -}}
{{- $_ := set $c "shmSize" (toString $v.shmSize) -}}
{{- $pvcSize := ternary "" (toString $v.pvcSize) (empty $v.pvcSize) -}}
{{- $_ := set $c "pvcSize" $pvcSize -}}
{{- $_ := set $c "pvc" ($v.pvc | default (ternary (printf "%s-workspace" $name) "summlaunch-workspace" (ne $pvcSize ""))) -}}
{{- range $key := list "pvcAccessMode" "storageClass" "priorityClass" "serviceAccount" "restartPolicy" "runtime" "accelerateConfig" "privileged" "nodePool" "backoffLimit" "activeDeadline" "ttlAfterFinished" -}}
{{- $_ := set $c $key (get $v $key) -}}
{{- end -}}
{{- $_ := set $c "annotations" ($v.annotations | default dict) -}}
{{- $_ := set $c "nodeSelector" ($v.nodeSelector | default dict) -}}
{{- $_ := set $c "userLabels" ($v.labels | default dict) -}}
{{- $_ := set $c "baseLabels" $base -}}
{{- $_ := set $c "jobLabels" $jobLabels -}}
{{- $_ := set $c "chartLabels" (include "summlaunch.chartLabels" . | fromJson) -}}
{{- $_ := set $c "env" (include "summlaunch.commonEnv" $v | fromJsonArray) -}}
{{- $_ := set $c "tolerations" (include "summlaunch.tolerations" $v | fromJsonArray) -}}
{{- $_ := set $c "train" (include "summlaunch.train" (dict "v" $v "name" $name "framework" $framework) | fromJsonArray) -}}
{{- $_ := set $c "pools" (include "summlaunch.pools" $c | fromJsonArray) -}}
{{- include "summlaunch.validate" (dict "v" $v "c" $c "stack" $stack) -}}
{{- toJson $c -}}
{{- end -}}

{{/* HF_HOME, PYTHONUNBUFFERED, the user's env (sorted by name), HF_TOKEN from the Secret. */}}
{{- define "summlaunch.commonEnv" -}}
{{- $env := list (dict "name" "HF_HOME" "value" "/workspace/hf-cache") (dict "name" "PYTHONUNBUFFERED" "value" "1") -}}
{{- range $key, $value := .env -}}
{{- $env = append $env (dict "name" $key "value" (toString $value)) -}}
{{- end -}}
{{- if .hfTokenSecret -}}
{{- $env = append $env (dict "name" "HF_TOKEN" "secret" .hfTokenSecret "key" "token") -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* Tolerations with the operator filled in: Equal with a value, Exists without. */}}
{{- define "summlaunch.tolerations" -}}
{{- $out := list -}}
{{- range $i, $t := .tolerations -}}
{{- $hasValue := not (kindIs "invalid" $t.value) -}}
{{- $op := $t.operator | default (ternary "Equal" "Exists" $hasValue) -}}
{{- if and (eq $op "Exists") $hasValue -}}
{{- fail (printf "tolerations[%d] (key %s): operator Exists takes no value; drop the value or use operator Equal" $i (toJson $t.key)) -}}
{{- end -}}
{{- $item := dict "key" $t.key "operator" $op -}}
{{- if $hasValue }}{{ $_ := set $item "value" $t.value }}{{ end -}}
{{- if $t.effect }}{{ $_ := set $item "effect" $t.effect }}{{ end -}}
{{- $out = append $out $item -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The training flags, with --pad_to_max_length (xla) and --output_dir added when missing. */}}
{{- define "summlaunch.train" -}}
{{- $train := .v.train | default list -}}
{{- $flags := list -}}
{{- range $train -}}
{{- if hasPrefix "--" . }}{{ $flags = append $flags (regexReplaceAll "=.*$" (trimPrefix "--" .) "") }}{{ end -}}
{{- end -}}
{{- if and (eq .framework "xla") (not (has "pad_to_max_length" $flags)) -}}
{{- $train = append $train "--pad_to_max_length" -}}
{{- end -}}
{{- if not (has "output_dir" $flags) -}}
{{- $train = concat $train (list "--output_dir" (printf "/workspace/outputs/%s" .name)) -}}
{{- end -}}
{{- toJson $train -}}
{{- end -}}

{{/* Framework: xla with a TPU, else .Values.framework (auto: torch); TPU-only values need a TPU. */}}
{{- define "summlaunch.framework" -}}
{{- $f := .v.framework | default "auto" -}}
{{- if .tpu.hosts -}}
{{- if not (has $f (list "auto" "xla")) -}}
{{- fail (printf "tpu %s: TPUs run with framework xla, not %s" (toJson .v.tpu) (toJson $f)) -}}
{{- end -}}
xla
{{- else -}}
{{- if eq $f "xla" -}}
{{- fail "framework xla: needs tpu (e.g. tpu: v5e-16)" -}}
{{- end -}}
{{- if .v.tpuTopology }}{{ fail "tpuTopology: only with tpu" }}{{ end -}}
{{- if .v.tpuZone }}{{ fail "tpuZone: only with tpu" }}{{ end -}}
{{- if .v.gkeLocation }}{{ fail "gkeLocation: only with tpu" }}{{ end -}}
{{- if ne .v.gkeCluster "summlaunch" }}{{ fail "gkeCluster: only with tpu" }}{{ end -}}
{{- if .v.privileged }}{{ fail "privileged: only with tpu (TPUs on GKE older than 1.28)" }}{{ end -}}
{{- if not .v.nodePool }}{{ fail "nodePool: only with tpu" }}{{ end -}}
{{- if ne (int .v.slices) 1 }}{{ fail "slices: only with tpu" }}{{ end -}}
{{- ternary "torch" $f (eq $f "auto") -}}
{{- end -}}
{{- end -}}

{{/* Kind: .Values.kind if the framework allows it (auto: the framework's usual kind). */}}
{{- define "summlaunch.kind" -}}
{{- $allowed := get (dict "torch" (list "pytorchjob" "trainjob" "job") "accelerate" (list "pytorchjob" "trainjob" "job") "tf" (list "tfjob" "job") "xla" (list "jobset")) .framework -}}
{{- $kind := .v.kind | default "auto" -}}
{{- if eq $kind "auto" -}}
{{- first $allowed -}}
{{- else if has $kind $allowed -}}
{{- $kind -}}
{{- else -}}
{{- fail (printf "kind %s: not for framework %s; use %s" $kind .framework (join " or " $allowed)) -}}
{{- end -}}
{{- end -}}
