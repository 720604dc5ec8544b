package sweep_test

import (
	"context"
	"fmt"
	"math"
	"os"

	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
)

// summaryNet drives 10 LIF neurons with 100 Poisson sources (PoissonNew:
// exponential inter-spike intervals, so CV and Fano factor near 1);
// DURATION, RECORD_P, RECORD_E and SUMMARIES are replaced per test.
const summaryNet = `name: sums
simulation: {dt: 0.1, duration: DURATION, precision: double, seed: 3, backend: cpu}
populations:
  P:
    size: 100
    model: PoissonNew
    params: {rate: 20.0}
    vars: {timeStepToSpike: {init: Uniform, params: {min: 0.0, max: 500.0}}}
    record: RECORD_P
  E:
    size: 10
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: -55.0, RefracTime: 0.0}
    record: RECORD_E
synapses:
  PE:
    source: P
    target: E
    connectivity: {init: FixedProbability, params: {prob: 0.2}}
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
SUMMARIES
`

func summaryPlan(t *testing.T, duration, recP, recE, summaries, sweepSection string) *sweep.Plan {
	t.Helper()
	text := strings.NewReplacer("DURATION", duration, "RECORD_P", recP, "RECORD_E", recE, "SUMMARIES", summaries).Replace(summaryNet) + sweepSection
	plan, err := sweep.NewPlan("sums.yaml", []byte(text))
	require.NoError(t, err)
	return plan
}

func tableColumns(t *testing.T, dir string) map[string]results.Column {
	t.Helper()
	cols, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	out := map[string]results.Column{}
	for _, c := range cols {
		out[c.Name] = c
	}
	return out
}

// record: {spikes: false} plus summaries: the sweep writes the variants
// table and provenance.db and no result file; the statistics of Poisson
// trains come out as the analytic values; a rerun keeps them.
func TestSummariesWithoutSpikeFiles(t *testing.T) {
	plan := summaryPlan(t, "10000", "{spikes: false}", "{spikes: false}", `summaries:
  P: {stats: [count, rate, cv_isi, fano, synchrony], bin: 50, from: 100}
`, "sweep: {grid: {populations.P.params.rate: [20.0, 40.0]}}\n")
	o := opts(t, t.TempDir())
	sum := run(t, plan, o)
	assert.Equal(t, 2, sum.Ran)
	entries, err := os.ReadDir(sum.Dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), sweep.DBFile) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	assert.Equal(t, []string{results.VariantsFile}, names, "no spike or state files")

	cols := tableColumns(t, sum.Dir)
	for row, rate := range cols["populations.P.params.rate"].Float64 {
		t.Logf("rate %g Hz: rate %.3f Hz, CV %.4f, Fano %.4f, chi %.4f", rate, cols["summaries.P.rate"].Float64[row],
			cols["summaries.P.cv_isi"].Float64[row], cols["summaries.P.fano"].Float64[row], cols["summaries.P.synchrony"].Float64[row])
		// 100 neurons x 9.9 s: 19800 to 39600 spikes, so the rate is within
		// 3 sd at 2.2 %; with 200 to 400 ISIs per neuron the mean CV's bias
		// and spread, and the mean Fano factor's over 198 bins, are a few
		// percent (the ISIs are whole steps: 1 to 1e-3 for a mean of 250).
		assert.InDelta(t, rate*100*9.9, cols["summaries.P.count"].Float64[row], 0.03*rate*100*9.9)
		assert.InDelta(t, rate, cols["summaries.P.rate"].Float64[row], 0.03*rate)
		assert.InDelta(t, 1, cols["summaries.P.cv_isi"].Float64[row], 0.04)
		assert.InDelta(t, 1, cols["summaries.P.fano"].Float64[row], 0.06)
		// chi of independent trains: about 1/sqrt(100).
		assert.InDelta(t, 0.1, cols["summaries.P.synchrony"].Float64[row], 0.06)
		assert.Less(t, cols["summaries.P.count"].Float64[row], float64(cols["spikes_P"].Int64[row]), "spikes_P counts the whole run")
	}

	// A rerun runs nothing and writes the same table from provenance.db.
	again := run(t, plan, o)
	assert.Equal(t, 0, again.Ran)
	assert.Equal(t, 2, again.Skipped)
	assert.Equal(t, cols, tableColumns(t, sum.Dir))
}

// numpy-style statistics for the cross-check, written independently of
// results.SpikeStats: mean and population variance.
func meanVar(xs []float64) (float64, float64) {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, v / float64(len(xs))
}

