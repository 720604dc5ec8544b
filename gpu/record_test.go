package gpu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sample struct {
	Spec    int
	Step    uint32
	Variant uint32
	Element uint32
	Value   float64
}

// runRecording runs job and returns its spikes and samples in the order received.
func runRecording(t *testing.T, w *Worker, job Job) (Done, SpikeBuffer, []sample, int, error) {
	t.Helper()
	var spikes SpikeBuffer
	var got []sample
	chunks := 0
	done, err := w.RunJob(job, Handlers{
		Spikes: func(c SpikeChunk) error {
			spikes.Pop = append(spikes.Pop, c.Pop...)
			spikes.Variant = append(spikes.Variant, c.Variant...)
			spikes.Neuron = append(spikes.Neuron, c.Neuron...)
			spikes.Step = append(spikes.Step, c.Step...)
			return nil
		},
		State: func(c StateChunk) error {
			chunks++
			require.Equal(t, len(c.Value), len(c.Variant))
			require.Equal(t, len(c.Value), len(c.Element))
			for i := range c.Value {
				got = append(got, sample{c.Spec, c.Step, c.Variant[i], c.Element[i], c.Value[i]})
			}
			return nil
		},
	})
	return done, spikes, got, chunks, err
}

// toyCount is the toy model's count[i] of a variant with offset off after t steps: the
// number of spikes neuron i emitted in steps [0, t).
func toyCount(t, i, off int) float64 { return float64(t / (i + 1 + off)) }

func TestWorkerRecordsState(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	offsets := []int{0, 3}
	seeds := seedsFor(2)
	const steps = 20
	job := Job{ID: "rec", ModulePath: path, Seeds: seeds, Runtime: toyRuntime(offsets, 0, 0), Steps: steps, DrainEvery: 7,
		Record: []RecordSpec{
			{Owner: "P", Kind: "neuron", Name: "count", EverySteps: 3, Elements: []uint32{9, 0, 4}},
			{Owner: "P", Kind: "neuron", Name: "count", EverySteps: 1},
			{Owner: "P", Kind: "neuron", Name: "seed", EverySteps: 8},
		}}
	done, spikes, got, chunks, err := runRecording(t, w, job)
	require.NoError(t, err)
	assert.Equal(t, expectedSpikes(offsets, steps), spikes, "recording state leaves spikes unchanged")

	// What the worker must send: spec by spec at each sample step, variants in batch order,
	// elements in the order asked for.
	var want []sample
	wantChunks := 0
	for step := 0; step <= steps; step++ {
		add := func(spec int, elems []int, value func(k, e int) float64) {
			wantChunks++
			for k := range offsets {
				for _, e := range elems {
					want = append(want, sample{spec, uint32(step), uint32(k), uint32(e), value(k, e)})
				}
			}
		}
		if step%3 == 0 {
			add(0, []int{9, 0, 4}, func(k, e int) float64 { return toyCount(step, e, offsets[k]) })
		}
		add(1, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, func(k, e int) float64 { return toyCount(step, e, offsets[k]) })
		if step%8 == 0 {
			add(2, []int{0}, func(k, e int) float64 { return float64(seeds[k] % (1 << 20)) })
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, wantChunks, chunks, "one chunk per sample per spec")
	assert.Equal(t, uint64(len(want)), done.Samples)
	assert.Equal(t, uint64(steps), done.Steps)

	// Sampling at the same steps gives exactly what GetVar gives in process.
	m, err := Load(path)
	require.NoError(t, err)
	inst, err := m.Create(2, seeds, job.Runtime)
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())
	vi := m.VarIndexOfKind("P", "neuron", "count")
	var direct []float64
	for step := 0; step <= steps; step++ {
		if step > 0 {
			require.NoError(t, inst.Step(1))
		}
		for k := range offsets {
			v, err := inst.GetVar(vi, k)
			require.NoError(t, err)
			direct = append(direct, v...)
		}
	}
	var viaWorker []float64
	for _, s := range got {
		if s.Spec == 1 {
			viaWorker = append(viaWorker, s.Value)
		}
	}
	assert.Equal(t, direct, viaWorker)
}

func TestWorkerRecordErrors(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	var jf *JobFailedError
	for name, spec := range map[string]RecordSpec{
		"no such variable": {Owner: "P", Kind: "neuron", Name: "V", EverySteps: 1},
		"wrong kind":       {Owner: "P", Kind: "pre", Name: "count", EverySteps: 1},
		"element":          {Owner: "P", Kind: "neuron", Name: "count", EverySteps: 1, Elements: []uint32{10}},
		"every 0":          {Owner: "P", Kind: "neuron", Name: "count"},
	} {
		_, _, _, _, err := runRecording(t, w, Job{ID: name, ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0), Steps: 5,
			Record: []RecordSpec{spec}})
		require.True(t, errors.As(err, &jf), "%s: %v", name, err)
		t.Log(jf.Msg)
	}
	// The worker is still usable.
	r := runTestJob(t, w, Job{ID: "ok", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0), Steps: 20}, 30*time.Second, nil)
	require.NoError(t, r.err)
}
