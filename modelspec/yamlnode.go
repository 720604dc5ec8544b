package modelspec

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.v3 node tree keeping the file name and collecting
// diagnostics, so that one pass reports every problem with its position.
type decoder struct {
	file  string
	dt    float64  // simulation time step, for derived parameters
	lines []string // source text, for positions inside block scalars
	diags Diagnostics
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.diags.add(d.pos(n), path, format, args...)
}

// entry is one key/value pair of a mapping, in document order.
type entry struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	}
	return fmt.Sprintf("%q", n.Value)
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// setFrom is the number of a mapping's keys from which mapping checks
// duplicates through a set.
const setFrom = 16

// mapping returns the entries of a mapping node; a null node is an empty
// mapping. Duplicate keys are reported.
func (d *decoder) mapping(n *yaml.Node, path string) ([]entry, bool) {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return nil, false
	}
	// Duplicate keys are found by a scan of the entries so far while they
	// are few (a plan decodes every point's document, and a set per mapping
	// was a tenth of its time), through a set beyond.
	out := make([]entry, 0, len(n.Content)/2)
	var seen map[string]bool
	add := func(e entry) bool {
		if seen == nil && len(out) == setFrom {
			seen = make(map[string]bool, len(n.Content)/2)
			for _, o := range out {
				seen[o.Key] = true
			}
		}
		if seen != nil && seen[e.Key] || seen == nil && hasKey(out, e.Key) {
			return false
		}
		if seen != nil {
			seen[e.Key] = true
		}
		out = append(out, e)
		return true
	}
	var merged []entry // from `<<: *anchor`; explicit keys take precedence
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Tag == "!!merge" {
			sources := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				sources = v.Content
			}
			for _, src := range sources {
				es, ok := d.mapping(src, path)
				if ok {
					merged = append(merged, es...)
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "expected a name as key, got %s", kindName(k))
			continue
		}
		if !add(entry{Key: k.Value, KeyN: k, Value: v}) {
			d.errorf(k, path, "duplicate key %q", k.Value)
		}
	}
	for _, e := range merged {
		add(e)
	}
	return out, true
}

// fields decodes a mapping whose allowed keys are known; unknown keys are
// reported with the allowed set.
func (d *decoder) fields(n *yaml.Node, path string, allowed ...string) map[string]entry {
	entries, _ := d.mapping(n, path)
	out := make(map[string]entry, len(entries))
	for _, e := range entries {
		if !contains(allowed, e.Key) {
			d.errorf(e.KeyN, path, "unknown key %q (allowed: %s)", e.Key, strings.Join(allowed, ", "))
			continue
		}
		out[e.Key] = e
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "expected a string, got %s", describeNode(n))
		return "", false
	}
	return n.Value, true
}

func describeNode(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	return kindName(n)
}

// float decodes a finite number.
func (d *decoder) float(n *yaml.Node, path string) (float64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.errorf(n, path, "expected a number, got %s", describeNode(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil {
		if iv, ierr := strconv.ParseInt(n.Value, 0, 64); ierr == nil {
			return float64(iv), true
		}
		d.errorf(n, path, "expected a number, got %q", n.Value)
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.errorf(n, path, "expected a finite number, got %s", n.Value)
		return 0, false
	}
	return v, true
}

// integer decodes an integer in [min, max].
func (d *decoder) integer(n *yaml.Node, path string, min, max int64) (int64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, path, "expected an integer, got %s", describeNode(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		d.errorf(n, path, "expected an integer, got %q", n.Value)
		return 0, false
	}
	if v < min || v > max {
		d.errorf(n, path, "must be between %d and %d, got %d", min, max, v)
		return 0, false
	}
	return v, true
}

func (d *decoder) uint64(n *yaml.Node, path string) (uint64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, path, "expected a non-negative integer, got %s", describeNode(n))
		return 0, false
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		d.errorf(n, path, "expected a non-negative integer below 2^64, got %q", n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, path, "expected true or false, got %s", describeNode(n))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

// floats decodes a list of numbers.
func (d *decoder) floats(n *yaml.Node, path string) ([]float64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list of numbers, got %s", describeNode(n))
		return nil, false
	}
	out := make([]float64, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		v, good := d.float(c, fmt.Sprintf("%s[%d]", path, i))
		ok = ok && good
		out = append(out, v)
	}
	return out, ok
}

// strings decodes a list of strings.
func (d *decoder) strings(n *yaml.Node, path string) []string {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list of names, got %s", kindName(n))
		return nil
	}
	var out []string
	for i, c := range n.Content {
		if s, ok := d.str(c, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listNames formats a "have ..." list for diagnostics.
func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
