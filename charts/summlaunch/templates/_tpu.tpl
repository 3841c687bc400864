{{/*
GKE TPU facts from files/tpu_types.yaml (a copy of manifests/tpu_types.yaml, kept equal by
tests/helm): the slice of .Values.tpu (+ tpuTopology), as JSON {} when there is no TPU.
Mirrors summlaunch.tpu_types.lookup, with the same checks.
*/}}
{{- define "summlaunch.tpuSlice" -}}
{{- $v := .Values -}}
{{- if not $v.tpu -}}
{}
{{- else -}}
{{- $table := (.Files.Get "files/tpu_types.yaml" | fromYaml).generations -}}
{{- $raw := $v.tpu | trim | lower -}}
{{- $valid := list -}}
{{- range $g, $row := $table }}{{ range $s, $_ := $row.sizes }}{{ $valid = append $valid (printf "%s-%s" $g $s) }}{{ end }}{{ end -}}
{{- if not (regexMatch "^[a-z0-9]+-[0-9]+$" $raw) -}}
{{- fail (printf "tpu %s: not GENERATION-SIZE (e.g. v5e-16); valid: %s" (toJson $v.tpu) (join ", " $valid)) -}}
{{- end -}}
{{- $parts := splitList "-" $raw -}}
{{- $want := first $parts -}}
{{- $size := atoi (last $parts) -}}
{{- $found := dict -}}
{{- range $g, $row := $table -}}
{{- if or (eq $g $want) (has $want ($row.aliases | default list)) }}{{ $_ := set $found "gen" $g }}{{ $_ := set $found "row" $row }}{{ end -}}
{{- end -}}
{{- if not $found.gen -}}
{{- fail (printf "tpu %s: unknown TPU generation %s; valid: %s" (toJson $v.tpu) (toJson $want) (join ", " $valid)) -}}
{{- end -}}
{{- $row := $found.row -}}
{{- $entry := get $row.sizes (toString $size) -}}
{{- if not $entry -}}
{{- fail (printf "tpu %s: not a %s size; valid: %s-%s" (toJson $v.tpu) $found.gen $found.gen (join (printf ", %s-" $found.gen) (keys $row.sizes | sortAlpha))) -}}
{{- end -}}
{{- $chips := ternary (div $size 2) $size (eq $row.size_unit "cores") -}}
{{- $perHost := int $entry.chips_per_host -}}
{{- $type := printf "%s-%d" $found.gen $size -}}
{{- $topology := $entry.topology -}}
{{- if $v.tpuTopology -}}
{{- $topology = include "summlaunch.tpuTopology" (dict "topology" $v.tpuTopology "dims" (int $row.dims) "chips" $chips "perHost" $perHost "type" $type) -}}
{{- end -}}
{{- toJson (dict "type" $type "accelerator" $row.accelerator "topology" $topology "machineType" $entry.machine_type "chips" $chips "chipsPerHost" $perHost "hosts" (div $chips $perHost) "zone" $row.zone) -}}
{{- end -}}
{{- end -}}

{{/* A topology override, checked: dims dimensions whose product is the chip count. */}}
{{- define "summlaunch.tpuTopology" -}}
{{- $t := .topology | trim | lower -}}
{{- $example := ternary "2x2x4" "4x4" (eq .dims 3) -}}
{{- if or (not (regexMatch "^[0-9]+(x[0-9]+)+$" $t)) (ne (len (splitList "x" $t)) .dims) -}}
{{- fail (printf "tpuTopology %s: not a %d-dimensional topology like %s (for %s)" (toJson .topology) .dims $example .type) -}}
{{- end -}}
{{- $product := 1 -}}
{{- range splitList "x" $t }}{{ $product = mul $product (atoi .) }}{{ end -}}
{{- if ne (int $product) (int .chips) -}}
{{- fail (printf "tpuTopology %s: has %d chips but %s has %d; pick a topology whose dimensions multiply to the chip count" $t $product .type .chips) -}}
{{- end -}}
{{- if and (gt (int .chips) (int .perHost)) (ne (mod .chips .perHost) 0) -}}
{{- fail (printf "tpuTopology %s: %d chips do not fill hosts of %d chips" $t .chips .perHost) -}}
{{- end -}}
{{- $t -}}
{{- end -}}

