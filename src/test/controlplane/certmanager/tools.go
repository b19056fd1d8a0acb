//go:build tools

// Package tools pins the cert-manager commands that ../build.sh builds, so that go.mod and go.sum cover all of
// their dependencies.
package tools

import (
	_ "github.com/cert-manager/cert-manager/cmd/cainjector"
	_ "github.com/cert-manager/cert-manager/cmd/controller"
)
