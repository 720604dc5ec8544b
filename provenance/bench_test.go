package provenance

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSweepRecords records what a sweep of tiny variants writes to its database, batch by
// batch as sweep.runBatch does (the runs begun, then the variants
// completed with one spike file per batch and a summary each), and reports the database's
// time per variant. Variant ids are random, as the sweep's hashed ids are; the batches hold
// variants in the order drawn ("random") or runs of ascending ids ("by-id"), which touch
// neighbouring pages of every table and index keyed by variant. The sweep's size is
// GENNCTL_BENCH_VARIANTS (default 10^5; 10^6 takes minutes).
//
//	go test ./provenance -run '^$' -bench SweepRecords -benchtime 1x
func BenchmarkSweepRecords(b *testing.B) {
	b.Run("random", func(b *testing.B) { benchSweepRecords(b, false) })
	b.Run("by-id", func(b *testing.B) { benchSweepRecords(b, true) })
}

func benchSweepRecords(b *testing.B, byID bool) {
	n := 100000
	if s := os.Getenv("GENNCTL_BENCH_VARIANTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 1024
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := Open(filepath.Join(b.TempDir(), "provenance.db"))
		if err != nil {
			b.Fatal(err)
		}
		sweepID, err := db.UpsertSweep(Sweep{Name: "tiny", ConfigText: "x", ConfigDigest: "d"})
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewSource(1))
		ids := make([]uint64, n)
		for k := range ids {
			ids[k] = rng.Uint64() >> 11
		}
		if byID {
			slices.Sort(ids)
		}
		vs := make([]Variant, 0, 10000)
		for k, id := range ids {
			vs = append(vs, Variant{ID: id, Point: fmt.Sprintf(`{"synapses.NN.weight_update.vars.g":%v}`, rng.Float64()),
				Repeat: k % 10, Seed: rng.Uint64(), StructureKey: "6c1f0e9a0b7d4c2e8f3a5b6c7d8e9f00112233445566778899aabbccddeeff00",
				ValueDigest: "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff"})
			if len(vs) == cap(vs) || k == n-1 {
				if err := db.UpsertVariants(sweepID, vs); err != nil {
					b.Fatal(err)
				}
				vs = vs[:0]
			}
		}
		b.StartTimer()
		start := time.Now()
		for lo := 0; lo < n; lo += batch {
			hi := min(lo+batch, n)
			runs := make([]Run, 0, hi-lo)
			for _, id := range ids[lo:hi] {
				runs = append(runs, Run{VariantID: id, BuildID: 0, BatchID: fmt.Sprintf("6c1f0e9a0b7d-%d-%d", ids[lo], hi-lo),
					WorkerPID: 4242, Host: "host", Device: "cpu", SweepID: sweepID})
			}
			runIDs, err := db.BeginRuns(runs)
			if err != nil {
				b.Fatal(err)
			}
			path := fmt.Sprintf("tiny/spikes/batch-%06d.arrow", lo/batch)
			okRuns := map[uint64]int64{}
			var outputs []Output
			var sums []Summary
			for k, id := range ids[lo:hi] {
				okRuns[id] = runIDs[k]
				outputs = append(outputs, Output{SweepID: sweepID, VariantID: &ids[lo+k], Kind: "spikes", Path: path, Rows: 40,
					Bytes: 123456, SHA256: "a3f1c2e4b5d6978812345678901234567890abcdefabcdefabcdefabcdef0123"})
				sums = append(sums, Summary{VariantID: id, SpikeCounts: `{"E":40}`, Values: `{}`})
			}
			if err := db.CompleteVariants(Completion{Variants: ids[lo:hi], Runs: okRuns, Outputs: outputs, PeakRSSBytes: 12 << 20, Summaries: sums}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "µs/variant")
		b.StopTimer()
		if fi, err := os.Stat(db.Path()); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(n), "B/variant")
		}
		db.Close()
	}
}
