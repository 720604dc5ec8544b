package cpu_test

import (
	"fmt"
	"sort"
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

// GeNN 4.9's batch_pull_spikes: in a batch of 10, member b's neuron i of
// two SpikeSourceArrays (one the source of a group with 5 steps of axonal
// delay, so its spikes are kept per delay slot) spikes once, at
// t = 10 b + i. Here the members are 10 variants with their own spike
// times; after every step the current spikes of each variant
// (gn_current_spikes) and, at the end, the recorded spikes are exactly
// those.
func TestBatchPullSpikes(t *testing.T) {
	t.Parallel()
	var start, end []string
	for i := 0; i < 10; i++ {
		start, end = append(start, fmt.Sprint(i)), append(end, fmt.Sprint(i+1))
	}
	ssa := `{size: 10, model: SpikeSourceArray, vars: {startSpike: [` + strings.Join(start, ", ") + `], endSpike: [` + strings.Join(end, ", ") + `]}, extra_global_params: {spikeTimes: []}, record: {spikes: true}}`
	doc := `
name: batch_pull_spikes
simulation: {dt: 1.0, duration: 100}
populations:
  Pop: ` + ssa + `
  PopDelay: ` + ssa + `
  Post: {size: 10, model: LIF, params: {C: 1.0, TauM: 20.0, Vrest: -70.0, Vreset: -70.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}, vars: {V: -70.0, RefracTime: 0.0}}
synapses:
  PopDelay_Post: {source: PopDelay, target: Post, delay_steps: 5, connectivity: {init: OneToOne}, weights: global, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
`
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	s := newSim(t, doc, codegen.Options{}, seeds, nil)
	if !s.desc.CurrentSpikes {
		_, err := s.inst.CurrentSpikes(0, 0)
		t.Skip(err) // "... is not supported by the cuda backend yet"
	}
	for b := range seeds {
		times := make([]float64, 10)
		for i := range times {
			times[i] = float64(10*b + i)
		}
		for _, pop := range []string{"Pop", "PopDelay"} {
			require.NoError(t, s.inst.SetEGP(s.mod.EGPIndex("populations."+pop+".extra_global_params.spikeTimes"), b, times))
		}
	}
	var want []spike
	for step := 0; step < 100; step++ {
		s.step(1)
		for b := range seeds {
			cur := []uint32{}
			if b == step/10 {
				cur = []uint32{uint32(step % 10)}
			}
			for _, pop := range []string{"Pop", "PopDelay"} {
				got, err := s.inst.CurrentSpikes(int(s.popIndex(pop)), b)
				require.NoError(t, err)
				require.Equal(t, cur, got, "step %d, variant %d, %s", step, b, pop)
			}
		}
		for _, pop := range []string{"Pop", "PopDelay"} {
			want = append(want, spike{s.popIndex(pop), uint32(step / 10), uint32(step % 10), uint32(step)})
		}
	}
	got := list(s.spikes())
	sortSpikes(got)
	sortSpikes(want)
	assert.Equal(t, want, got)
}

// sortSpikes orders spikes by step, population, variant and neuron.
func sortSpikes(sp []spike) {
	sort.Slice(sp, func(i, j int) bool {
		a, b := sp[i], sp[j]
		if a.Step != b.Step {
			return a.Step < b.Step
		}
		if a.Pop != b.Pop {
			return a.Pop < b.Pop
		}
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		return a.Neuron < b.Neuron
	})
}
