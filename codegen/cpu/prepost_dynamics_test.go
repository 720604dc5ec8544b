package cpu_test

// GeNN 4.9's pre_cont_wu_vars_in_* and post_cont_wu_vars_in_* feature tests
// (tests/utils/simulation_test_vars.h, simulation_synapse_policy_dense.h):
// pre_dynamics_code (post_dynamics_code) sets a presynaptic (postsynaptic)
// variable x = t + shift of its neuron every step; ten dense groups with
// axonal delays 0 … 9 copy x into w from sim code, learn_post code or
// synapse dynamics. Before each step the test compares every w with the
// value GeNN's test function gives and sums the absolute differences; the
// bound is GeNN's (the differences come from float time arithmetic).

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

func TestPrePostDynamics(t *testing.T) {
	t.Parallel()
	const dt = float32(0.1)
	// fmod of C on doubles
	fmod := math.Mod
	type expect func(d, j, k int, t float32) (float64, bool)
	cases := []struct {
		name      string
		kind      string // pre or post
		field     string
		isi       [2]float64 // ISI of pre and post (0: threshold period 1 without a parameter)
		shiftPost bool
		bound     float64
		expected  expect
	}{
		{"pre_cont_wu_vars_in_sim_code", "pre", "sim_code", [2]float64{}, false, 5e-2, func(d, j, _ int, t float32) (float64, bool) {
			if t > 1.1001 && fmod(float64(t-dt-float32(d+1)*dt)+5e-5, 1.0) < 1e-4 {
				return float64(t-dt-float32(d+1)*dt) + 10*float64(j), true
			}
			return 0, false
		}},
		{"pre_cont_wu_vars_in_post_learn", "pre", "learn_post_code", [2]float64{1, 2}, true, 3e-2, func(d, j, _ int, t float32) (float64, bool) {
			if t > 2.0001 && fmod(float64(t-2*dt)+5e-5, 2.0) < 1e-4 {
				return float64(t-dt-float32(d+1)*dt) + 10*float64(j), true
			}
			return 0, false
		}},
		{"pre_cont_wu_vars_in_synapse_dynamics", "pre", "synapse_dynamics_code", [2]float64{}, false, 5e-2, func(d, j, _ int, t float32) (float64, bool) {
			if float64(t) > 0.0001+float64(float32(d+1)*dt) {
				return float64(t-dt-float32(d+1)*dt) + 10*float64(j), true
			}
			return 0, false
		}},
		{"post_cont_wu_vars_in_sim_code", "post", "sim_code", [2]float64{}, true, 3e-2, func(d, _, k int, t float32) (float64, bool) {
			if t > 1.1001 && fmod(float64(t-dt-float32(d+1)*dt)+5e-5, 1.0) < 1e-4 {
				return float64(t-2*dt) + 10*float64(k), true
			}
			return 0, false
		}},
		{"post_cont_wu_vars_in_post_learn", "post", "learn_post_code", [2]float64{1, 2}, true, 2e-2, func(_, _, k int, t float32) (float64, bool) {
			if t > 2.1001 && fmod(float64(t-2*dt)+5e-5, 2.0) < 1e-4 {
				return float64(t-2*dt) + 10*float64(k), true
			}
			return 0, false
		}},
		{"post_cont_wu_vars_in_synapse_dynamics", "post", "synapse_dynamics_code", [2]float64{}, true, 5e-2, func(_, _, k int, t float32) (float64, bool) {
			if float64(t) > 0.0001+float64(dt) {
				return float64(t-2*dt) + 10*float64(k), true
			}
			return 0, false
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			threshold, params, preParams, postParams := "$(t) > 1e-4 && fmod($(t)+$(shift),1.0) < 1e-4", "", "", ""
			if c.isi[0] != 0 {
				threshold, params = "$(t) > 1e-4 && fmod($(t)+$(shift),$(ISI)) < 1e-4", "param_names: [ISI]"
				preParams, postParams = fmt.Sprintf("params: {ISI: %g}, ", c.isi[0]), fmt.Sprintf("params: {ISI: %g}, ", c.isi[1])
			}
			shifts := make([]string, 10)
			for i := range shifts {
				shifts[i] = fmt.Sprint(10 * i)
			}
			postShift := "0.0"
			if c.shiftPost {
				postShift = "[" + strings.Join(shifts, ", ") + "]"
			}
			var syns strings.Builder
			for d := 0; d < 10; d++ {
				fmt.Fprintf(&syns, "  syn%d: {source: pre, target: post, matrix: dense, delay_steps: %d, weight_update: {model: WU, vars: {w: 0.0}, %s_vars: {x: 0.0}}, postsynaptic: {model: DeltaCurr}}\n", d, d, c.kind)
			}
			doc := fmt.Sprintf(`
name: prepost_dynamics
simulation: {dt: 0.1, duration: 20, precision: float}
models:
  neurons:
    Neuron:
      %s
      var_name_types: [[shift, scalar, READ_ONLY]]
      threshold_condition_code: "%s"
      is_auto_refractory_required: false
  weight_updates:
    WU:
      var_name_types: [[w, scalar]]
      %s_var_name_types: [[x, scalar]]
      %s: "$(w) = $(x);"
      %s_dynamics_code: "$(x) = $(t) + $(shift_%s);"
populations:
  pre: {size: 10, model: Neuron, %svars: {shift: [%s]}}
  post: {size: 10, model: Neuron, %svars: {shift: %s}}
synapses:
%s`, params, threshold, c.kind, c.field, c.kind, c.kind, preParams, strings.Join(shifts, ", "), postParams, postShift, syns.String())
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			var x [10][100]float64
			errSum := 0.0
			for it := 0; float32(it)*dt < 20; it++ {
				tm := float32(it) * dt
				for d := 0; d < 10; d++ {
					w := s.get(fmt.Sprintf("syn%d", d), "w", 0)
					for j := 0; j < 10; j++ {
						for k := 0; k < 10; k++ {
							if v, ok := c.expected(d, j, k, tm); ok {
								x[d][j*10+k] = float64(float32(v))
							}
							errSum += math.Abs(x[d][j*10+k] - w[j*10+k])
						}
					}
				}
				s.step(1)
			}
			t.Logf("summed error %g", errSum)
			assert.Less(t, errSum, c.bound, "summed error (GeNN's bound)")
		})
	}
}
