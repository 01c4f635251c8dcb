{{/* The chart name, or nameOverride. */}}
{{- define "fractal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The resource name prefix: fullnameOverride, else <release>-<name> (or the release alone when it holds the name). */}}
{{- define "fractal.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "fractal.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "fractal.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "fractal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (api, worker, migrate, test). */}}
{{- define "fractal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fractal.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "fractal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fractal.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "fractal.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Whether Redis is configured (inline or by Secret). */}}
{{- define "fractal.hasRedis" -}}
{{- if or .Values.redis.url .Values.redis.existingSecret.name -}}true{{- end -}}
{{- end -}}

{{/* The environment every process gets: config, secrets, the database and Redis URLs. */}}
{{- define "fractal.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "fractal.fullname" .) .Values.database.existingSecret.name }}
      key: {{ if .Values.database.existingSecret.name }}{{ .Values.database.existingSecret.key }}{{ else }}DATABASE_URL{{ end }}
{{- if include "fractal.hasRedis" . }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "fractal.fullname" .) .Values.redis.existingSecret.name }}
      key: {{ if .Values.redis.existingSecret.name }}{{ .Values.redis.existingSecret.key }}{{ else }}REDIS_URL{{ end }}
{{- end }}
{{- end -}}

{{- define "fractal.envFrom" -}}
- configMapRef:
    name: {{ include "fractal.fullname" . }}
- secretRef:
    name: {{ include "fractal.fullname" . }}
{{- with .Values.existingSecret }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration changes. */}}
{{- define "fractal.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{- define "fractal.volumes" -}}
# The root filesystem is read-only: scratch files (TypeScript schema cache) go to /tmp.
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "fractal.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "fractal.probes" -}}
startupProbe:
  httpGet: { path: /ok, port: http }
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /ok, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: "/ok?check_db=1", port: http }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Seconds a pod gets to drain: the drain time plus 15 s to hand runs back and close. */}}
{{- define "fractal.terminationGrace" -}}
{{- add (div .Values.shutdownDrainMs 1000) 15 -}}
{{- end -}}
