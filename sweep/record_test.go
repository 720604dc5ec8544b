package sweep_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stateKey struct {
	owner, v string
	neuron   uint32
	step     int
}

// stateOf reads a variant's state file into a map, checking that every row is the
// variant's and that times are whole time steps.
func stateOf(t *testing.T, dir string, id uint64, dt float64) (map[stateKey]float64, results.State, map[string]string) {
	t.Helper()
	st, meta, err := results.ReadVariantState(variantFile(t, dir, id, "state"), id)
	require.NoError(t, err)
	out := map[stateKey]float64{}
	for i := range st.Variant {
		require.Equal(t, id, st.Variant[i])
		step := int(math.Round(st.Time[i] / dt))
		require.Equal(t, float64(step)*dt, st.Time[i], "time is step × dt")
		k := stateKey{st.Population[i], st.Var[i], st.Neuron[i], step}
		_, dup := out[k]
		require.False(t, dup, "one sample per neuron and time: %v", k)
		out[k] = st.Value[i]
	}
	return out, st, meta
}

// TestRecordedStateMatchesInProcessRun runs a sweep that records state and compares every
// sample with gn_get_var of an in-process instance stepped one step at a time, and the
// membrane potential with the LIF solution under constant current.
func TestRecordedStateMatchesInProcessRun(t *testing.T) {
	plan := planText(t, "record.yaml", "testdata/record.yaml",
		"sweep: {grid: {populations.E.params.Ioffset: [0.6, 0.8]}}\n")
	require.Len(t, plan.Variants, 2)
	require.Len(t, plan.Groups, 1)
	cache := t.TempDir()
	o := opts(t, cache)
	o.BatchSize = 2 // both variants in one instance
	sum := run(t, plan, o)
	require.Equal(t, 2, sum.Ran)

	// The module, loaded in this process.
	files, err := sweep.Generate(plan.Groups[0], "cpu")
	require.NoError(t, err)
	c, err := gpu.OpenCache(cache)
	require.NoError(t, err)
	tc, err := gpu.DetectCC()
	require.NoError(t, err)
	res, err := c.Build(files, tc)
	require.NoError(t, err)
	require.True(t, res.Hit, "the sweep built the same module")
	m, err := gpu.Load(res.ModulePath)
	require.NoError(t, err)

	const dt, steps, n = 0.1, 200, 12
	for i, v := range plan.Variants {
		net := network(t, plan, i)
		got, st, meta := stateOf(t, sum.Dir, v.ID(), dt)
		// Rows: V of 12 neurons at 201 times, RefracTime of 3 at 21, inSyn of 3 (1, 5, 9) at
		// 41, current of 12 at 11.
		assert.Equal(t, 12*201+3*21+3*41+12*11, st.Len())
		assert.EqualValues(t, st.Len(), sweep.StateRows(net))
		assert.Equal(t, "ms", meta[results.MetaTimeUnit])
		assert.Equal(t, plan.Groups[v.Group].Key, meta[results.MetaStructureKey])
		var recorded []map[string]any
		require.NoError(t, json.Unmarshal([]byte(meta[results.MetaRecorded]), &recorded))
		require.Len(t, recorded, 4)
		assert.Equal(t, map[string]any{"population": "EE", "var": "inSyn", "kind": "postsynaptic", "neurons_of": "E",
			"every": 0.5, "every_steps": 5.0, "neurons": 3.0}, recorded[2])

		inst, err := m.Create(1, []uint64{v.Point.Seed}, v.Runtime)
		require.NoError(t, err)
		require.NoError(t, inst.Init())
		vars := map[[2]string]int{}
		for _, k := range [][3]string{{"E", "neuron", "V"}, {"E", "neuron", "RefracTime"}, {"EE", "postsynaptic", "inSyn"}, {"noise", "current_source", "current"}} {
			vars[[2]string{k[0], k[2]}] = m.VarIndexOfKind(k[0], k[1], k[2])
			require.GreaterOrEqual(t, vars[[2]string{k[0], k[2]}], 0, "%v", k)
		}
		every := map[[2]string]int{{"E", "V"}: 1, {"E", "RefracTime"}: 10, {"EE", "inSyn"}: 5, {"noise", "current"}: 20}
		neurons := map[[2]string][]uint32{{"E", "RefracTime"}: {0, 5, 10}, {"EE", "inSyn"}: {1, 5, 9}}
		checked := 0
		for step := 0; step <= steps; step++ {
			if step > 0 {
				require.NoError(t, inst.Step(1))
			}
			for key, vi := range vars {
				if step%every[key] != 0 {
					continue
				}
				vals, err := inst.GetVar(vi, 0)
				require.NoError(t, err)
				idx := neurons[key]
				if idx == nil {
					for i := range vals {
						idx = append(idx, uint32(i))
					}
				}
				for _, i := range idx {
					want := vals[i]
					g, ok := got[stateKey{key[0], key[1], i, step}]
					require.True(t, ok, "missing sample %v neuron %d step %d", key, i, step)
					require.Equal(t, want, g, "%v neuron %d step %d", key, i, step)
					checked++
				}
			}
		}
		inst.Close()
		assert.Equal(t, st.Len(), checked, "every row was compared")
		nonzero := map[string]int{}
		for k, x := range got {
			if x != 0 {
				nonzero[k.v]++
			}
		}
		assert.Positive(t, nonzero["inSyn"], "spikes reach inSyn")
		assert.Positive(t, nonzero["current"], "the current source injects")
		assert.Positive(t, nonzero["RefracTime"], "neurons are refractory after spikes")

		// LIF under constant current, before its first spike: V(t) = α + (V0 − α)·exp(−t/τ)
		// with α = Vrest + Ioffset·τ/C (no synaptic input before a spike reaches it).
		ioff := net.Population("E").Params["Ioffset"].V
		alpha := -60.0 + ioff*20.0
		spikes := spikesOf(t, sum.Dir, v.ID())
		first := math.Inf(1) // the first spike of any neuron: then inSyn can be non-zero
		for _, tt := range spikes.Time {
			first = math.Min(first, tt)
		}
		require.True(t, first < 20, "some neuron spikes: the test covers resets")
		compared := 0
		for i := uint32(0); i < n; i++ {
			v0 := got[stateKey{"E", "V", i, 0}]
			for step := 0; step <= steps && float64(step)*dt <= first; step++ {
				want := alpha + (v0-alpha)*math.Exp(-float64(step)*dt/20.0)
				assert.InEpsilon(t, want, got[stateKey{"E", "V", i, step}], 1e-9, "neuron %d step %d", i, step)
				compared++
			}
		}
		assert.Greater(t, compared, n)
	}

	// Provenance records the state files like the spike files; a rerun skips.
	db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBFile))
	require.NoError(t, err)
	for i, v := range plan.Variants {
		id := v.ID()
		outs, err := db.Outputs(&id, "state")
		require.NoError(t, err)
		require.Len(t, outs, 1)
		assert.Equal(t, variantFile(t, sum.Dir, id, "state"), filepath.Join(sum.Dir, outs[0].Path), "variants.arrow names the recorded file")
		assert.EqualValues(t, sweep.StateRows(network(t, plan, i)), outs[0].Rows)
		digest, size, err := results.FileSHA256(filepath.Join(sum.Dir, outs[0].Path))
		require.NoError(t, err)
		assert.Equal(t, outs[0].SHA256, digest)
		assert.Equal(t, outs[0].Bytes, size)
	}
	db.Close()
	again := run(t, plan, o)
	assert.Equal(t, 0, again.Ran)
	assert.Equal(t, 2, again.Skipped)

	// A lost state file makes its variants run again, to the same rows (the two variants
	// ran in one batch, so one file held both).
	lost := plan.Variants[1].ID()
	lostFile := variantFile(t, sum.Dir, lost, "state")
	before, rows, err := results.VariantDigest(lostFile, lost)
	require.NoError(t, err)
	require.Positive(t, rows)
	require.NoError(t, os.Remove(lostFile))
	third := run(t, plan, o)
	assert.Equal(t, 2, third.Ran)
	after, _, err := results.VariantDigest(variantFile(t, sum.Dir, lost, "state"), lost)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a variant's samples are reproducible")
}

