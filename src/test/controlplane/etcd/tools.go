//go:build tools

// Package tools pins the etcd server command that ../build.sh builds, so that
// go.mod and go.sum cover all of its dependencies.
package tools

import _ "go.etcd.io/etcd/server/v3"
