package gpu

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadDescribe(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	d, err := m.Description()
	require.NoError(t, err)
	assert.Equal(t, codegen.ABIVersion, d.ABI)
	assert.Equal(t, "cpu", d.Backend)
	assert.Equal(t, 0.1, d.DT)
	require.Len(t, d.Populations, 1)
	assert.Equal(t, codegen.PopDesc{Name: "P", Size: toyN, RecordSpikes: true}, d.Populations[0])
	require.Len(t, d.Vars, 2)
	assert.Equal(t, "count", d.Vars[0].Name)
	assert.Equal(t, toyN, d.Vars[0].Count)
	assert.Equal(t, []string{"P.offset", "sleep_us", "fault", "unused"}, d.Runtime)
	assert.Equal(t, 1, m.VarIndex("P", "seed"))
	assert.Equal(t, -1, m.VarIndex("P", "nope"))
	// Description is a copy.
	d.Vars[0].Name = "changed"
	d2, _ := m.Description()
	assert.Equal(t, "count", d2.Vars[0].Name)
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nothing.so"))
	assert.ErrorContains(t, err, "nothing.so")

	tc := detectCC(t)
	c, err := OpenCache(t.TempDir())
	require.NoError(t, err)
	files := toyFiles(t)
	files["module.c"] = "#define gn_destroy gn_destroy_renamed\n" + files["module.c"]
	res, err := c.Build(files, tc)
	require.NoError(t, err)
	_, err = Load(res.ModulePath)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gn_destroy")

	files = toyFiles(t)
	abi := fmt.Sprintf(`{\"abi\":%d,`, codegen.ABIVersion)
	require.Contains(t, files["module.c"], abi)
	files["module.c"] = strings.Replace(files["module.c"], abi, `{\"abi\":99,`, 1)
	res, err = c.Build(files, tc)
	require.NoError(t, err)
	_, err = Load(res.ModulePath)
	assert.ErrorContains(t, err, "ABI version 99")
}

func TestInstanceSpikes(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	offsets := []int{0, 3, 1}
	inst, err := m.Create(len(offsets), seedsFor(3), toyRuntime(offsets, 0, 0))
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())
	assert.Equal(t, uint64(0), inst.Timestep())

	var got SpikeBuffer
	for _, n := range []uint32{1, 6, 0, 30, 63} {
		require.NoError(t, inst.Step(n))
		_, err := inst.DrainSpikes(&got)
		require.NoError(t, err)
		assert.Equal(t, 0, inst.SpikesPending())
	}
	assert.Equal(t, uint64(100), inst.Timestep())
	want := expectedSpikes(offsets, 100)
	assert.Equal(t, want, got)

	// count matches the spikes
	for b := range offsets {
		counts, err := inst.GetVar(0, b)
		require.NoError(t, err)
		require.Len(t, counts, toyN)
		for i := 0; i < toyN; i++ {
			assert.Equal(t, float64(100/(i+1+offsets[b])), counts[i], "variant %d neuron %d", b, i)
		}
		seed, err := inst.GetVar(1, b)
		require.NoError(t, err)
		assert.Equal(t, []float64{float64(seedsFor(3)[b] % (1 << 20))}, seed)
	}
}

func TestDrainManyChunks(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	// 200 variants x 300 steps give ~175k spikes, several drain chunks.
	offsets := make([]int, 200)
	inst, err := m.Create(len(offsets), seedsFor(len(offsets)), toyRuntime(offsets, 0, 0))
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())
	require.NoError(t, inst.Step(300))
	want := expectedSpikes(offsets, 300)
	require.Greater(t, want.Len(), drainChunk, "test must span several drain chunks")
	assert.Equal(t, want.Len(), inst.SpikesPending())
	got := SpikeBuffer{Pop: []uint32{7}, Variant: []uint32{7}, Neuron: []uint32{7}, Step: []uint32{7}}
	n, err := inst.DrainSpikes(&got)
	require.NoError(t, err)
	assert.Equal(t, want.Len(), n)
	assert.Equal(t, uint32(7), got.Pop[0], "DrainSpikes appends")
	assert.Equal(t, want.Step, got.Step[1:])
	assert.Equal(t, want.Neuron, got.Neuron[1:])
	assert.Equal(t, want.Variant, got.Variant[1:])
}

func TestGetSetVar(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	inst, err := m.Create(2, seedsFor(2), toyRuntime([]int{0, 0}, 0, 0))
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())

	vals := make([]float64, toyN)
	for i := range vals {
		vals[i] = 0.5 + float64(i)*1e-3
	}
	require.NoError(t, inst.SetVar(0, 1, vals))
	got, err := inst.GetVar(0, 1)
	require.NoError(t, err)
	assert.Equal(t, vals, got)
	other, err := inst.GetVar(0, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]float64, toyN), other, "variant 0 untouched")

	// Errors: module-reported, bad indices, wrong length.
	assert.ErrorContains(t, inst.SetVar(1, 0, []float64{1}), "read-only")
	assert.Error(t, inst.SetVar(0, 0, []float64{1}))
	_, err = inst.GetVar(2, 0)
	assert.Error(t, err)
	_, err = inst.GetVar(0, 2)
	assert.Error(t, err)
	_, err = inst.GetVar(-1, 0)
	assert.Error(t, err)
}