// TestRecordingSplitsBatches: recording is not part of the structure, so variants that
// record different things share a module but not a batch.
func TestRecordingSplitsBatches(t *testing.T) {
	plan := planText(t, "record.yaml", "testdata/record.yaml",
		"sweep: {grid: {populations.E.record.vars.V.every: [0.1, 0.5], populations.E.params.Ioffset: [0.6, 0.7]}}\n")
	require.Len(t, plan.Variants, 4)
	require.Len(t, plan.Groups, 1, "one module")
	all := []int{0, 1, 2, 3}
	batches := plan.Batches(all, 4, 1, 0)
	require.Len(t, batches, 2)
	for _, b := range batches {
		require.Len(t, b.Variants, 2)
		e0 := network(t, plan, b.Variants[0]).Population("E").RecordVars[0].Every
		e1 := network(t, plan, b.Variants[1]).Population("E").RecordVars[0].Every
		assert.Equal(t, e0, e1)
	}
	o := opts(t, t.TempDir())
	o.BatchSize = 4
	sum := run(t, plan, o)
	require.Equal(t, 4, sum.Ran)
	for i, v := range plan.Variants {
		_, st, _ := stateOf(t, sum.Dir, v.ID(), 0.1)
		every := network(t, plan, i).Population("E").RecordVars[0].EverySteps
		assert.EqualValues(t, 12*(200/int(every)+1)+3*21+3*41+12*11, st.Len())
	}
}

// TestNoRecordingNoStateFiles: a network that records no variables writes no state files.
func TestNoRecordingNoStateFiles(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml", "")
	sum := run(t, plan, opts(t, t.TempDir()))
	_, err := os.Stat(filepath.Join(sum.Dir, results.StateDir))
	assert.True(t, os.IsNotExist(err), "no state directory: %v", err)
}
