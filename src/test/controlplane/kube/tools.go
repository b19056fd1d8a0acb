//go:build tools

// Package tools pins the commands that ../build.sh builds, so that go.mod and
// go.sum cover all of their dependencies.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
