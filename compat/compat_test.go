package compat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the sweep's worker process, as in package sweep's tests.
func TestMain(m *testing.M) {
	if os.Getenv("GENNCTL_TEST_WORKER") == "1" {
		if err := gpu.ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Expectation file read by js/check.mjs; see the comment at the top of that script.
type fieldX struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"` // apache-arrow's String(type)
	Metadata map[string]string `json:"metadata"`
}

type sampleX struct {
	Row    int            `json:"row"`
	Values map[string]any `json:"values"`
}

type fileX struct {
	Path         string                    `json:"path"`
	Rows         int64                     `json:"rows"`
	Compression  string                    `json:"compression"`
	Metadata     map[string]string         `json:"metadata"`
	Fields       []fieldX                  `json:"fields"`
	Dictionaries map[string][]string       `json:"dictionaries,omitempty"`
	Samples      []sampleX                 `json:"samples,omitempty"`
	Counts       map[string]map[string]int `json:"counts,omitempty"`
	Sums         map[string]string         `json:"sums,omitempty"`
	Constant     map[string]string         `json:"constant,omitempty"`
	MultipleOf   map[string]float64        `json:"multiple_of,omitempty"`
	Below        map[string]float64        `json:"below,omitempty"`
	Sorted       []string                  `json:"sorted,omitempty"`
}

func (f *fileX) samples() int {
	n := 0
	for _, s := range f.Samples {
		n += len(s.Values)
	}
	return n
}

func (f *fileX) checks() int {
	return len(f.Dictionaries) + len(f.Counts) + len(f.Sums) + len(f.Constant) + len(f.MultipleOf) + len(f.Below) + len(f.Sorted)
}

// The spike schema as gennctl means to write it (README "Output files").
func spikeFields() []fieldX {
	return []fieldX{
		{Name: "variant_id", Type: "Uint64", Metadata: map[string]string{}},
		{Name: "population", Type: "Dictionary<Int32, Utf8>", Metadata: map[string]string{}},
		{Name: "neuron", Type: "Uint32", Metadata: map[string]string{}},
		{Name: "time", Type: "Float64", Metadata: map[string]string{"unit": "ms"}},
	}
}

// The state schema (README "Output files"): time has a unit, values do not (it depends on the
// model variable).
func stateFields(valueType string) []fieldX {
	return []fieldX{
		{Name: "variant_id", Type: "Uint64", Metadata: map[string]string{}},
		{Name: "population", Type: "Dictionary<Int32, Utf8>", Metadata: map[string]string{}},
		{Name: "var", Type: "Dictionary<Int32, Utf8>", Metadata: map[string]string{}},
		{Name: "neuron", Type: "Uint32", Metadata: map[string]string{}},
		{Name: "time", Type: "Float64", Metadata: map[string]string{"unit": "ms"}},
		{Name: "value", Type: valueType, Metadata: map[string]string{}},
	}
}

// stateExpectation describes a state file from the samples gennctl meant to write.
func stateExpectation(path string, s results.State, owners, vars []string, meta map[string]string, comp results.Compression, valueType string) fileX {
	fx := fileX{Path: path, Rows: int64(s.Len()), Compression: string(comp), Metadata: meta, Fields: stateFields(valueType),
		Dictionaries: map[string][]string{"population": owners, "var": vars},
		Counts:       map[string]map[string]int{"population": {}, "var": {}},
		Sums:         map[string]string{}}
	var nsum uint64
	for i := range s.Variant {
		fx.Counts["population"][s.Population[i]]++
		fx.Counts["var"][s.Var[i]]++
		nsum += uint64(s.Neuron[i])
	}
	fx.Sums["neuron"] = strconv.FormatUint(nsum, 10)
	for _, i := range sampleRows(s.Len(), 25) {
		fx.Samples = append(fx.Samples, sampleX{Row: i, Values: map[string]any{
			"variant_id": strconv.FormatUint(s.Variant[i], 10),
			"population": s.Population[i],
			"var":        s.Var[i],
			"neuron":     strconv.FormatUint(uint64(s.Neuron[i]), 10),
			"time":       s.Time[i],
			"value":      s.Value[i],
		}})
	}
	return fx
}

// sampleRows picks about k row indices spread over n rows, always the first and the last.
func sampleRows(n, k int) []int {
	if n == 0 {
		return nil
	}
	seen := map[int]bool{}
	var rows []int
	for j := 0; j < k; j++ {
		i := j * (n - 1) / max(k-1, 1)
		// a little off the even grid so samples do not all fall on batch boundaries
		if j%3 == 1 && i+7 < n {
			i += 7
		}
		if !seen[i] {
			seen[i] = true
			rows = append(rows, i)
		}
	}
	if !seen[n-1] {
		rows = append(rows, n-1)
	}
	return rows
}

func spikeExpectation(path string, s results.Spikes, pops []string, meta map[string]string, comp results.Compression) fileX {
	fx := fileX{Path: path, Rows: int64(s.Len()), Compression: string(comp), Metadata: meta, Fields: spikeFields(),
		Dictionaries: map[string][]string{"population": pops},
		Counts:       map[string]map[string]int{"population": {}},
		Sums:         map[string]string{}}
	var nsum uint64 // uint32 neurons: no overflow for any realistic file
	for i := range s.Variant {
		fx.Counts["population"][s.Population[i]]++
		nsum += uint64(s.Neuron[i])
	}
	fx.Sums["neuron"] = strconv.FormatUint(nsum, 10)
	for _, i := range sampleRows(s.Len(), 25) {
		fx.Samples = append(fx.Samples, sampleX{Row: i, Values: map[string]any{
			"variant_id": strconv.FormatUint(s.Variant[i], 10),
			"population": s.Population[i],
			"neuron":     strconv.FormatUint(uint64(s.Neuron[i]), 10),
			"time":       s.Time[i],
		}})
	}
	return fx
}

// jsType names an Arrow type as apache-arrow's String(type) does, for the types gennctl writes.
func jsType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		n := strings.ToUpper(t.Name()[:1]) + t.Name()[1:] // uint64 -> Uint64
		return n
	case arrow.FLOAT32:
		return "Float32"
	case arrow.FLOAT64:
		return "Float64"
	case arrow.STRING:
		return "Utf8"
	case arrow.LARGE_STRING:
		return "LargeUtf8"
	case arrow.DICTIONARY:
		d := t.(*arrow.DictionaryType)
		return "Dictionary<" + jsType(d.IndexType) + ", " + jsType(d.ValueType) + ">"
	}
	return t.String()
}

