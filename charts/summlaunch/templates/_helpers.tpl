{{/*
Names, labels and small YAML pieces shared by every template. Every value from .Values
goes out through toJson, so no value (quotes, newlines, `{{ }}`, YAML syntax) can change
the structure of an object. Pieces emit YAML at column 0; callers indent with nindent.
*/}}

{{/* The job name: .Values.name, else the release name. */}}
{{- define "summlaunch.name" -}}
{{- .Values.name | default .Release.Name -}}
{{- end -}}

{{/* The namespace of every object: .Values.namespace, else the release namespace. */}}
{{- define "summlaunch.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* helm.sh/chart label value. */}}
{{- define "summlaunch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Chart-only labels, on top-level objects only (pod templates carry exactly what
`summlaunch render` gives): helm.sh/chart, and app.kubernetes.io/managed-by set to
the release service (Helm), which is what Helm stamps on installed objects anyway.
*/}}
{{- define "summlaunch.chartLabels" -}}
{{- toJson (dict "helm.sh/chart" (include "summlaunch.chart" .) "app.kubernetes.io/managed-by" .Release.Service) -}}
{{- end -}}

{{/* A mapping of strings (or numbers) as `"key": value` lines, or {} when empty. */}}
{{- define "summlaunch.mapping" -}}
{{- if . -}}
{{- $lines := list -}}
{{- range $key, $value := . -}}
{{- $lines = append $lines (printf "%s: %s" (toJson $key) (toJson $value)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}

{{/*
metadata: of a top-level object. Args: dict "name" "c" (context) "labels" "annotations".
The chart-only labels (c.chartLabels) are added here.
*/}}
{{- define "summlaunch.metadata" -}}
name: {{ .name | toJson }}
namespace: {{ .c.namespace | toJson }}
labels:
  {{- include "summlaunch.mapping" (mustMergeOverwrite (dict) .labels .c.chartLabels) | nindent 2 }}
{{- if .annotations }}
annotations:
  {{- include "summlaunch.mapping" .annotations | nindent 2 }}
{{- end }}
{{- end -}}
