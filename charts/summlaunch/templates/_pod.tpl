{{/*
Pod pieces shared by every kind (the chart's counterpart of manifests/_macros.j2).
`c` is the context (_context.tpl); `container` = {name, command, args, env, ports, resources}.
*/}}

{{/* Labels of one replica type's pods: the user's, summlaunch's, summlaunch.dev/replica-type. */}}
{{- define "summlaunch.podLabels" -}}
{{- toJson (mustMergeOverwrite (dict) .c.userLabels .c.baseLabels (dict "summlaunch.dev/replica-type" (lower .replica))) -}}
{{- end -}}

{{/* env list items: the common env, then the container's extra env. */}}
{{- define "summlaunch.env" -}}
{{- range concat .c.env .extra }}
- name: {{ .name | toJson }}
{{- if .secret }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | toJson }}
      key: {{ .key | toJson }}
{{- else if .field }}
  valueFrom:
    fieldRef:
      fieldPath: {{ .field | toJson }}
{{- else }}
  value: {{ .value | toJson }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Restricted Pod Security profile, or privileged (TPUs on GKE older than 1.28 only). */}}
{{- define "summlaunch.containerSecurity" -}}
{{- if .privileged -}}
privileged: true
{{- else -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- end -}}

{{- define "summlaunch.podSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "summlaunch.volumeMounts" -}}
- name: workspace
  mountPath: "/workspace"
- name: dshm
  mountPath: /dev/shm
{{- if .accelerateConfig }}
- name: accelerate-config
  mountPath: "/etc/summlaunch/accelerate"
  readOnly: true
{{- end }}
{{- end -}}

{{- define "summlaunch.volumes" -}}
- name: workspace
  persistentVolumeClaim:
    claimName: {{ .pvc | toJson }}
- name: dshm
  emptyDir:
    medium: Memory
    sizeLimit: {{ .shmSize | toJson }}
{{- if .accelerateConfig }}
- name: accelerate-config
  configMap:
    name: {{ printf "%s-accelerate" .name | toJson }}
{{- end }}
{{- end -}}

{{/* A pod spec. Args: c, container, nodeSelector, restart ("" for none). */}}
{{- define "summlaunch.podSpec" -}}
{{- $c := .c -}}
{{- if .restart }}
restartPolicy: {{ .restart | toJson }}
{{- end }}
{{- if $c.serviceAccount }}
serviceAccountName: {{ $c.serviceAccount | toJson }}
{{- end }}
{{- if $c.priorityClass }}
priorityClassName: {{ $c.priorityClass | toJson }}
{{- end }}
securityContext:
  {{- include "summlaunch.podSecurity" . | nindent 2 }}
{{- if .nodeSelector }}
nodeSelector:
  {{- include "summlaunch.mapping" .nodeSelector | nindent 2 }}
{{- end }}
{{- if $c.tolerations }}
tolerations:
{{- range $c.tolerations }}
  - {{- include "summlaunch.mapping" . | nindent 4 }}
{{- end }}
{{- end }}
containers:
  - name: {{ .container.name | toJson }}
    image: {{ $c.image | toJson }}
    imagePullPolicy: {{ $c.imagePullPolicy | toJson }}
    command: {{ .container.command | toJson }}
    args: {{ .container.args | toJson }}
    env:
      {{- include "summlaunch.env" (dict "c" $c "extra" .container.env) | trim | nindent 6 }}
{{- if .container.ports }}
    ports:
{{- range .container.ports }}
      - name: {{ .name | toJson }}
        containerPort: {{ .number | toJson }}
{{- end }}
{{- end }}
    resources:
      {{- include "summlaunch.resources" (dict "c" $c "accelerator" .container.accelerator) | nindent 6 }}
    securityContext:
      {{- include "summlaunch.containerSecurity" $c | nindent 6 }}
    volumeMounts:
      {{- include "summlaunch.volumeMounts" $c | nindent 6 }}
volumes:
  {{- include "summlaunch.volumes" $c | nindent 2 }}
{{- end -}}

{{/* A pod template. Args: c, replica, container, nodeSelector, restart. */}}
{{- define "summlaunch.podTemplate" -}}
metadata:
  labels:
    {{- include "summlaunch.mapping" (include "summlaunch.podLabels" . | fromJson) | nindent 4 }}
{{- if .c.annotations }}
  annotations:
    {{- include "summlaunch.mapping" .c.annotations | nindent 4 }}
{{- end }}
spec:
  {{- include "summlaunch.podSpec" . | trim | nindent 2 }}
{{- end -}}