// tableExpectation describes a table file from the columns gennctl meant to write; types are
// derived from the Column kinds, as WriteTable maps them.
func tableExpectation(path string, cols []results.Column, meta map[string]string, comp results.Compression, sampleK int) fileX {
	fx := fileX{Path: path, Compression: string(comp), Metadata: meta}
	if len(cols) > 0 {
		fx.Rows = int64(cols[0].Len())
	}
	for _, c := range cols {
		f := fieldX{Name: c.Name, Metadata: map[string]string{}}
		if c.Unit != "" {
			f.Metadata["unit"] = c.Unit
		}
		switch {
		case c.Uint64 != nil:
			f.Type = "Uint64"
		case c.Int64 != nil:
			f.Type = "Int64"
		case c.Float64 != nil:
			f.Type = "Float64"
		case c.Dictionary:
			f.Type = "Dictionary<Int32, Utf8>"
		default:
			f.Type = "Utf8"
		}
		fx.Fields = append(fx.Fields, f)
	}
	for _, i := range sampleRows(int(fx.Rows), sampleK) {
		vals := map[string]any{}
		for _, c := range cols {
			switch {
			case c.Uint64 != nil:
				vals[c.Name] = strconv.FormatUint(c.Uint64[i], 10)
			case c.Int64 != nil:
				vals[c.Name] = strconv.FormatInt(c.Int64[i], 10)
			case c.Float64 != nil:
				vals[c.Name] = c.Float64[i]
			default:
				vals[c.Name] = c.String[i]
			}
		}
		fx.Samples = append(fx.Samples, sampleX{Row: i, Values: vals})
	}
	return fx
}

