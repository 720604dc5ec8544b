package sweep_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/require"
)

// cubaModule plans configs/cuba.yaml and builds its module into cache.
func cubaModule(b *testing.B, cache string) (*sweep.Plan, gpu.BuildResult) {
	b.Helper()
	plan, err := sweep.Load("../configs/cuba.yaml")
	require.NoError(b, err)
	tc, err := gpu.DetectCC()
	require.NoError(b, err)
	res, err := sweep.BuildAll(plan, cache, tc)
	require.NoError(b, err)
	return plan, res[0]
}

// BenchmarkCUBABuild measures generating and compiling the CUBA module with
// a cold cache.
func BenchmarkCUBABuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cubaModule(b, b.TempDir())
	}
}

// BenchmarkCUBASimulate measures one simulated second of CUBA (N=4000,
// dt=0.1 ms, 10000 steps) in process, one thread, after set-up; it reports
// simulated seconds per wall second, ns per neuron-step and the set-up time
// (connectivity and state initialisation, gn_init), which is not in ns/op.
// scripts/bench runs the same network at other sizes and against Brian2.
func BenchmarkCUBASimulate(b *testing.B) {
	plan, res := cubaModule(b, b.TempDir())
	mod, err := gpu.Load(res.ModulePath)
	require.NoError(b, err)
	v := plan.Variants[0]
	net := plan.Groups[v.Group].Net
	steps := uint32(net.Sim.Steps())
	neurons := 0
	for _, p := range net.Populations {
		neurons += p.Size
	}
	var buf gpu.SpikeBuffer
	var sim, setup time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inst, err := mod.Create(1, []uint64{v.Point.Seed}, v.Runtime)
		require.NoError(b, err)
		start := time.Now()
		require.NoError(b, inst.Init())
		setup += time.Since(start)
		b.StartTimer()
		start = time.Now()
		for done := uint32(0); done < steps; done += 1000 {
			require.NoError(b, inst.Step(1000))
			buf.Reset()
			_, err := inst.DrainSpikes(&buf)
			require.NoError(b, err)
		}
		sim += time.Since(start)
		b.StopTimer()
		inst.Close()
		b.StartTimer()
	}
	perRun := sim.Seconds() / float64(b.N)
	b.ReportMetric(net.Sim.Duration/1000/perRun, "sim_s/wall_s")
	b.ReportMetric(perRun*1e9/float64(steps)/float64(neurons), "ns/neuron-step")
	b.ReportMetric(setup.Seconds()*1e3/float64(b.N), "setup_ms")
}

// BenchmarkPlan1000 measures planning a 1000-variant sweep of CUBA (a 10 ×
// 100 grid over the E->E weight and the excitatory membrane time constant,
// which makes derived parameters runtime values too): expanding, decoding
// every variant, structure keys and runtime slots.
func BenchmarkPlan1000(b *testing.B) {
	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(b, err)
	data = append(data, "sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.10, 10]}\n    populations.E.params.TauM: {linspace: [15, 25, 100]}\n"...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan, err := sweep.NewPlan("cuba.yaml", data)
		require.NoError(b, err)
		require.Len(b, plan.Variants, 1000)
		require.Len(b, plan.Groups, 1)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/variant")
}

// tinySweep is the scale benchmark's network (scripts/bench/tiny.yaml) with a random sweep
// of samples weights, each run repeats times.
func tinySweep(samples, repeats int) []byte {
	net, err := os.ReadFile("../scripts/bench/tiny.yaml")
	if err != nil {
		panic(err) // the repository's own file
	}
	return append(net, fmt.Sprintf(`sweep:
  repeats: %d
  random:
    seed: 3
    samples: %d
    params:
      synapses.NN.weight_update.vars.g: {uniform: [0.0, 0.5]}
`, repeats, samples)...)
}

// BenchmarkPlanTiny measures planning 10^4 variants of the tiny network
// (1000 random weights × 10 repeats): what `gennctl plan` costs per variant
// at scale, and (with -benchmem) what the plan keeps.
func BenchmarkPlanTiny(b *testing.B) {
	data := tinySweep(1000, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan, err := sweep.NewPlan("tiny.yaml", data)
		require.NoError(b, err)
		require.Len(b, plan.Variants, 10000)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10000, "µs/variant")
}
