package sweep_test

import (
	"os"
	"path/filepath"
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
