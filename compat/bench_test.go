package compat_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/require"
)

// BenchmarkSweepWriteShare estimates the share of a sweep's wall time spent writing spikes.
// It runs configs/cuba.yaml with 4 repeats (4 variants × 4000 neurons × 1 s, module from a
// warm cache, so compile time is excluded), then writes every spike file again through
// results.SpikeWriter in chunks of 4096 rows (writer calls, IPC encoding, sha256, fsync and
// rename; reading is not timed) and reports
//
//	write_s:   time to write all spike files (one per batch)
//	sweep_s:   sweep.Run wall time (which includes its own writing)
//	write_%:   100 × write_s / sweep_s
//	rows/s:    spikes written per second
func BenchmarkSweepWriteShare(b *testing.B) {
	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(b, err)
	plan, err := sweep.NewPlan("cuba.yaml", append(data, []byte("\nsweep: {repeats: 4}\n")...))
	require.NoError(b, err)
	cache := b.TempDir()
	opts := func() sweep.Options {
		return sweep.Options{OutDir: b.TempDir(), CacheDir: cache, WorkerArgv: []string{os.Args[0]},
			WorkerEnv: append(os.Environ(), "GENNCTL_TEST_WORKER=1"), Version: "bench"}
	}
	_, err = sweep.Run(context.Background(), plan, opts()) // warm the module cache
	require.NoError(b, err)

	var sweepT, writeT time.Duration
	var rows int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := sweep.Run(context.Background(), plan, opts())
		require.NoError(b, err)
		sweepT += sum.Wall
		files, err := filepath.Glob(filepath.Join(sum.Dir, results.SpikesDir, "*.arrow"))
		require.NoError(b, err)
		for _, path := range files {
			s, meta, err := results.ReadSpikes(path)
			require.NoError(b, err)
			pops, err := results.SpikePopulations(path)
			require.NoError(b, err)
			idx := map[string]uint32{}
			for k, p := range pops {
				idx[p] = uint32(k)
			}
			pi := make([]uint32, s.Len())
			for k, p := range s.Population {
				pi[k] = idx[p]
			}
			start := time.Now()
			w, err := results.NewSpikeWriter(path+".bench", pops, meta)
			require.NoError(b, err)
			for at := 0; at < s.Len(); at += 4096 {
				end := min(at+4096, s.Len())
				require.NoError(b, w.Write(s.Variant[at:end], pi[at:end], s.Neuron[at:end], s.Time[at:end]))
			}
			_, err = w.Close()
			require.NoError(b, err)
			writeT += time.Since(start)
			rows += int64(s.Len())
		}
	}
	b.StopTimer()
	b.ReportMetric(writeT.Seconds()/float64(b.N), "write_s")
	b.ReportMetric(sweepT.Seconds()/float64(b.N), "sweep_s")
	b.ReportMetric(100*writeT.Seconds()/sweepT.Seconds(), "write_%")
	b.ReportMetric(float64(rows)/writeT.Seconds(), "rows/s")
}
