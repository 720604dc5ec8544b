package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/spf13/cobra"
)

// jsonDiagnostic is one problem of a failed command in its --json form.
type jsonDiagnostic struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// jsonError is what a command run with --json prints on stdout when it
// fails: one line, after any events it printed. Diagnostics lists the
// decoder's problems (file, line, column, config path), an unknown or
// misplaced token in a code string, or, for a C compiler error in model
// code, the compiler's error lines at their YAML positions.
type jsonError struct {
	Event       string           `json:"event"` // "error"
	Exit        int              `json:"exit"`
	Message     string           `json:"message"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
	// CompilerOutput is the compiler's whole output for a compile error.
	CompilerOutput string `json:"compiler_output,omitempty"`
}

// compilerError matches a compiler's error line: file:line:col: error: msg.
var compilerError = regexp.MustCompile(`(?m)^(.+?):(\d+):(\d+): (?:fatal )?error: (.*)$`)

func newJSONError(err error, code int) jsonError {
	out := jsonError{Event: "error", Exit: code, Message: err.Error(), Diagnostics: []jsonDiagnostic{}}
	var ds modelspec.Diagnostics
	var d modelspec.Diagnostic
	var ce *gpu.CompileError
	var tok *codegen.CodeError
	switch {
	case errors.As(err, &ds):
		for _, d := range ds {
			out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{d.Pos.File, d.Pos.Line, d.Pos.Col, d.Path, d.Msg})
		}
	case errors.As(err, &d):
		out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{d.Pos.File, d.Pos.Line, d.Pos.Col, d.Path, d.Msg})
	case errors.As(err, &tok):
		out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{tok.Pos.File, tok.Pos.Line, tok.Pos.Col, tok.Site.Path,
			fmt.Sprintf("%s %s of model %s: %s", tok.Site.Group, tok.Site.Field, tok.Site.Model, tok.Msg)})
	case errors.As(err, &ce):
		out.CompilerOutput = ce.Stderr
		for _, m := range compilerError.FindAllStringSubmatch(ce.Stderr, -1) {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{File: m[1], Line: line, Col: col, Message: m[4]})
		}
	}
	return out
}

// jsonRequested reports whether cmd was run with --json.
func jsonRequested(cmd *cobra.Command) bool {
	if cmd == nil || cmd.Flags().Lookup("json") == nil {
		return false
	}
	on, err := cmd.Flags().GetBool("json")
	return err == nil && on
}

func writeJSONError(w io.Writer, err error, code int) {
	_ = json.NewEncoder(w).Encode(newJSONError(err, code))
}
