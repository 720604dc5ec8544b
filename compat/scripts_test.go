package compat_test

import (
	"encoding/csv"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnalyzePy runs scripts/analyze.py on a real sweep when python3 has pandas, pyarrow and
// matplotlib (not installable in CI, so it usually skips) and checks its per-variant spike
// counts against the variants table and that it drew a PNG.
func TestAnalyzePy(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	if out, err := exec.Command(py, "-c", "import pandas, pyarrow.dataset, matplotlib").CombinedOutput(); err != nil {
		t.Skipf("python3 lacks pandas/pyarrow/matplotlib; scripts/analyze.py not exercised: %s", lastLine(out))
	}
	_, sum := runTiny(t)
	tmp := t.TempDir()
	png1, csvPath := filepath.Join(tmp, "rates.png"), filepath.Join(tmp, "rates.csv")
	out, err := exec.Command(py, "../scripts/analyze.py", sum.Dir, "--x", "synapses.EE.weight_update.vars.g",
		"-o", png1, "--csv", csvPath, "--sizes", "E=80,I=20").CombinedOutput()
	require.NoError(t, err, "%s", out)
	checkPNG(t, png1)

	cols, _, err := results.ReadTable(filepath.Join(sum.Dir, results.VariantsFile))
	require.NoError(t, err)
	want := map[string]int64{} // variant_id/pop -> spikes
	var ids []uint64
	for _, c := range cols {
		if c.Name == "variant_id" {
			ids = c.Uint64
		}
	}
	for _, c := range cols {
		if pop, ok := strings.CutPrefix(c.Name, "spikes_"); ok {
			for i, n := range c.Int64 {
				want[strconv.FormatUint(ids[i], 10)+"/"+pop] = n
			}
		}
	}
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	require.Len(t, recs[1:], len(want))
	for _, r := range recs[1:] {
		key := r[col["variant_id"]] + "/" + r[col["population"]]
		assert.Equal(t, strconv.FormatInt(want[key], 10), r[col["spikes"]], key)
	}
}

// TestAnalyzeR runs scripts/analyze.R when Rscript with arrow, dplyr and ggplot2 is installed.
func TestAnalyzeR(t *testing.T) {
	rs, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not found; scripts/analyze.R not exercised")
	}
	if out, err := exec.Command(rs, "-e", "library(arrow); library(dplyr); library(ggplot2)").CombinedOutput(); err != nil {
		t.Skipf("R lacks arrow/dplyr/ggplot2; scripts/analyze.R not exercised: %s", lastLine(out))
	}
	_, sum := runTiny(t)
	png1 := filepath.Join(t.TempDir(), "rates.png")
	out, err := exec.Command(rs, "../scripts/analyze.R", sum.Dir, "populations.E.params.TauM", "all", png1, "E=80,I=20").CombinedOutput()
	require.NoError(t, err, "%s", out)
	checkPNG(t, png1)
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Greater(t, img.Bounds().Dx(), 100)
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	return s[strings.LastIndex(s, "\n")+1:]
}
