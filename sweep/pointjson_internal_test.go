package sweep

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"gopkg.in/yaml.v3"
)

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