func TestCreateErrors(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	_, err = m.Create(0, nil, nil)
	assert.Error(t, err)
	_, err = m.Create(2, seedsFor(1), toyRuntime([]int{0, 0}, 0, 0))
	assert.ErrorContains(t, err, "seeds")
	_, err = m.Create(2, seedsFor(2), toyRuntime([]int{0}, 0, 0))
	assert.ErrorContains(t, err, "runtime")
	_, err = m.Create(1, seedsFor(1), toyRuntime([]int{-1}, 0, 0))
	assert.ErrorContains(t, err, "negative offset")

	// gn_step errors surface with the module's message.
	inst, err := m.Create(1, seedsFor(1), toyRuntime([]int{0}, 0, 4))
	require.NoError(t, err)
	require.NoError(t, inst.Init())
	assert.ErrorContains(t, inst.Step(10), "fault 4")
	inst.Close()
	inst.Close() // idempotent
	assert.ErrorIs(t, inst.Step(1), ErrClosed)

	// Module.Close refuses while instances are open.
	inst2, err := m.Create(1, seedsFor(1), toyRuntime([]int{0}, 0, 0))
	require.NoError(t, err)
	assert.Error(t, m.Close())
	inst2.Close()
	assert.NoError(t, m.Close())
	_, err = m.Create(1, seedsFor(1), toyRuntime([]int{0}, 0, 0))
	assert.ErrorIs(t, err, ErrClosed)
}

// Several instances of one module run concurrently (one goroutine each) and
// give the same result as alone.
func TestInstancesConcurrent(t *testing.T) {
	path := buildToy(t)
	m, err := Load(path)
	require.NoError(t, err)
	// Loading the same path twice works.
	m2, err := Load(path)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			mm := m
			if g%2 == 1 {
				mm = m2
			}
			offsets := []int{g, g + 1}
			inst, err := mm.Create(2, seedsFor(2), toyRuntime(offsets, 0, 0))
			if !assert.NoError(t, err) {
				return
			}
			defer inst.Close()
			assert.NoError(t, inst.Init())
			assert.NoError(t, inst.Step(500))
			var got SpikeBuffer
			_, err = inst.DrainSpikes(&got)
			assert.NoError(t, err)
			assert.Equal(t, expectedSpikes(offsets, 500), got)
		}(g)
	}
	wg.Wait()
}

// Extra global parameters round-trip through gn_set_egp / gn_get_egp: per
// variant, arrays resizable, scalars one value.
func TestSetGetEGP(t *testing.T) {
	m, err := Load(buildToy(t))
	require.NoError(t, err)
	d, err := m.Description()
	require.NoError(t, err)
	require.Len(t, d.EGPs, 2)
	assert.Equal(t, codegen.EGPDesc{Owner: "P", Kind: "neuron", Name: "table", Type: "scalar*", Count: 2,
		Path: "populations.P.extra_global_params.table"}, d.EGPs[0])
	assert.True(t, d.EGPs[0].Pointer())
	assert.False(t, d.EGPs[1].Pointer())
	table := m.EGPIndex("populations.P.extra_global_params.table")
	gain := m.EGPIndexOf("P", "neuron", "gain")
	assert.Equal(t, 0, table)
	assert.Equal(t, 1, gain)
	assert.Equal(t, -1, m.EGPIndex("populations.P.extra_global_params.nope"))

	inst, err := m.Create(2, seedsFor(2), toyRuntime([]int{0, 0}, 0, 0))
	require.NoError(t, err)
	defer inst.Close()
	got, err := inst.GetEGP(table, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, got, "initial values")

	require.NoError(t, inst.SetEGP(table, 1, []float64{3, 4, 5, 6.25}))
	got, err = inst.GetEGP(table, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 4, 5, 6.25}, got, "grown")
	got, err = inst.GetEGP(table, 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, got, "variant 0 untouched")
	require.NoError(t, inst.SetEGP(table, 0, nil))
	got, err = inst.GetEGP(table, 0)
	require.NoError(t, err)
	assert.Empty(t, got, "emptied")

	require.NoError(t, inst.SetEGP(gain, 0, []float64{-1.5}))
	got, err = inst.GetEGP(gain, 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{-1.5}, got)
	assert.ErrorContains(t, inst.SetEGP(gain, 0, []float64{1, 2}), "scalar")
	assert.Error(t, inst.SetEGP(2, 0, []float64{1}))
	assert.Error(t, inst.SetEGP(table, 2, []float64{1}))
	_, err = inst.GetEGP(-1, 0)
	assert.Error(t, err)
}
