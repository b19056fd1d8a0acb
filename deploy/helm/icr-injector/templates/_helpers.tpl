{{/* Labels of every object: those of deploy/base plus Helm's standard ones. */}}
{{- define "icr.labels" -}}
app.kubernetes.io/name: icr-injector
app.kubernetes.io/part-of: icr-injector
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The webhook's image: repository@digest when a digest is given, else repository:tag (tag defaults to appVersion). */}}
{{- define "icr.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods mount: the chart's icr-injector-tls, or the one certificates.existingSecret names. */}}
{{- define "icr.tlsSecret" -}}
{{- if eq .Values.certificates.mode "existingSecret" -}}
{{- .Values.certificates.existingSecret.name -}}
{{- else -}}
icr-injector-tls
{{- end -}}
{{- end -}}

{{/* The webhooks' caBundle when cert-manager does not inject it (empty with certManager). */}}
{{- define "icr.caBundle" -}}
{{- if eq .Values.certificates.mode "provided" -}}
{{- .Values.certificates.provided.caCrt | b64enc -}}
{{- else if eq .Values.certificates.mode "existingSecret" -}}
{{- .Values.certificates.existingSecret.caBundle | b64enc -}}
{{- end -}}
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
{{- if eq .Values.certificates.mode "existingSecret" -}}
{{- with .Values.certificates.existingSecret -}}
{{- if not (and .name .caBundle) -}}
{{- fail "certificates.mode=existingSecret needs certificates.existingSecret.name (a kubernetes.io/tls Secret in the release namespace) and certificates.existingSecret.caBundle (PEM of its CA)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The sources of rules.rewrites as a CEL list of strings, in the rules' order (the safety net's deprecatedHosts). */}}
{{- define "icr.deprecatedHosts" -}}
{{- $hosts := list -}}
{{- range .Values.rules.rewrites -}}
{{- $hosts = append $hosts (printf "'%s'" (regexReplaceAll ":443$" (first (splitList "=" .) | lower) "")) -}}
{{- end -}}
[{{ join ", " ($hosts | uniq) }}]
{{- end -}}