// syntheticFiles writes one file of every kind and codec with the results package and returns
// their expectations, built from the values passed to the writers.
func syntheticFiles(t *testing.T, dir string) []fileX {
	var out []fileX
	pops := []string{"E", "I", "Stim"} // Stim never spikes: still a category
	n := results.BatchRows*2 + 123     // three record batches
	var s results.Spikes
	for i := 0; i < n; i++ {
		s.Variant = append(s.Variant, []uint64{1<<63 + 12345, 1<<53 - 1, 7}[i%3]) // beyond int64 and float64
		s.Population = append(s.Population, pops[(i/5)%2])
		s.Neuron = append(s.Neuron, uint32(i*7919)%4_000_000_000) // beyond int32
		s.Time = append(s.Time, float64(i)*0.1)                   // inexact decimals
	}
	idx := map[string]uint32{"E": 0, "I": 1, "Stim": 2}
	popIdx := make([]uint32, n)
	for i, p := range s.Population {
		popIdx[i] = idx[p]
	}
	meta := map[string]string{results.MetaDT: "0.1", results.MetaDuration: "1000", results.MetaTimeUnit: "ms",
		results.MetaStructureKey: "abc123", results.MetaConfigDigest: "00ff", results.MetaGennctlVersion: "test", "note": "µs ünïcode"}
	for _, c := range []results.Compression{results.CompressNone, results.CompressLZ4, results.CompressZstd} {
		path := filepath.Join(dir, "synthetic-spikes-"+string(c)+".arrow")
		w, err := results.NewSpikeWriter(path, pops, meta, results.WithCompression(c))
		require.NoError(t, err)
		for start := 0; start < n; start += 10007 { // uneven chunks
			end := min(start+10007, n)
			require.NoError(t, w.Write(s.Variant[start:end], popIdx[start:end], s.Neuron[start:end], s.Time[start:end]))
		}
		_, err = w.Close()
		require.NoError(t, err)
		fx := spikeExpectation(path, s, pops, meta, c)
		fx.MultipleOf = map[string]float64{"time": 0.1}
		fx.Below = map[string]float64{"neuron": 4e9}
		out = append(out, fx)
	}

	// State files: three record batches, values that need all 64 bits, an unused category.
	owners, vars := []string{"E", "EE", "drive"}, []string{"V", "inSyn", "unused"}
	var st results.State
	var ownIdx, varIdx []uint32
	for i := 0; i < n; i++ {
		st.Variant = append(st.Variant, []uint64{1<<63 + 5, 1<<53 + 1}[i%2])
		ownIdx = append(ownIdx, uint32(i%3/2)) // E, E, EE
		varIdx = append(varIdx, uint32(i%3/2))
		st.Population = append(st.Population, owners[i%3/2])
		st.Var = append(st.Var, vars[i%3/2])
		st.Neuron = append(st.Neuron, uint32(i*104729)%4_000_000_000)
		st.Time = append(st.Time, float64(i/50)*0.1)
		st.Value = append(st.Value, -65+float64(i)/3+1e-13*float64(i%7))
	}
	smeta := map[string]string{results.MetaDT: "0.1", results.MetaTimeUnit: "ms", results.MetaRecorded: `[{"population":"E","var":"V"}]`}
	for _, c := range []results.Compression{results.CompressNone, results.CompressLZ4, results.CompressZstd} {
		path := filepath.Join(dir, "synthetic-state-"+string(c)+".arrow")
		w, err := results.NewStateWriter(path, owners, vars, smeta, results.WithCompression(c))
		require.NoError(t, err)
		for start := 0; start < n; start += 9001 {
			end := min(start+9001, n)
			require.NoError(t, w.Write(st.Variant[start:end], ownIdx[start:end], varIdx[start:end], st.Neuron[start:end],
				st.Time[start:end], st.Value[start:end]))
		}
		_, err = w.Close()
		require.NoError(t, err)
		fx := stateExpectation(path, st, owners, vars, smeta, c, "Float64")
		fx.MultipleOf = map[string]float64{"time": 0.1}
		fx.Below = map[string]float64{"neuron": 4e9}
		out = append(out, fx)
	}

	path := filepath.Join(dir, "synthetic-spikes-empty.arrow")
	w, err := results.NewSpikeWriter(path, []string{"E", "I"}, nil)
	require.NoError(t, err)
	_, err = w.Close()
	require.NoError(t, err)
	empty := results.Spikes{}
	out = append(out, spikeExpectation(path, empty, []string{"E", "I"}, map[string]string{}, ""))

	rows := results.BatchRows + 17
	cols := []results.Column{
		{Name: "variant_id", Uint64: make([]uint64, rows)},
		{Name: "repeat", Int64: make([]int64, rows)},
		{Name: "populations.E.params.TauM", Unit: "ms", Float64: make([]float64, rows)},
		{Name: "status", Dictionary: true, String: make([]string, rows)},
		{Name: "label", String: make([]string, rows)},
	}
	for i := 0; i < rows; i++ {
		cols[0].Uint64[i] = ^uint64(0) - uint64(i)
		cols[1].Int64[i] = int64(i%5) - 2
		cols[2].Float64[i] = 1 / float64(i+3)
		cols[3].String[i] = []string{"done", "failed", "pending"}[i%3]
		cols[4].String[i] = fmt.Sprintf("v%d-ü", i)
	}
	tmeta := map[string]string{results.MetaGennctlVersion: "test", results.MetaConfigDigest: "00ff"}
	for _, c := range []results.Compression{results.CompressNone, results.CompressZstd, results.CompressLZ4} {
		path := filepath.Join(dir, "synthetic-table-"+string(c)+".arrow")
		_, err := results.WriteTable(path, cols, tmeta, results.WithCompression(c))
		require.NoError(t, err)
		fx := tableExpectation(path, cols, tmeta, c, 40)
		fx.Dictionaries = map[string][]string{"status": {"done", "failed", "pending"}}
		fx.Counts = map[string]map[string]int{"status": {"done": (rows + 2) / 3, "failed": (rows + 1) / 3, "pending": rows / 3}}
		fx.Sums = map[string]string{"repeat": strconv.Itoa(sumInts(cols[1].Int64))}
		out = append(out, fx)
	}
	return out
}

