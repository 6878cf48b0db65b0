{{/* The chart's name, overridable. */}}
{{- define "driftguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name: the release name, or release-chart when they differ. */}}
{{- define "driftguard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "driftguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "driftguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "driftguard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "driftguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "driftguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "driftguard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret with the serving certificate (self-managed by driftguard, or written by cert-manager). */}}
{{- define "driftguard.tlsSecretName" -}}
{{- printf "%s-tls" (include "driftguard.fullname" .) -}}
{{- end -}}

{{/* webhook.url's host, when set: the serving certificate must cover it too. */}}
{{- define "driftguard.urlHost" -}}
{{- with .Values.webhook.url -}}{{- (urlParse .).hostname | trimPrefix "[" | trimSuffix "]" -}}{{- end -}}
{{- end -}}

{{- define "driftguard.urlHostIsIP" -}}
{{- $host := include "driftguard.urlHost" . -}}
{{- if or (regexMatch "^[0-9]+(\\.[0-9]+){3}$" $host) (contains ":" $host) -}}true{{- end -}}
{{- end -}}

{{/* The DNS names the serving certificate must cover: the Service's, and a DNS host of webhook.url. */}}
{{- define "driftguard.dnsNames" -}}
{{- $svc := include "driftguard.fullname" . -}}
- {{ $svc }}.{{ .Release.Namespace }}.svc
- {{ $svc }}.{{ .Release.Namespace }}.svc.cluster.local
{{- $host := include "driftguard.urlHost" . }}
{{- if and $host (not (include "driftguard.urlHostIsIP" .)) }}
- {{ $host }}
{{- end }}
{{- end -}}

{{- define "driftguard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Which Report kinds driftguard writes: config.report.reports, `openreports` when unset (the config's default). */}}
{{- define "driftguard.reportKinds" -}}
{{- $report := default dict .Values.config.report -}}
{{- default "openreports" $report.reports -}}
{{- end -}}

{{/* The writers' Lease: config.report.lease.name, else the release's full name (two releases, two Leases). */}}
{{- define "driftguard.leaseName" -}}
{{- $report := default dict .Values.config.report -}}
{{- $lease := default dict $report.lease -}}
{{- default (include "driftguard.fullname" .) $lease.name -}}
{{- end -}}

{{/* Where the Lease is: config.report.lease.namespace, else the release namespace. */}}
{{- define "driftguard.leaseNamespace" -}}
{{- $report := default dict .Values.config.report -}}
{{- $lease := default dict $report.lease -}}
{{- default .Release.Namespace $lease.namespace -}}
{{- end -}}

{{/* "true" when the web view listens beyond loopback (driftguard's isLoopback): HTTPS, and every caller
brings a Kubernetes token that driftguard checks with TokenReview and SubjectAccessReview. */}}
{{- define "driftguard.webViewBeyondLoopback" -}}
{{- if .Values.webView.enabled -}}
{{- $host := .Values.webView.host -}}
{{- if not (or (eq $host "localhost") (eq $host "::1") (regexMatch "^127(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$" $host)) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* "true" when the Service carries the web view's port: beyond loopback only (on loopback nothing but
kubectl port-forward can reach it). */}}
{{- define "driftguard.webViewExposed" -}}
{{- if and (include "driftguard.webViewBeyondLoopback" .) .Values.webView.service.enabled -}}true{{- end -}}
{{- end -}}
