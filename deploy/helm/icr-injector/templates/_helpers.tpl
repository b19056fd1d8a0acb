{{/* Labels of every object: those of deploy/base plus Helm's standard ones. */}}
{{- define "icr.labels" -}}
app.kubernetes.io/name: icr-injector
app.kubernetes.io/part-of: icr-injector
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "icr.selector" -}}
app.kubernetes.io/name: icr-injector
app.kubernetes.io/component: webhook
{{- end -}}

{{/*
The hosts the webhooks' matchConditions look for, as a CEL list literal: bluemix.net, every rewrite's
source host, every pull-secret rule's host without its wildcard labels; lower case, no port, sorted, unique.
*/}}
{{- define "icr.needles" -}}
{{- $hosts := list "bluemix.net" -}}
{{- range .Values.rules.rewrites -}}
{{- $hosts = append $hosts (regexReplaceAll ":[0-9]+$" (first (splitList "=" .) | lower) "") -}}
{{- end -}}
{{- range .Values.rules.pullSecretRules -}}
{{- $host := regexReplaceAll ":[0-9]+$" (first (splitList "/" (first (splitList "=" .))) | lower) "" -}}
{{- $hosts = append $hosts (regexReplaceAll "^.*\\*\\." $host "") -}}
{{- end -}}
{{- $quoted := list -}}
{{- range ($hosts | uniq | sortAlpha) -}}
{{- $quoted = append $quoted (printf "%q" .) -}}
{{- end -}}
[{{ join ", " $quoted }}]
{{- end -}}

{{/* The pull-secret names of the rules, sorted and unique (the ClusterRole names them). */}}
{{- define "icr.secretNames" -}}
{{- $names := list -}}
{{- range .Values.rules.pullSecretRules -}}
{{- $names = append $names (last (splitList "=" .)) -}}
{{- end -}}
{{- toJson ($names | uniq | sortAlpha) -}}
{{- end -}}

{{- define "icr.checks" -}}
{{- if eq .Values.certificates.mode "provided" -}}
{{- with .Values.certificates.provided -}}
{{- if not (and .caCrt .tlsCrt .tlsKey) -}}
{{- fail "certificates.mode=provided needs certificates.provided.caCrt, .tlsCrt and .tlsKey (PEM; e.g. --set-file certificates.provided.caCrt=certs/out/ca.crt)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
