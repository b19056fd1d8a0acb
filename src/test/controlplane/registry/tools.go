//go:build tools

// Package tools pins the registry command that ../build.sh builds (the local
// stand-in for us.icr.io on the node of `make cluster`), so that go.mod and
// go.sum cover all of its dependencies.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
