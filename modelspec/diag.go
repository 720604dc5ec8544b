package modelspec

import (
	"fmt"
	"strings"
)

// Pos is a position in a source document (1-based line and column).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<builtin>"
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Diagnostic is one problem found in an experiment document: where it is,
// which config path it concerns and what was expected.
type Diagnostic struct {
	Pos  Pos
	Path string // dotted config path, e.g. populations.E.params
	Msg  string
}

func (d Diagnostic) Error() string {
	if d.Path == "" {
		return fmt.Sprintf("%s: %s", d.Pos, d.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Path, d.Msg)
}

// Diagnostics is a list of problems; as an error it prints one per line.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns ds as an error, or nil when it is empty.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	return ds
}

func (ds *Diagnostics) add(pos Pos, path, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}