// The summaries equal the statistics computed from the spike and state
// files of the same run, per neuron too; a variant that fails has NaN.
func TestSummariesMatchResultFiles(t *testing.T) {
	plan := summaryPlan(t, "2000", "{spikes: true}", "{spikes: true, vars: {V: {every: 1.0, neurons: [7, 0, 3]}}}", `summaries:
  P: {stats: [count, rate, cv_isi, fano, synchrony], bin: 100, from: 100, to: 1900, per_neuron: true}
  E: {stats: [count, cv_isi], vars: [V], from: 100, per_neuron: true}
`, "sweep: {grid: {populations.E.params.Ioffset: [0.0, 1e308]}}\n")
	sum, err := sweep.Run(context.Background(), plan, opts(t, t.TempDir()))
	require.ErrorContains(t, err, "1 of 2 variants failed")
	require.NotNil(t, sum)
	assert.Equal(t, 1, sum.Ran)
	assert.Equal(t, 1, sum.Failed, "Ioffset 1e308 makes V infinite")
	cols := tableColumns(t, sum.Dir)
	done, failed := 0, 1
	if cols["status"].String[0] != "done" {
		done, failed = 1, 0
	}
	require.Equal(t, "failed", cols["status"].String[failed])
	for name, c := range cols {
		if strings.HasPrefix(name, "summaries.") {
			assert.True(t, math.IsNaN(c.Float64[failed]), "%s of the failed variant is NaN", name)
		}
	}
	id := cols["variant_id"].Uint64[done]
	sp, _, err := results.ReadVariantSpikes(variantFile(t, sum.Dir, id, "spikes"), id)
	require.NoError(t, err)
	const dt = 0.1
	// Spike times per population and neuron within [from, to) ms.
	times := func(pop string, n int, from, to float64) [][]float64 {
		out := make([][]float64, n)
		for i := range sp.Time {
			if step := math.Round(sp.Time[i] / dt); sp.Population[i] == pop && step >= from/dt && step < to/dt {
				out[sp.Neuron[i]] = append(out[sp.Neuron[i]], sp.Time[i])
			}
		}
		for _, ts := range out {
			sort.Float64s(ts)
		}
		return out
	}
	const tol = 1e-9
	near := func(want, got float64, what string) {
		t.Helper()
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got), "%s: want NaN, got %v", what, got)
			return
		}
		assert.InDelta(t, want, got, tol*math.Max(1, math.Abs(want)), what)
	}
	cv := func(ts []float64) float64 {
		if len(ts) < 2 {
			return math.NaN()
		}
		isi := make([]float64, len(ts)-1)
		for i := range isi {
			isi[i] = ts[i+1] - ts[i]
		}
		m, v := meanVar(isi)
		return math.Sqrt(v) / m
	}
	meanOf := func(xs []float64) float64 {
		var s float64
		n := 0
		for _, x := range xs {
			if !math.IsNaN(x) {
				s += x
				n++
			}
		}
		return s / float64(n)
	}

	// P: 18 bins of 100 ms in [100, 1900).
	pt := times("P", 100, 100, 1900)
	var total float64
	cvs, fanos := make([]float64, 100), make([]float64, 100)
	bins := make([][]float64, 100)
	pop := make([]float64, 18)
	for n, ts := range pt {
		total += float64(len(ts))
		near(float64(len(ts)), cols[fmt.Sprintf("summaries.P.count[%d]", n)].Float64[done], "count")
		near(float64(len(ts))/1.8, cols[fmt.Sprintf("summaries.P.rate[%d]", n)].Float64[done], "rate")
		cvs[n] = cv(ts)
		near(cvs[n], cols[fmt.Sprintf("summaries.P.cv_isi[%d]", n)].Float64[done], "cv")
		bins[n] = make([]float64, 18)
		for _, x := range ts {
			b := int(math.Round(x/dt)-1000) / 1000
			bins[n][b]++
			pop[b] += 0.01
		}
		m, v := meanVar(bins[n])
		fanos[n] = math.NaN()
		if m > 0 {
			fanos[n] = v / m
		}
		near(fanos[n], cols[fmt.Sprintf("summaries.P.fano[%d]", n)].Float64[done], "fano")
	}
	near(total, cols["summaries.P.count"].Float64[done], "count")
	near(total/100/1.8, cols["summaries.P.rate"].Float64[done], "rate")
	near(meanOf(cvs), cols["summaries.P.cv_isi"].Float64[done], "cv")
	near(meanOf(fanos), cols["summaries.P.fano"].Float64[done], "fano")
	_, vpop := meanVar(pop)
	var vmean float64
	for _, b := range bins {
		_, v := meanVar(b)
		vmean += v / 100
	}
	near(math.Sqrt(vpop/vmean), cols["summaries.P.synchrony"].Float64[done], "synchrony")
	_, hasPerNeuronChi := cols["summaries.P.synchrony[0]"]
	assert.False(t, hasPerNeuronChi)

	// E: spikes in [100, 2000); V of neurons 7, 0, 3 sampled at 100 ms..2000 ms.
	et := times("E", 10, 100, 2000)
	assert.Positive(t, len(et[0])+len(et[3])+len(et[7]), "E should fire")
	for n, ts := range et {
		near(cv(ts), cols[fmt.Sprintf("summaries.E.cv_isi[%d]", n)].Float64[done], "E cv")
	}
	st, _, err := results.ReadVariantState(variantFile(t, sum.Dir, id, "state"), id)
	require.NoError(t, err)
	byNeuron := map[uint32][]float64{}
	var all []float64
	for i := range st.Value {
		if st.Population[i] == "E" && st.Var[i] == "V" && math.Round(st.Time[i]/dt) >= 1000 {
			byNeuron[st.Neuron[i]] = append(byNeuron[st.Neuron[i]], st.Value[i])
			all = append(all, st.Value[i])
		}
	}
	require.Len(t, byNeuron[7], 1901)
	for _, n := range []uint32{7, 0, 3} {
		m, v := meanVar(byNeuron[n])
		near(m, cols[fmt.Sprintf("summaries.E.V.mean[%d]", n)].Float64[done], "V mean")
		near(math.Sqrt(v), cols[fmt.Sprintf("summaries.E.V.sd[%d]", n)].Float64[done], "V sd")
	}
	m, v := meanVar(all)
	near(m, cols["summaries.E.V.mean"].Float64[done], "V mean")
	near(math.Sqrt(v), cols["summaries.E.V.sd"].Float64[done], "V sd")
	_, unsampled := cols["summaries.E.V.mean[1]"]
	assert.False(t, unsampled, "only sampled neurons have columns")
}
