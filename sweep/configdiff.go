package sweep

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxChanges bounds the changes a ConfigChangedError lists.
const maxChanges = 12

// DiffConfigs compares two experiment documents as parsed YAML values
// (anchors and merge keys resolved, comments and formatting ignored) and
// returns one line per difference, e.g.
//
//	sweep.grid.populations.E.params.TauM: [10,20] -> [10,20,30]
//	populations.I: removed
//
// sorted by path. Equal documents give no lines.
func DiffConfigs(old, new []byte) ([]string, error) {
	var a, b any
	if err := yaml.Unmarshal(old, &a); err != nil {
		return nil, fmt.Errorf("recorded config: %w", err)
	}
	if err := yaml.Unmarshal(new, &b); err != nil {
		return nil, fmt.Errorf("new config: %w", err)
	}
	var out []string
	diffValues("", a, b, &out)
	sort.Strings(out)
	return out, nil
}

func diffValues(path string, a, b any, out *[]string) {
	name := path
	if name == "" {
		name = "(document)"
	}
	am, aok := asMap(a)
	bm, bok := asMap(b)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				*out = append(*out, fmt.Sprintf("%s: added (%s)", p, short(bv)))
			case !bin:
				*out = append(*out, fmt.Sprintf("%s: removed (was %s)", p, short(av)))
			default:
				diffValues(p, av, bv, out)
			}
		}
		return
	}
	if equalValues(a, b) {
		return
	}
	*out = append(*out, fmt.Sprintf("%s: %s -> %s", name, short(a), short(b)))
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[fmt.Sprint(k)] = x
		}
		return out, true
	}
	return nil, false
}

// equalValues compares scalars numerically where both are numbers (20 and
// 20.0 are equal, as they are to the sweep's ids).
func equalValues(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			var d []string
			diffValues("x", as[i], bs[i], &d)
			if len(d) > 0 {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// short renders a value on one line, at most 60 characters.
func short(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = strconv.Quote(x)
	case nil:
		s = "null"
	default:
		if m, ok := asMap(v); ok {
			v = m
		}
		b, err := json.Marshal(v)
		if err != nil {
			s = fmt.Sprint(v)
		} else {
			s = string(b)
		}
	}
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
