package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

// Ports of GeNN 4.9's feature tests pre_spike_time_in_post_learn,
// post_spike_time_in_sim, prev_pre_spike_time_in_sim and
// prev_post_spike_time_in_post_learn (tests/features/*): DT = 1, ten "periodic"
// neurons firing at t = id + 10k, ten neurons firing every step, one-to-one
// connections with a delay of 20 steps (axonal, or back-propagation for
// postsynaptic spike times), and a weight-update model that copies the spike
// time it sees into w. The expected values are GeNN's test formulas: with
// t the time after the step,
//
//	sT:      i + 21 + 10·floor((t - 22 - i) / 10)
//	prev_sT: i + 11 + 10·floor((t - 22 - i) / 10)
//
// (the spike time plus DT·(delay+1)), or below -1e6 when no such spike exists
// (w starts at 0, or at -3e38 for prev_sT as in GeNN's tests, where it
// keeps its initial value until the synapse code first runs).
func spikeTimeDoc(code, field, delayKey string, periodicPre bool, initW float64) string {
	pre, post := "Periodic", "Always"
	if !periodicPre {
		pre, post = post, pre
	}
	return fmt.Sprintf(`
name: spike_time
simulation: {dt: 1.0, duration: 200}
models:
  neurons:
    Periodic:
      threshold_condition_code: "$(t) >= (scalar)$(id) && fmodf($(t) - (scalar)$(id), 10.0f) < 1e-4"
      is_auto_refractory_required: false
    Always:
      threshold_condition_code: "true"
      is_auto_refractory_required: false
  weight_updates:
    WU:
      vars: {w: scalar}
      %s: "%s"
populations:
  pre: {size: 10, model: %s}
  post: {size: 10, model: %s}
synapses:
  syn:
    source: pre
    target: post
    %s: 20
    connectivity: {init: OneToOne}
    weight_update: {model: WU, vars: {w: %g}}
    postsynaptic: {model: DeltaCurr}
`, field, code, pre, post, delayKey, initW)
}

func TestSpikeTimesGeNNFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, code, field, delayKey string
		periodicPre                 bool
		offset, initW               float64
	}{
		{"pre_spike_time_in_post_learn", "$(w) = $(sT_pre);", "learn_post_code", "delay_steps", true, 21, 0},
		{"post_spike_time_in_sim", "$(w) = $(sT_post);", "sim_code", "back_prop_delay_steps", false, 21, 0},
		{"prev_pre_spike_time_in_sim", "$(w) = $(prev_sT_pre);", "sim_code", "delay_steps", true, 11, -3e38},
		{"prev_post_spike_time_in_post_learn", "$(w) = $(prev_sT_post);", "learn_post_code", "back_prop_delay_steps", false, 11, -3e38},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, spikeTimeDoc(c.code, c.field, c.delayKey, c.periodicPre, c.initW), codegen.Options{}, []uint64{1}, nil)
			for step := 0; step < 200; step++ {
				s.step(1)
				tm := float64(step + 1)
				if tm <= 1 {
					continue
				}
				w := s.get("syn", "w", 0)
				for i := 0; i < 10; i++ {
					want := float64(i) + c.offset + 10*math.Floor((tm-22-float64(i))/10)
					if want < 21 {
						require.Less(t, w[i], -1e6, "t=%g neuron %d: no spike yet", tm, i)
					} else {
						require.Equal(t, want, w[i], "t=%g neuron %d", tm, i)
					}
				}
			}
		})
	}
}

// GeNN 4.9's pre_spike_event_time_in_post_learn and
// prev_pre_spike_event_time_in_sim: the same pattern with spike-like
// events instead of spikes (the event threshold is the periodic condition,
// the presynaptic neurons never spike), read through an axonal delay of 20
// steps as $(seT_pre) in learn_post_code (the target spikes every step) or
// $(prev_seT_pre) in event_code. The flags are GeNN's; flagless variants
// check that the tokens alone make gennctl track the times.
func TestSpikeEventTimesGeNNFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, field, code, flag string
		offset, initW           float64
	}{
		{"pre_spike_event_time_in_post_learn", "learn_post_code", "$(w) = $(seT_pre);", "is_pre_spike_event_time_required", 21, 0},
		{"prev_pre_spike_event_time_in_sim", "event_code", "$(w) = $(prev_seT_pre);", "is_prev_pre_spike_event_time_required", 11, -3e38},
	}
	for _, c := range cases {
		for _, flag := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/flag=%v", c.name, flag), func(t *testing.T) {
				t.Parallel()
				flags := ""
				if flag {
					flags = c.flag + ": true"
				}
				doc := fmt.Sprintf(`
name: spike_event_time
simulation: {dt: 1.0, duration: 200}
models:
  neurons:
    Silent: {is_auto_refractory_required: false}
    Always: {threshold_condition_code: "true", is_auto_refractory_required: false}
  weight_updates:
    WU:
      var_name_types: [[w, scalar]]
      event_threshold_condition_code: "$(t) >= (scalar)$(id) && fmodf($(t) - (scalar)$(id), 10.0f) < 1e-4"
      %s: "%s"
      %s
populations:
  pre: {size: 10, model: Silent}
  post: {size: 10, model: Always}
synapses:
  syn:
    source: pre
    target: post
    delay_steps: 20
    connectivity: {init: OneToOne}
    weight_update: {model: WU, vars: {w: %g}}
    postsynaptic: {model: DeltaCurr}
`, c.field, c.code, flags, c.initW)
				s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
				for step := 0; step < 200; step++ {
					s.step(1)
					tm := float64(step + 1)
					if tm <= 1 {
						continue
					}
					w := s.get("syn", "w", 0)
					for i := 0; i < 10; i++ {
						want := float64(i) + c.offset + 10*math.Floor((tm-22-float64(i))/10)
						if want < 21 {
							require.Less(t, w[i], -1e6, "t=%g neuron %d: no event yet", tm, i)
						} else {
							require.Equal(t, want, w[i], "t=%g neuron %d", tm, i)
						}
					}
				}
			})
		}
	}
}
