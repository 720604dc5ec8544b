package sweep

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestPointJSONAsEncodingJSON: PointJSON writes what encoding/json writes
// for the map of paths to YAML-decoded values (decodedPointJSON), for sampled floats across
// the exponent range (both sides of json's switches to exponent form),
// integers, and values its numeric path leaves to encoding/json (strings,
// other YAML forms of numbers, mappings, keys json escapes).
func TestPointJSONAsEncodingJSON(t *testing.T) {
	scalar := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	plain := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	values := []*yaml.Node{
		scalar("!!float", "0.15885777431303827"), scalar("!!float", "-0"), scalar("!!float", "0"),
		scalar("!!float", "1e-06"), scalar("!!float", "9.99e-07"), scalar("!!float", "1e-07"), scalar("!!float", "1e+21"),
		scalar("!!float", "9.99e+20"), scalar("!!float", "1.5e-300"), scalar("!!float", "1e300"),
		scalar("!!int", "7"), scalar("!!int", "-12"), scalar("!!int", "9007199254740993"),
		plain("0.5"), plain("42"), plain("+7"), plain("0o17"), plain("0x1F"), plain(".inf"), plain("-.Inf"), plain(".nan"),
		plain("1_000"), plain("text"), plain("true"), plain("~"), plain("1e3"), plain("2."),
		{Kind: yaml.MappingNode, Content: []*yaml.Node{plain("init"), plain("Uniform")}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		values = append(values, scalar("!!float", strconv.FormatFloat(f, 'g', -1, 64)))
		e := r.IntN(60) - 30
		values = append(values, scalar("!!float", strconv.FormatFloat(r.Float64()*math.Pow10(e), 'g', -1, 64)))
	}
	for i, v := range values {
		p := Point{Assign: []Assignment{{Path: "populations.E.params.a", Value: v}, {Path: "synapses.EE.weight_update.vars.g", Value: values[(i*7+3)%len(values)]}}}
		require.Equal(t, decodedPointJSON(p), PointJSON(p), "value %q tag %q", v.Value, v.Tag)
	}
	for _, path := range []string{"a<b", "x&y", "q\"", "ü.x"} {
		p := Point{Assign: []Assignment{{Path: path, Value: scalar("!!float", "0.25")}}}
		require.Equal(t, decodedPointJSON(p), PointJSON(p), path)
	}
	unsorted := Point{Assign: []Assignment{{Path: "b", Value: scalar("!!int", "1")}, {Path: "a", Value: scalar("!!int", "2")}}}
	require.Equal(t, `{"a":2,"b":1}`, PointJSON(unsorted))
}

// TestNumericPointJSONTakesSampledPoints: the points of sampled designs
// (!!float scalars) are written by the numeric path, which
// TestPointJSONAsEncodingJSON compares with encoding/json.
func TestNumericPointJSONTakesSampledPoints(t *testing.T) {
	float := Point{Assign: []Assignment{{Path: "synapses.NN.weight_update.vars.g", Value: (&expDist{at: &yaml.Node{}}).node(0.125)}}}
	b, ok := numericPointJSON(float)
	assert.True(t, ok)
	assert.Equal(t, `{"synapses.NN.weight_update.vars.g":0.125}`, string(b))
	text := Point{Assign: []Assignment{{Path: "populations.N.model", Value: &yaml.Node{Kind: yaml.ScalarNode, Value: "LIF"}}}}
	_, ok = numericPointJSON(text)
	assert.False(t, ok)
}