func sumInts(v []int64) int {
	s := 0
	for _, x := range v {
		s += int(x)
	}
	return s
}

// sweepFiles runs a small real sweep and returns the expectations for every Arrow file in its
// directory: the metadata, row counts and per-population spike counts gennctl meant to write
// (from the plan and the variants table), and sampled values read by the Go reader.
func sweepFiles(t *testing.T) (string, []fileX) {
	plan, sum := runTiny(t)

	// variants.arrow
	vpath := filepath.Join(sum.Dir, results.VariantsFile)
	cols, vmeta, err := results.ReadTable(vpath)
	require.NoError(t, err)
	byName := map[string]results.Column{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	require.NotNil(t, byName["variant_id"].Uint64, "variant_id is uint64")
	require.NotNil(t, byName["seed"].Uint64, "seed is uint64")
	for _, a := range plan.Axes {
		require.NotNil(t, byName[a].Float64, "swept axis %s is a float64 column", a)
	}
	assert.Equal(t, "compat-test", vmeta[results.MetaGennctlVersion])
	assert.Equal(t, plan.ConfigDigest, vmeta[results.MetaConfigDigest])
	vfx := tableExpectation(vpath, cols, vmeta, "", len(plan.Variants))
	vfx.Constant = map[string]string{"status": "done"}
	out := []fileX{vfx}

	// Dataset layout 2: a spike and a state file per batch, each holding its variants sorted by
	// variant_id; variants.arrow names each variant's files. Row counts per variant and
	// population come from the variants table and the config, not from what the Go reader sees.
	row := map[uint64]int{}
	for i, id := range byName["variant_id"].Uint64 {
		row[id] = i
	}
	index := map[uint64]int{}
	for i, v := range plan.Variants {
		index[v.ID()] = i
	}
	filesOf := func(kind string) (map[string][]*sweep.Variant, []string) {
		by := map[string][]*sweep.Variant{}
		var order []string
		for _, v := range plan.Variants {
			f := byName[results.FileColumn(kind)].String[row[v.ID()]]
			require.NotEmpty(t, f, "variant %d has a %s file", v.ID(), kind)
			path := filepath.Join(sum.Dir, f)
			if by[path] == nil {
				order = append(order, path)
			}
			by[path] = append(by[path], v)
		}
		return by, order
	}
	wantMeta := func(v *sweep.Variant) map[string]string {
		return map[string]string{
			results.MetaLayout:         "2",
			results.MetaDT:             "0.1",
			results.MetaDuration:       "100",
			results.MetaTimeUnit:       "ms",
			results.MetaStructureKey:   plan.Groups[v.Group].Key,
			results.MetaConfigDigest:   plan.ConfigDigest,
			results.MetaGennctlVersion: "compat-test",
		}
	}
	var total int64
	spikeFiles, order := filesOf("spikes")
	for _, path := range order {
		vs := spikeFiles[path]
		s, meta, err := results.ReadSpikes(path)
		require.NoError(t, err)
		for k, val := range wantMeta(vs[0]) {
			assert.Equal(t, val, meta[k], "spike file metadata %s", k)
		}
		net := plan.Groups[vs[0].Group].Net
		pops := make([]string, len(net.Populations))
		counts, perVariant := map[string]int{}, map[string]int{}
		for _, v := range vs {
			for i, p := range net.Populations {
				pops[i] = p.Name
				if c := byName["spikes_"+p.Name].Int64[row[v.ID()]]; c > 0 {
					counts[p.Name] += int(c)
					perVariant[strconv.FormatUint(v.ID(), 10)] += int(c)
				}
			}
		}
		fx := spikeExpectation(path, s, pops, meta, "")
		fx.Counts["population"] = counts // what the variants table reports, not what Go read
		fx.Counts["variant_id"] = perVariant
		fx.Sorted = []string{"variant_id"}
		fx.MultipleOf = map[string]float64{"time": 0.1}
		fx.Below = map[string]float64{"time": 100, "neuron": 80}
		out = append(out, fx)
		total += int64(s.Len())
	}
	require.Greater(t, total, int64(100), "the tiny network must spike for the comparison to mean anything")

	// testdata/tiny.yaml records E.V and EE.inSyn.
	stateFiles, order := filesOf("state")
	for _, path := range order {
		vs := stateFiles[path]
		st, meta, err := results.ReadState(path)
		require.NoError(t, err)
		assert.NotEmpty(t, meta[results.MetaRecorded])
		for k, val := range wantMeta(vs[0]) {
			assert.Equal(t, val, meta[k], "state file metadata %s", k)
		}
		owners, vars := []string{}, []string{}
		seenO, seenV := map[string]bool{}, map[string]bool{}
		perOwner, perVar, perVariant := map[string]int{}, map[string]int{}, map[string]int{}
		var rows int64
		var net *modelspec.Network
		for _, v := range vs {
			net, err = plan.Network(index[v.ID()])
			require.NoError(t, err)
			steps := int(net.Sim.Steps())
			for _, r := range net.RecordedVars() {
				if !seenO[r.Owner] {
					seenO[r.Owner] = true
					owners = append(owners, r.Owner)
				}
				if !seenV[r.Var] {
					seenV[r.Var] = true
					vars = append(vars, r.Var)
				}
				n := r.Size
				if r.Neurons != nil {
					n = len(r.Neurons)
				}
				rows := (steps/int(r.EverySteps) + 1) * n
				perOwner[r.Owner] += rows
				perVar[r.Var] += rows
				perVariant[strconv.FormatUint(v.ID(), 10)] += rows
			}
			rows += sweep.StateRows(net)
		}
		require.NotEmpty(t, owners, "tiny.yaml records state")
		// Float precision: values are stored as float32 (exact), double as float64.
		valueType := map[string]string{"float": "Float32", "double": "Float64"}[net.Sim.Precision]
		fx := stateExpectation(path, st, owners, vars, meta, "", valueType)
		fx.Counts = map[string]map[string]int{"population": perOwner, "var": perVar, "variant_id": perVariant}
		fx.Rows = rows
		fx.Sorted = []string{"variant_id"}
		fx.MultipleOf = map[string]float64{"time": 0.1}
		fx.Below = map[string]float64{"time": 100.05, "neuron": 80}
		out = append(out, fx)
	}

	// Every Arrow file of the sweep is covered; files of kinds added later get a generic
	// expectation from the Go reader so the JavaScript reader still checks them.
	covered := map[string]bool{}
	for _, fx := range out {
		covered[fx.Path] = true
	}
	err = filepath.WalkDir(sum.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".arrow") || covered[p] {
			return err
		}
		out = append(out, genericExpectation(t, p))
		return nil
	})
	require.NoError(t, err)
	return sum.Dir, out
}

