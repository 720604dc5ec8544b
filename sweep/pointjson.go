package sweep

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PointJSON encodes a point's assignments as a JSON object, as
// encoding/json writes the map of paths to decoded values (keys sorted).
// Points that assign plain numbers, all of a sampled sweep's, are written
// directly: a sweep encodes every variant's point, and decoding each value
// into an interface and marshalling a map was a twentieth of a tiny
// variant's orchestration.
func PointJSON(p Point) string {
	if b, ok := numericPointJSON(p); ok {
		return string(b)
	}
	return decodedPointJSON(p)
}

// decodedPointJSON is PointJSON of any point: encoding/json's text of the map
// of paths to YAML-decoded values.
func decodedPointJSON(p Point) string {
	m := map[string]any{}
	for _, a := range p.Assign {
		var v any
		if err := a.Value.Decode(&v); err != nil {
			v = a.Value.Value
		}
		m[a.Path] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// numericPointJSON is PointJSON of a point whose paths are in strictly
// increasing order, need no JSON escaping, and whose values are finite
// decimal !!float or !!int scalars; ok is false for any other point.
func numericPointJSON(p Point) (b []byte, ok bool) {
	b = append(make([]byte, 0, 64), '{')
	for i, a := range p.Assign {
		if i > 0 && a.Path <= p.Assign[i-1].Path || !plainJSONKey(a.Path) {
			return nil, false
		}
		v := a.Value
		if v.Kind != yaml.ScalarNode {
			return nil, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), a.Path...), '"', ':')
		switch v.ShortTag() {
		case "!!float":
			// Decimal digits, sign, point and exponent only: strconv
			// also reads forms YAML does not (hex, "inf"). Zero is left
			// to YAML, which reads "-0" as an integer (so +0).
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || f == 0 || strings.Trim(v.Value, "0123456789+-.eE") != "" || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, false
			}
			b = appendJSONFloat(b, f)
		case "!!int":
			// Only the canonical decimal form: YAML reads others ("+7",
			// "0o7") in ways strconv does not.
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil || strconv.FormatInt(n, 10) != v.Value {
				return nil, false
			}
			b = strconv.AppendInt(b, n, 10)
		default:
			return nil, false
		}
	}
	return append(b, '}'), true
}

// plainJSONKey reports whether encoding/json writes s as itself in quotes.
func plainJSONKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendJSONFloat writes f as encoding/json writes a float64: the shortest
// decimal, in exponent form (with a one-digit negative exponent written
// without its leading zero) only below 1e-6 or from 1e21.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
