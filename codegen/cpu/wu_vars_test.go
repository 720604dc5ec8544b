package cpu_test

// GeNN 4.9's pre_wu_vars_in_* and post_wu_vars_in_* feature tests:
// pre_spike_code (post_spike_code) stores the time of a spike in the
// presynaptic (postsynaptic) variable s (starting at the lowest float);
// one-to-one sparse groups with an axonal (back-propagation) delay of 20
// steps copy s, seen through the delay, into w from sim code, learn_post
// code or synapse dynamics. The spiking side fires neuron i at t = i + 10k,
// the other side every step. The "fused" tests have two groups sharing the
// spiking side (GeNN merges their variables; gennctl keeps one copy per
// group, with the same result). In the sim-code tests w = s * p with p a
// READ_ONLY_SHARED_NEURON variable holding 1. GeNN's expected value with t
// the time after the step is i + 10·floor((t - 22 - i) / 10), exactly;
// before the first delayed spike w is s's initial value where the code
// string runs every step (the other side spikes every step), else 0 (not
// yet run).

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

func TestWUVarsGeNNFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, kind, field string
		fused, shared     bool
	}{
		{"pre_wu_vars_in_sim_code", "pre", "sim_code", false, true},
		{"pre_wu_vars_in_sim_code_fused", "pre", "sim_code", true, false},
		{"pre_wu_vars_in_post_learn", "pre", "learn_post_code", false, false},
		{"pre_wu_vars_in_synapse_dynamics", "pre", "synapse_dynamics_code", false, false},
		{"post_wu_vars_in_sim", "post", "sim_code", false, true},
		{"post_wu_vars_in_sim_fused", "post", "sim_code", true, false},
		{"post_wu_vars_in_post_learn", "post", "learn_post_code", false, false},
		{"post_wu_vars_in_synapse_dynamics", "post", "synapse_dynamics_code", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			vars, code, initVars := "[[s, scalar]]", "$(w) = $(s);", "{s: -3.4028234663852886e+38}"
			if c.shared {
				vars, code, initVars = "[[s, scalar], [p, scalar, READ_ONLY_SHARED_NEURON]]", "$(w) = $(s) * $(p);", "{s: -3.4028234663852886e+38, p: 1.0}"
			}
			pre, post, delay := "Periodic", "Always", "delay_steps"
			if c.kind == "post" {
				pre, post, delay = post, pre, "back_prop_delay_steps"
			}
			groups := []string{"syn"}
			pops := fmt.Sprintf("  pre: {size: 10, model: %s}\n  post: {size: 10, model: %s}\n", pre, post)
			var syns strings.Builder
			syn := func(name, src, trg string) {
				fmt.Fprintf(&syns, "  %s: {source: %s, target: %s, %s: 20, connectivity: {init: OneToOne}, weight_update: {model: WU, vars: {w: 0.0}, %s_vars: %s}, postsynaptic: {model: DeltaCurr}}\n",
					name, src, trg, delay, c.kind, initVars)
			}
			switch {
			case c.fused && c.kind == "pre":
				groups = []string{"syn1", "syn2"}
				pops = fmt.Sprintf("  pre: {size: 10, model: %s}\n  post1: {size: 10, model: %s}\n  post2: {size: 10, model: %s}\n", pre, post, post)
				syn("syn1", "pre", "post1")
				syn("syn2", "pre", "post2")
			case c.fused:
				groups = []string{"syn1", "syn2"}
				pops = fmt.Sprintf("  pre1: {size: 10, model: %s}\n  pre2: {size: 10, model: %s}\n  post: {size: 10, model: %s}\n", pre, pre, post)
				syn("syn1", "pre1", "post")
				syn("syn2", "pre2", "post")
			default:
				syn("syn", "pre", "post")
			}
			doc := fmt.Sprintf(`
name: wu_vars
simulation: {dt: 1.0, duration: 200, precision: float}
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
      var_name_types: [[w, scalar]]
      %s_var_name_types: %s
      %s: "%s"
      %s_spike_code: "$(s) = $(t);"
populations:
%ssynapses:
%s`, c.kind, vars, c.field, code, c.kind, pops, syns.String())
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			// sim code runs for spikes of the source, learn_post code for
			// those of the target, synapse dynamics every step
			everyStep := c.field == "synapse_dynamics_code" || (c.field == "sim_code") == (c.kind == "post")
			for step := 0; step < 200; step++ {
				s.step(1)
				tm := float64(step + 1)
				if tm <= 1 {
					continue
				}
				for _, g := range groups {
					w := s.get(g, "w", 0)
					for i := 0; i < 10; i++ {
						want := float64(i) + 10*math.Floor((tm-22-float64(i))/10)
						switch {
						case want >= 0:
							require.Equal(t, want, w[i], "%s: t=%g neuron %d", g, tm, i)
						case everyStep:
							require.Less(t, w[i], -1e6, "%s: t=%g neuron %d: s's initial value", g, tm, i)
						default:
							require.Equal(t, 0.0, w[i], "%s: t=%g neuron %d: not run yet", g, tm, i)
						}
					}
				}
			}
		})
	}
}
