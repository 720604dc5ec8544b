package sweep

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// batchOutput holds a batch's recorded rows by variant while its worker runs; when the
// batch is done, write stores each kind as one file holding all of its variants, sorted by
// variant (dataset layout 2, see results.LayoutVersion), so that a sweep of many small
// variants writes few large files. The rows of a batch are held in memory until it ends:
// the batch sizer bounds a batch by its state's size (autoBatch), and recorded rows are
// at most about as large as the state they sample.
type batchOutput struct {
	spikeFile bool          // whether the batch writes a spike file (writesSpikeFile)
	spikes    []spikeRows   // per variant of the batch
	events    []spikeRows   // nil when no population records spike-like events
	state     []stateRows   // nil when nothing is recorded
	synapses  []synapseRows // nil when no per-synapse variable is recorded
}

type spikeRows struct {
	pop, neuron []uint32
	time        []float64
}

type stateRows struct {
	owner, v, neuron []uint32
	time, value      []float64
}

type synapseRows struct {
	group, v, pre, post, synapse []uint32
	time, value                  []float64
}

func newBatchOutput(n int, spikeFile, events bool, rec recording) *batchOutput {
	o := &batchOutput{spikeFile: spikeFile, spikes: make([]spikeRows, n)}
	if events {
		o.events = make([]spikeRows, n)
	}
	if len(rec.specs) > 0 {
		o.state = make([]stateRows, n)
	}
	if len(rec.syn) > 0 {
		o.synapses = make([]synapseRows, n)
	}
	return o
}

// filePrefix starts the names of this run's result files: a shard's files carry its name,
// so that shards sharing a directory tell their own files apart.
func (r *runner) filePrefix() string {
	if !r.opts.Shard.Sharded() {
		return ""
	}
	return r.opts.Shard.Name() + "-"
}

// outputFile is one kind's file of a batch being written.
type outputFile struct {
	kind, path string
	write      func(k int, ids []uint64) error // rows of batch variant k, with its id column
	rows       func(k int) int
	close      func() (results.FileInfo, error)
	abort      func()
}

// write stores the rows of the batch variants keep (indices into the batch) in order of
// variant id and returns their output records. Nothing is recorded on
// an error; files already renamed into place are unrecorded and removed by the next run
// (removeUnrecorded).
func (o *batchOutput) write(r *runner, ids []uint64, keep []int, meta map[string]string, rec recording, pops []string, float bool) ([]provenance.Output, error) {
	keep = slices.Clone(keep)
	slices.SortFunc(keep, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	kept := make([]uint64, len(keep))
	for i, k := range keep {
		kept[i] = ids[k]
	}
	valueOpts := r.writeOpts()
	if float {
		valueOpts = append(valueOpts, results.WithFloat32Values()) // exact: the state is float
	}
	var files []outputFile
	abortAll := func() {
		for _, f := range files {
			f.abort()
		}
	}
	// path names the batch's file in kind directory dir, creating the directory.
	path := func(dir string) (string, error) {
		return results.BatchFile(dir, r.filePrefix(), kept), os.MkdirAll(filepath.Join(r.dir, dir), 0o755)
	}
	spikeFile := func(kind, dir string, rows []spikeRows) error {
		p, err := path(dir)
		if err != nil {
			return err
		}
		w, err := results.NewSpikeWriter(filepath.Join(r.dir, p), pops, meta, r.writeOpts()...)
		if err != nil {
			return err
		}
		files = append(files, outputFile{kind: kind, path: p, close: w.Close, abort: w.Abort,
			rows: func(k int) int { return len(rows[k].pop) },
			write: func(k int, v []uint64) error {
				return w.Write(v, rows[k].pop, rows[k].neuron, rows[k].time)
			}})
		return nil
	}
	if o.spikeFile {
		if err := spikeFile("spikes", results.SpikesDir, o.spikes); err != nil {
			return nil, err
		}
	}
	if o.events != nil {
		if err := spikeFile("spike_events", results.SpikeEventsDir, o.events); err != nil {
			abortAll()
			return nil, err
		}
	}
	if o.state != nil {
		p, err := path(results.StateDir)
		if err != nil {
			abortAll()
			return nil, err
		}
		w, err := results.NewStateWriter(filepath.Join(r.dir, p), rec.owners, rec.vars, withMeta(meta, results.MetaRecorded, rec.meta), valueOpts...)
		if err != nil {
			abortAll()
			return nil, err
		}
		rows := o.state
		files = append(files, outputFile{kind: "state", path: p, close: w.Close, abort: w.Abort,
			rows: func(k int) int { return len(rows[k].owner) },
			write: func(k int, v []uint64) error {
				s := rows[k]
				return w.Write(v, s.owner, s.v, s.neuron, s.time, s.value)
			}})
	}
	if o.synapses != nil {
		p, err := path(results.SynapsesDir)
		if err != nil {
			abortAll()
			return nil, err
		}
		w, err := results.NewSynapseWriter(filepath.Join(r.dir, p), rec.synGroups, rec.synVars, withMeta(meta, results.MetaRecorded, rec.synMeta), valueOpts...)
		if err != nil {
			abortAll()
			return nil, err
		}
		rows := o.synapses
		files = append(files, outputFile{kind: "synapses", path: p, close: w.Close, abort: w.Abort,
			rows: func(k int) int { return len(rows[k].group) },
			write: func(k int, v []uint64) error {
				s := rows[k]
				return w.Write(v, s.group, s.v, s.pre, s.post, s.synapse, s.time, s.value)
			}})
	}
	var idCol []uint64
	for _, f := range files {
		for _, k := range keep {
			n := f.rows(k)
			if cap(idCol) < n {
				idCol = make([]uint64, n)
			}
			idCol = idCol[:n]
			for i := range idCol {
				idCol[i] = ids[k]
			}
			if err := f.write(k, idCol); err != nil {
				abortAll()
				return nil, err
			}
		}
	}
	var outputs []provenance.Output
	crashPoint("before-rename")
	defer crashPoint("after-rename")
	for i, f := range files {
		info, err := f.close()
		if err != nil {
			for _, g := range files[i+1:] {
				g.abort()
			}
			return nil, err
		}
		for _, k := range keep {
			id := ids[k]
			outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: f.kind, Path: f.path,
				Rows: int64(f.rows(k)), Bytes: info.Bytes, SHA256: info.SHA256})
		}
	}
	return outputs, nil
}

// withMeta is base plus one key.
func withMeta(base map[string]string, key, value string) map[string]string {
	m := make(map[string]string, len(base)+1)
	for k, v := range base {
		m[k] = v
	}
	m[key] = value
	return m
}

// batchMeta is the schema metadata of a batch's result files.
func (r *runner) batchMeta(g *Group) map[string]string {
	net := g.Net
	sizes := map[string]int{}
	for _, p := range net.Populations {
		sizes[p.Name] = p.Size
	}
	return map[string]string{
		results.MetaGennctlVersion:  r.opts.Version,
		results.MetaConfigDigest:    r.plan.ConfigDigest,
		results.MetaStructureKey:    g.Key,
		results.MetaLayout:          strconv.Itoa(results.LayoutVersion),
		results.MetaDT:              strconv.FormatFloat(net.Sim.DT, 'g', -1, 64),
		results.MetaDuration:        strconv.FormatFloat(net.Sim.Duration, 'g', -1, 64),
		results.MetaTimeUnit:        "ms",
		results.MetaPopulationSizes: results.FormatPopulationSizes(sizes),
	}
}
