package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/gennctl/gennctl/codegen"
	"github.com/spf13/cobra"
)

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the gennctl version, VCS commit, code generator and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ver, rev, dirty := buildInfo()
			if rev == "" {
				rev = "unknown"
			}
			if dirty {
				rev += " (dirty)"
			}
			fmt.Fprintf(stdout, "gennctl %s\ncommit %s\ncodegen %s, module ABI %d\n%s %s/%s\n", ver, rev, codegen.Version, codegen.ABIVersion,
				runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