// runTiny runs testdata/tiny.yaml (8 variants) into a temporary directory.
func runTiny(t *testing.T) (*sweep.Plan, *sweep.Summary) {
	t.Helper()
	plan, err := sweep.Load("testdata/tiny.yaml")
	require.NoError(t, err)
	sum, err := sweep.Run(context.Background(), plan, sweep.Options{
		OutDir:     t.TempDir(),
		CacheDir:   t.TempDir(),
		WorkerArgv: []string{os.Args[0]},
		WorkerEnv:  append(os.Environ(), "GENNCTL_TEST_WORKER=1"),
		Version:    "compat-test",
	})
	require.NoError(t, err)
	require.Equal(t, len(plan.Variants), sum.Ran)
	require.Zero(t, sum.Failed)
	return plan, sum
}

// genericExpectation describes any Arrow file by what the Go reader sees.
func genericExpectation(t *testing.T, path string) fileX {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	require.NoError(t, err)
	defer r.Close()
	cols, meta, err := results.ReadTable(path)
	require.NoError(t, err, "%s: an output file the results readers cannot read", path)
	fx := tableExpectation(path, cols, meta, "", 20)
	for i, fld := range r.Schema().Fields() {
		fx.Fields[i].Type = jsType(fld.Type)
	}
	return fx
}

