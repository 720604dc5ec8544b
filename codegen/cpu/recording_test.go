package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoSpikesEach are the spike times of GeNN 4.9's spike_recording and
// spike_event_recording tests: neuron n at t = n and t = 99 - n, as
// SpikeSourceArray's startSpike, endSpike and spikeTimes.
func twoSpikesEach() (start, end, times string) {
	var s, e, ts []string
	for n := 0; n < 100; n++ {
		s = append(s, fmt.Sprint(2*n))
		e = append(e, fmt.Sprint(2*n+2))
		ts = append(ts, fmt.Sprint(min(n, 99-n)), fmt.Sprint(max(n, 99-n)))
	}
	return "[" + strings.Join(s, ", ") + "]", "[" + strings.Join(e, ", ") + "]", "[" + strings.Join(ts, ", ") + "]"
}

// wantTwoSpikesEach is what both tests expect: in step t neurons t and
// 99 - t, in increasing order.
func wantTwoSpikesEach(pop uint32) []spike {
	var want []spike
	for t := uint32(0); t < 100; t++ {
		a, b := min(t, 99-t), max(t, 99-t)
		want = append(want, spike{pop, 0, a, t})
		if b != a {
			want = append(want, spike{pop, 0, b, t})
		}
	}
	return want
}

// GeNN 4.9's spike_recording: a SpikeSourceArray's recorded spikes.
func TestSpikeRecordingGeNNFeature(t *testing.T) {
	t.Parallel()
	start, end, times := twoSpikesEach()
	doc := `
name: spike_recording
simulation: {dt: 1.0, duration: 100}
populations:
  Pop: {size: 100, model: SpikeSourceArray, vars: {startSpike: ` + start + `, endSpike: ` + end + `}, extra_global_params: {spikeTimes: ` + times + `}, record: {spikes: true}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	s.step(100)
	assert.Equal(t, wantTwoSpikesEach(0), list(s.spikes()))
}

// GeNN 4.9's spike_event_recording: the presynaptic model sets output in
// its sim code at the same times, and the weight update's event threshold
// $(output_pre) makes the spike-like events, which the population records
// (record: {spike_events: true}); they come out of gn_drain_spikes with
// the population index offset by the number of populations.
func TestSpikeEventRecordingGeNNFeature(t *testing.T) {
	t.Parallel()
	start, end, times := twoSpikesEach()
	doc := `
name: spike_event_recording
simulation: {dt: 1.0, duration: 100}
models:
  neurons:
    PreNeuron:
      sim_code: |
        if($(startSpike) != $(endSpike) && $(t) >= $(spikeTimes)[$(startSpike)]) {
           $(output) = true;
           $(startSpike)++;
        }
        else {
           $(output) = false;
        }
      var_name_types: [[startSpike, unsigned int], [endSpike, unsigned int, READ_ONLY], [output, bool]]
      extra_global_params: [[spikeTimes, scalar*]]
      is_auto_refractory_required: false
    PostNeuron: {is_auto_refractory_required: false}
  weight_updates:
    WUM:
      event_code: "while(false);"
      event_threshold_condition_code: "$(output_pre)"
populations:
  Pre: {size: 100, model: PreNeuron, vars: {startSpike: ` + start + `, endSpike: ` + end + `, output: 0}, extra_global_params: {spikeTimes: ` + times + `}, record: {spike_events: true}}
  Post: {size: 100, model: PostNeuron}
synapses:
  Syn: {source: Pre, target: Post, matrix: dense, weight_update: {model: WUM}, postsynaptic: {model: DeltaCurr}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	require.True(t, s.desc.Populations[0].RecordSpikeEvents)
	s.step(100)
	assert.Equal(t, wantTwoSpikesEach(uint32(len(s.desc.Populations))), list(s.spikes()), "events of Pre, population index 2 + 0")
}
