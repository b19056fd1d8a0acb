//go:build tools

// Package tools pins the helm command that ../build.sh builds (for the chart
// tests of deploy/helm/icr-injector), so that go.mod and go.sum cover all of
// its dependencies.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
