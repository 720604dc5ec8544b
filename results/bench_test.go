package results

import (
	"path/filepath"
	"testing"
)

// BenchmarkSpikeWriter measures the spike writer end to end (buffering, record batches, IPC
// encoding, sha256, write, fsync and rename): 1M spikes from a CUBA-like network (4000
// neurons, 2 populations, increasing times) written in chunks of 4096 rows, as the sweep
// writes one drained chunk of a batch at a time. Reports rows/s and bytes written per row.
func BenchmarkSpikeWriter(b *testing.B) {
	for _, c := range []Compression{CompressNone, CompressLZ4, CompressZstd} {
		name := string(c)
		if name == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) { benchWriter(b, c) })
	}
}

func benchWriter(b *testing.B, c Compression) {
	const rows, chunk = 1 << 20, 4096
	v := make([]uint64, rows)
	p := make([]uint32, rows)
	n := make([]uint32, rows)
	tm := make([]float64, rows)
	x := uint32(12345)
	for i := range v {
		x = x*1664525 + 1013904223
		v[i] = 2000910792189373
		n[i] = x % 4000
		if n[i] >= 3200 {
			p[i], n[i] = 1, n[i]-3200
		}
		tm[i] = float64(i/100) * 0.1 // about 100 spikes per 0.1 ms step
	}
	dir := b.TempDir()
	meta := map[string]string{MetaDT: "0.1", MetaDuration: "10000", MetaTimeUnit: "ms"}
	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := NewSpikeWriter(filepath.Join(dir, "spikes.arrow"), []string{"E", "I"}, meta, WithCompression(c))
		if err != nil {
			b.Fatal(err)
		}
		for s := 0; s < rows; s += chunk {
			if err := w.Write(v[s:s+chunk], p[s:s+chunk], n[s:s+chunk], tm[s:s+chunk]); err != nil {
				b.Fatal(err)
			}
		}
		info, err := w.Close()
		if err != nil {
			b.Fatal(err)
		}
		bytes = info.Bytes
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/rows, "bytes/row")
	b.SetBytes(0)
}
