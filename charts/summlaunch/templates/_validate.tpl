{{/*
summlaunch.validate: fails early on what values.schema.json cannot express (the same checks
as summlaunch.spec_build / summlaunch.checks). Args: dict "v" .Values "c" context "stack".
Every message names the value and says how to fix it.
*/}}
{{- define "summlaunch.validate" -}}
{{- $v := .v -}}{{- $c := .c -}}
{{- if or (gt (len $c.name) 40) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $c.name)) -}}
{{- fail (printf "name %s: must be a DNS-1035 label of at most 40 characters (lowercase letters, digits and '-', starting with a letter), e.g. t5-cnn; set name or pick another release name" (toJson $c.name)) -}}
{{- end -}}
{{- include "summlaunch.validateImage" . -}}
{{- if and $v.accelerateConfig (ne $c.framework "accelerate") -}}
{{- fail (printf "accelerateConfig: only for framework accelerate, not %s" $c.framework) -}}
{{- end -}}
{{- if and (eq $c.kind "trainjob") $v.priorityClass -}}
{{- fail "priorityClass: a TrainJob cannot set it (Trainer v2 runtime patches have no priorityClassName); set it in the ClusterTrainingRuntime instead" -}}
{{- end -}}
{{- if and (eq $c.kind "job") (gt (int $c.nodes) 1) -}}
{{- fail (printf "kind job: one node only, not %d nodes; use kind pytorchjob (or tfjob) for several nodes" (int $c.nodes)) -}}
{{- end -}}
{{- include "summlaunch.validateEnv" $v -}}
{{- range $key, $_ := $v.labels -}}
{{- if has $key (list "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/managed-by" "app.kubernetes.io/component" "summlaunch.dev/job" "summlaunch.dev/replica-type" "summlaunch.dev/framework") -}}
{{- fail (printf "labels.%s: is set by summlaunch (it is how summlaunch finds the job's pods); use another key" $key) -}}
{{- end -}}
{{- end -}}
{{- include "summlaunch.validateTrain" $c -}}
{{- end -}}

{{/* The image's stack (words xla/tpu, tf/tensorflow, torch/pytorch/cuda) must be the framework's. */}}
{{- define "summlaunch.validateImage" -}}
{{- $words := regexSplit "[/:_.@-]+" (lower .c.image) -1 -}}
{{- $found := "" -}}
{{- range $stack := list "xla" "tf" "torch" -}}
{{- range $word := get (dict "xla" (list "xla" "tpu") "tf" (list "tf" "tensorflow") "torch" (list "torch" "pytorch" "cuda")) $stack -}}
{{- if and (not $found) (has $word $words) }}{{ $found = $stack }}{{ end -}}
{{- end -}}
{{- end -}}
{{- if and $found (ne $found .stack) -}}
{{- fail (printf "image %s: looks like a %s image but framework %s needs the %s stack; build one with `summlaunch build --framework %s` or leave image empty" (toJson .c.image) $found .c.framework .stack .c.framework) -}}
{{- end -}}
{{- end -}}

{{/* No secrets as literals: env names that look like a token, and names summlaunch or the operator set. */}}
{{- define "summlaunch.validateEnv" -}}
{{- range $key, $_ := .env -}}
{{- if or (has $key (list "HF_HOME" "HF_TOKEN" "HUGGING_FACE_HUB_TOKEN" "MASTER_ADDR" "MASTER_PORT" "WORLD_SIZE" "RANK" "TF_CONFIG" "PJRT_DEVICE")) (hasPrefix "PET_" $key) -}}
{{- fail (printf "env.%s: is set by summlaunch or the operator; use the matching value (hfTokenSecret for the token)" $key) -}}
{{- end -}}
{{- if regexMatch "(?i)TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE_KEY" $key -}}
{{- fail (printf "env.%s: looks like a secret given as a literal; never put secrets in values: store it in a Secret (for the HF token set hfTokenSecret: NAME)" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Training flags: no --hub_token literal, --output_dir on the /workspace volume, static shapes on XLA. */}}
{{- define "summlaunch.validateTrain" -}}
{{- $train := .train -}}
{{- range $i, $arg := $train -}}
{{- $next := "" -}}
{{- if lt (add1 $i | int) (len $train) }}{{ $next = index $train (add1 $i | int) }}{{ end -}}
{{- if or (eq $arg "--hub_token") (hasPrefix "--hub_token=" $arg) -}}
{{- fail "train: --hub_token: never put a token in values; store it in a Secret and set hfTokenSecret: NAME (the pods get HF_TOKEN from it)" -}}
{{- end -}}
{{- $backend := "" -}}
{{- if eq $arg "--backend" }}{{ $backend = $next }}{{ else if hasPrefix "--backend=" $arg }}{{ $backend = trimPrefix "--backend=" $arg }}{{ end -}}
{{- if and $backend (ne $backend $.backend) -}}
{{- fail (printf "train: --backend %s: the chart sets it from framework %s (%s); drop it or change framework" $backend $.framework $.backend) -}}
{{- end -}}
{{- $dir := "" -}}
{{- if eq $arg "--output_dir" }}{{ $dir = $next }}{{ else if hasPrefix "--output_dir=" $arg }}{{ $dir = trimPrefix "--output_dir=" $arg }}{{ end -}}
{{- if and $dir (or (not (hasPrefix "/workspace/" (clean $dir))) (has ".." (splitList "/" $dir))) -}}
{{- fail (printf "train: --output_dir %s: not on the shared volume; a restarted pod would lose its checkpoints; use a path under /workspace/ (e.g. /workspace/outputs/%s)" $dir $.name) -}}
{{- end -}}
{{- if and (eq $.framework "xla") (or (and (eq $arg "--pad_to_max_length") (has (lower $next) (list "false" "0" "no"))) (has (lower $arg) (list "--pad_to_max_length=false" "--pad_to_max_length=0" "--pad_to_max_length=no"))) -}}
{{- fail "train: --pad_to_max_length false: XLA/TPU needs static shapes (every new shape recompiles); drop the flag or set it true" -}}
{{- end -}}
{{- end -}}
{{- end -}}
