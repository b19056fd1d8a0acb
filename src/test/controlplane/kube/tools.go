//go:build tools

// Package tools pins the commands that ../build.sh builds, so that go.mod and
// go.sum cover all of their dependencies: the control plane of the end-to-end
// suite (kube-apiserver, kubectl) and the rest of the single-node cluster of
// `make cluster` (kubelet, kube-scheduler, kube-controller-manager, kube-proxy).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
