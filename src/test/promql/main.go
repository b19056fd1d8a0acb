// rules-check: what `promtool check rules` does to a rule file (rulefmt.ParseFile: strict YAML, every expression
// parsed, every label and annotation template parsed), for each file named on the command line.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	p := parser.NewParser(parser.Options{})
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	failed := false
	for _, f := range os.Args[1:] {
		groups, errs := rulefmt.ParseFile(f, false, model.LegacyValidation, p, logger)
		if errs != nil {
			failed = true
			for _, e := range errs {
				fmt.Fprintln(os.Stderr, "FAILED:", e)
			}
			continue
		}
		n := 0
		for _, g := range groups.Groups {
			n += len(g.Rules)
		}
		fmt.Printf("SUCCESS: %s: %d rules found\n", f, n)
	}
	if failed {
		os.Exit(1)
	}
}