var summaryRE = regexp.MustCompile(`js-compat: checked (\d+) files, (\d+) rows, (\d+) sampled values, (\d+) full-column checks`)

// runCheck runs js/check.mjs on the expectations and returns its output and error.
func runCheck(t *testing.T, node string, files []fileX) (string, error) {
	data, err := json.MarshalIndent(map[string]any{"files": files}, "", " ")
	require.NoError(t, err)
	exp := filepath.Join(t.TempDir(), "expect.json")
	require.NoError(t, os.WriteFile(exp, data, 0o644))
	cmd := exec.Command(node, filepath.Join("js", "check.mjs"), exp)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// requireNode finds node and the installed npm packages, or skips (fails when
// GENNCTL_REQUIRE_JS_COMPAT=1, as .ci/run sets, so CI cannot skip silently).
func requireNode(t *testing.T) string {
	skip := func(msg string) {
		if os.Getenv("GENNCTL_REQUIRE_JS_COMPAT") == "1" {
			t.Fatal(msg + " (GENNCTL_REQUIRE_JS_COMPAT=1)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not on PATH: JavaScript compatibility not checked")
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "apache-arrow", "package.json")); err != nil {
		skip("compat/js/node_modules is missing: run `npm ci` in compat/js (as .ci/run does)")
	}
	return node
}

// TestJavaScriptReadsEveryOutputFile writes every kind of output file (synthetic ones with the
// results writers, in every codec, and the files of a real sweep) and has the official
// JavaScript Arrow implementation compare schema, metadata, row counts, dictionaries, sampled
// values and whole-column aggregates with what gennctl meant to write.
func TestJavaScriptReadsEveryOutputFile(t *testing.T) {
	node := requireNode(t)
	files := syntheticFiles(t, t.TempDir())
	_, sweepX := sweepFiles(t)
	files = append(files, sweepX...)

	out, err := runCheck(t, node, files)
	require.NoError(t, err, "check.mjs:\n%s", out)
	t.Log(strings.TrimSpace(out))
	m := summaryRE.FindStringSubmatch(out)
	require.NotNil(t, m, "check.mjs printed no summary:\n%s", out)
	var rows int64
	samples, checks := 0, 0
	for _, f := range files {
		rows += f.Rows
		samples += f.samples()
		checks += f.checks()
	}
	assert.Equal(t, strconv.Itoa(len(files)), m[1], "files checked")
	assert.Equal(t, strconv.FormatInt(rows, 10), m[2], "rows checked")
	assert.Equal(t, strconv.Itoa(samples), m[3], "sampled values checked")
	assert.Equal(t, strconv.Itoa(checks), m[4], "full-column checks")
	assert.Greater(t, samples, 1000)
}

// TestJavaScriptCheckerDetectsMismatches guards against a checker that accepts anything: each
// wrong expectation must make check.mjs fail and name the problem.
func TestJavaScriptCheckerDetectsMismatches(t *testing.T) {
	node := requireNode(t)
	files := syntheticFiles(t, t.TempDir())
	base := files[1] // lz4 spikes
	cases := map[string]func(f *fileX){
		"rows":             func(f *fileX) { f.Rows++ },
		"type":             func(f *fileX) { f.Fields[0].Type = "Int64" },
		"unit":             func(f *fileX) { f.Fields[3].Metadata["unit"] = "s" },
		"schema metadata":  func(f *fileX) { f.Metadata = map[string]string{"dt": "0.1"} },
		"row 0":            func(f *fileX) { f.Samples[0].Values["variant_id"] = "9223372036854788160" },
		"time":             func(f *fileX) { f.Samples[1].Values["time"] = f.Samples[1].Values["time"].(float64) + 1e-12 },
		"dictionary":       func(f *fileX) { f.Dictionaries["population"] = []string{"E", "I"} },
		"value counts":     func(f *fileX) { f.Counts["population"]["E"]-- },
		"sum":              func(f *fileX) { f.Sums["neuron"] = "1" },
		"not multiples of": func(f *fileX) { f.MultipleOf["time"] = 0.3 },
		"outside":          func(f *fileX) { f.Below = map[string]float64{"neuron": 1000} },
	}
	for want, mutate := range cases {
		f := base
		// deep enough copies of what the cases change
		f.Fields = append([]fieldX(nil), base.Fields...)
		f.Fields[3].Metadata = map[string]string{"unit": "ms"}
		f.Samples = append([]sampleX(nil), base.Samples...)
		for i := range f.Samples[:2] {
			v := map[string]any{}
			for k, x := range base.Samples[i].Values {
				v[k] = x
			}
			f.Samples[i].Values = v
		}
		f.Dictionaries = map[string][]string{"population": base.Dictionaries["population"]}
		f.Counts = map[string]map[string]int{"population": {}}
		for k, x := range base.Counts["population"] {
			f.Counts["population"][k] = x
		}
		f.Sums = map[string]string{"neuron": base.Sums["neuron"]}
		f.MultipleOf = map[string]float64{"time": 0.1}
		mutate(&f)
		out, err := runCheck(t, node, []fileX{f})
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "%s: check.mjs accepted a wrong expectation: %v\n%s", want, err, out)
		assert.Contains(t, out, want, "check.mjs names the mismatch")
	}
	// And the unmodified expectation passes.
	out, err := runCheck(t, node, []fileX{base})
	require.NoError(t, err, out)
	assert.Regexp(t, summaryRE, out)
}

