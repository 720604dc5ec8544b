package results

import (
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
)

// WriteCSV writes cols as a CSV file at path (atomically, as WriteTable):
// a header of column names, then one line per row. Numbers are written
// exactly (the shortest text that reads back as the same value); a NaN, which
// in gennctl's tables marks a missing value (WideState), is an empty cell.
func WriteCSV(path string, cols []Column) (FileInfo, error) {
	rows := 0
	header := make([]string, len(cols))
	for i, c := range cols {
		if _, err := c.kind(); err != nil {
			return FileInfo{}, err
		}
		if i > 0 && c.Len() != rows {
			return FileInfo{}, fmt.Errorf("results: column %q has %d rows, %q has %d", c.Name, c.Len(), cols[0].Name, rows)
		}
		rows = c.Len()
		header[i] = c.Name
	}
	af, err := createAtomic(path)
	if err != nil {
		return FileInfo{}, err
	}
	w := csv.NewWriter(af)
	err = w.Write(header)
	rec := make([]string, len(cols))
	for r := 0; r < rows && err == nil; r++ {
		for i, c := range cols {
			switch {
			case c.Uint64 != nil:
				rec[i] = strconv.FormatUint(c.Uint64[r], 10)
			case c.Int64 != nil:
				rec[i] = strconv.FormatInt(c.Int64[r], 10)
			case c.Float64 != nil && math.IsNaN(c.Float64[r]):
				rec[i] = ""
			case c.Float64 != nil:
				rec[i] = strconv.FormatFloat(c.Float64[r], 'g', -1, 64)
			default:
				rec[i] = c.String[r]
			}
		}
		err = w.Write(rec)
	}
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		af.abort()
		return FileInfo{}, fmt.Errorf("results: write %s: %w", path, err)
	}
	return af.commit(int64(rows))
}
