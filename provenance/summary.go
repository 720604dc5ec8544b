package provenance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Summary is a done variant's figures for the variants table, stored with
// its completion (CompleteVariants) so that a resumed or merged sweep
// writes the table without reading result files: its spike count per
// population and its summary statistics (the summaries section), each a
// JSON object.
type Summary struct {
	VariantID   uint64 `json:"variant_id"`
	SpikeCounts string `json:"spike_counts"` // population -> count
	Values      string `json:"values"`       // column -> number, null where undefined
}

// upsertSummaries stores summaries in a transaction, each replacing its variant's earlier one.
func upsertSummaries(tx *sql.Tx, summaries []Summary) error {
	if len(summaries) == 0 {
		return nil
	}
	rows := make([][]any, len(summaries))
	for i, s := range summaries {
		key, err := variantKey(s.VariantID)
		if err != nil {
			return err
		}
		rows[i] = []any{key, s.SpikeCounts, s.Values}
	}
	arg, err := jsonRows(rows)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO variant_summary (variant_id, spike_counts, summary_values)
		SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
		ON CONFLICT (variant_id) DO UPDATE SET spike_counts = excluded.spike_counts, summary_values = excluded.summary_values`, arg)
	if err != nil {
		return fmt.Errorf("summaries: %w", err)
	}
	return nil
}

// VariantSummary returns the summary stored with a variant's last
// completion; a variant without one (not done, or done by a version before
// summaries were stored) gives an error wrapping ErrNotFound.
func (d *DB) VariantSummary(id uint64) (Summary, error) {
	key, err := variantKey(id)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{VariantID: id}
	err = d.db.QueryRow(`SELECT spike_counts, summary_values FROM variant_summary WHERE variant_id = ?`, key).Scan(&s.SpikeCounts, &s.Values)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, fmt.Errorf("%w: summary of variant %d", ErrNotFound, id)
	}
	if err != nil {
		return Summary{}, fmt.Errorf("provenance: summary of variant %d: %w", id, err)
	}
	return s, nil
}

// mergeSummaries takes a shard's summaries of the variants whose row the
// merge took from the shard (same update time), after mergeSQL. (A shard
// written before summaries were stored was upgraded by attachShard: it has
// the table, empty.)
func mergeSummaries(ctx context.Context, tx *sql.Tx) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO main.variant_summary (variant_id, spike_counts, summary_values)
		SELECT s.variant_id, s.spike_counts, s.summary_values FROM shard.variant_summary s
		JOIN shard.variant v ON v.id = s.variant_id JOIN main.variant m ON m.id = v.id AND m.updated = v.updated
		WHERE true
		ON CONFLICT (variant_id) DO UPDATE SET spike_counts = excluded.spike_counts, summary_values = excluded.summary_values`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// EachSummary calls f with every stored summary, without holding them all (the variants
// table of 10^6 variants is written from them).
func (d *DB) EachSummary(f func(Summary) error) error {
	rows, err := d.db.Query(`SELECT variant_id, spike_counts, summary_values FROM variant_summary`)
	if err != nil {
		return fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	defer rows.Close()
	for rows.Next() {
		var key int64
		var s Summary
		if err := rows.Scan(&key, &s.SpikeCounts, &s.Values); err != nil {
			return fmt.Errorf("provenance: scan: %w", err)
		}
		s.VariantID = uint64(key)
		if err := f(s); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	return nil
}

// SummaryIDs returns the variants that have a stored summary.
func (d *DB) SummaryIDs() (map[uint64]bool, error) {
	ids := map[uint64]bool{}
	rows, err := d.db.Query(`SELECT variant_id FROM variant_summary`)
	if err != nil {
		return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	defer rows.Close()
	for rows.Next() {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("provenance: scan: %w", err)
		}
		ids[uint64(key)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	return ids, nil
}