{{/* Node pools, one per slice: {name, gcloud}; the gcloud command quoted like Python's shlex.quote. */}}
{{- define "summlaunch.pools" -}}
{{- $pools := list -}}
{{- if .tpu.hosts -}}
{{- range $i := until (int .slices) -}}
{{- $pool := printf "%s-pool-%d" $.name $i -}}
{{- $parts := list "gcloud" "container" "node-pools" "create" $pool (printf "--cluster=%s" $.gkeCluster) (printf "--location=%s" $.location) (printf "--node-locations=%s" $.zone) (printf "--machine-type=%s" $.tpu.machineType) (printf "--num-nodes=%d" (int $.tpu.hosts)) -}}
{{- if gt (int $.tpu.hosts) 1 }}{{ $parts = append $parts (printf "--tpu-topology=%s" $.tpu.topology) }}{{ end -}}
{{- $quoted := list -}}
{{- range $parts }}{{ $quoted = append $quoted (include "summlaunch.shquote" .) }}{{ end -}}
{{- $pools = append $pools (dict "name" $pool "gcloud" (join " " $quoted)) -}}
{{- end -}}
{{- end -}}
{{- toJson $pools -}}
{{- end -}}

{{/* One shell word, quoted like Python's shlex.quote. */}}
{{- define "summlaunch.shquote" -}}
{{- if eq . "" -}}
''
{{- else if regexMatch "^[a-zA-Z0-9_@%+=:,./-]+$" . -}}
{{- . -}}
{{- else -}}
'{{ replace "'" "'\"'\"'" . }}'
{{- end -}}
{{- end -}}

{{/*
Nodes and GPUs per node from gpus / nodes / gpusPerNode (mirrors summlaunch.spec_build._gpus);
with a TPU: one node per TPU host and no GPU values allowed.
*/}}
{{- define "summlaunch.size" -}}
{{- $gpus := .v.gpus -}}{{- $nodes := .v.nodes -}}{{- $per := .v.gpusPerNode -}}
{{- $hasGpus := not (kindIs "invalid" $gpus) -}}{{- $hasNodes := not (kindIs "invalid" $nodes) -}}{{- $hasPer := not (kindIs "invalid" $per) -}}
{{- if .tpu.hosts -}}
{{- if or $hasGpus $hasNodes $hasPer -}}
{{- fail "gpus/nodes/gpusPerNode: not with tpu (hosts come from the TPU type)" -}}
{{- end -}}
{{- toJson (dict "nodes" .tpu.hosts "perNode" 0) -}}
{{- else if not $hasGpus -}}
{{- toJson (dict "nodes" (ternary (int $nodes) 1 $hasNodes) "perNode" (ternary (int $per) 0 $hasPer)) -}}
{{- else if $hasPer -}}
{{- if and $hasNodes (ne (mul (int $per) (int $nodes)) (int $gpus)) -}}
{{- fail (printf "gpus %d: does not equal nodes %d x gpusPerNode %d" (int $gpus) (int $nodes) (int $per)) -}}
{{- end -}}
{{- if or (eq (int $per) 0) (ne (mod (int $gpus) (int $per)) 0) -}}
{{- fail (printf "gpus %d: not a multiple of gpusPerNode %d" (int $gpus) (int $per)) -}}
{{- end -}}
{{- toJson (dict "nodes" (div (int $gpus) (int $per)) "perNode" (int $per)) -}}
{{- else -}}
{{- $n := ternary (int $nodes) 1 $hasNodes -}}
{{- if ne (mod (int $gpus) $n) 0 -}}
{{- fail (printf "gpus %d: cannot be split evenly over nodes %d; use a multiple of %d" (int $gpus) $n $n) -}}
{{- end -}}
{{- toJson (dict "nodes" $n "perNode" (div (int $gpus) $n)) -}}
{{- end -}}
{{- end -}}