// TestJavaScriptCheckerDetectsStateMismatches: the state-specific parts of an expectation (the
// var dictionary, the value column, per-var counts) are really compared.
func TestJavaScriptCheckerDetectsStateMismatches(t *testing.T) {
	node := requireNode(t)
	files := syntheticFiles(t, t.TempDir())
	var base fileX
	for _, f := range files {
		if strings.Contains(f.Path, "synthetic-state-zstd") {
			base = f
		}
	}
	require.NotEmpty(t, base.Path)
	cases := map[string]func(f *fileX){
		"var: batch 0 dictionary": func(f *fileX) { f.Dictionaries["var"] = []string{"V", "inSyn"} },
		"value":                   func(f *fileX) { f.Samples[1].Values["value"] = f.Samples[1].Values["value"].(float64) + 1e-12 },
		"var: value counts":       func(f *fileX) { f.Counts["var"]["V"]++ },
		"field value: metadata":   func(f *fileX) { f.Fields[5].Metadata = map[string]string{"unit": "mV"} },
		"field var: type":         func(f *fileX) { f.Fields[2].Type = "Utf8" },
	}
	for want, mutate := range cases {
		f := base
		f.Fields = append([]fieldX(nil), base.Fields...)
		f.Samples = append([]sampleX(nil), base.Samples...)
		v := map[string]any{}
		for k, x := range base.Samples[1].Values {
			v[k] = x
		}
		f.Samples[1].Values = v
		f.Dictionaries = map[string][]string{"population": base.Dictionaries["population"], "var": base.Dictionaries["var"]}
		f.Counts = map[string]map[string]int{"population": base.Counts["population"], "var": {}}
		for k, x := range base.Counts["var"] {
			f.Counts["var"][k] = x
		}
		mutate(&f)
		out, err := runCheck(t, node, []fileX{f})
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "%s: check.mjs accepted a wrong expectation: %v\n%s", want, err, out)
		assert.Contains(t, out, want, "check.mjs names the mismatch")
	}
	out, err := runCheck(t, node, []fileX{base})
	require.NoError(t, err, out)
}
