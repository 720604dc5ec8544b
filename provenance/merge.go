package provenance

import (
	"context"
	"database/sql"
	"fmt"
)

// MergeStats counts what one MergeFrom added or updated.
type MergeStats struct {
	Variants int64 `json:"variants"` // variant rows inserted or updated
	Attempts int64 `json:"attempts"` // attempt rows inserted (a batch attempt's rows replace main's when they differ)
	Files    int64 `json:"files"`    // result file rows inserted
}

// mergeSQL folds the attached database `shard` into main. Rows are matched
// by natural keys (sweep name and digest, variant id, build module key and
// start time, batch attempt by start, batch id and worker, file by path), so
// merging the same shard twice, or again after it made progress, adds nothing
// twice. A batch attempt's rows and a file's rows are the shard's, replacing
// main's when they differ (the shard ended the attempt, or split it, or
// rewrote the file since the last merge). A variant row is taken from the shard when the shard's is
// newer. Sweep-level outputs of shards (their own variants tables) are not
// copied: the merge writes its own.
var mergeSQL = []string{
	// The shard's definitions join main's: main's recorded sets no longer describe it.
	`DELETE FROM main.variant_set`,

	`INSERT INTO main.sweep (name, config_text, config_digest, created, gennctl_version, vcs_commit, vcs_dirty, config_path)
	 SELECT name, config_text, config_digest, created, gennctl_version, vcs_commit, vcs_dirty, config_path FROM shard.sweep s
	 WHERE NOT EXISTS (SELECT 1 FROM main.sweep m WHERE m.name = s.name AND m.config_digest = s.config_digest)`,

	`CREATE TEMP TABLE IF NOT EXISTS sweep_map (shard_id INTEGER PRIMARY KEY, main_id INTEGER NOT NULL)`,
	`DELETE FROM temp.sweep_map`,
	`INSERT INTO temp.sweep_map SELECT s.id, m.id FROM shard.sweep s JOIN main.sweep m ON m.name = s.name AND m.config_digest = s.config_digest`,

	`INSERT INTO main.environment (sweep_id, recorded, os, kernel, cpu_model, cores, memory_bytes, go_version, hostname, gpus, driver, cuda_version)
	 SELECT sm.main_id, e.recorded, e.os, e.kernel, e.cpu_model, e.cores, e.memory_bytes, e.go_version, e.hostname, e.gpus, e.driver, e.cuda_version
	 FROM shard.environment e JOIN temp.sweep_map sm ON sm.shard_id = e.sweep_id
	 WHERE NOT EXISTS (SELECT 1 FROM main.environment x WHERE x.recorded = e.recorded AND x.hostname = e.hostname)`,

	`INSERT INTO main.variant (id, sweep_id, point, repeat, seed, structure_key, value_digest, status, attempts, error, failure, updated)
	 SELECT v.id, sm.main_id, v.point, v.repeat, v.seed, v.structure_key, v.value_digest, v.status, v.attempts, v.error, v.failure, v.updated
	 FROM shard.variant v JOIN temp.sweep_map sm ON sm.shard_id = v.sweep_id WHERE true
	 ON CONFLICT (id) DO UPDATE SET sweep_id = excluded.sweep_id, point = excluded.point, repeat = excluded.repeat,
	   seed = excluded.seed, structure_key = excluded.structure_key, value_digest = excluded.value_digest, status = excluded.status,
	   attempts = excluded.attempts, error = excluded.error, failure = excluded.failure, updated = excluded.updated
	 WHERE excluded.updated > variant.updated`,

	`INSERT INTO main.build (structure_key, source_digest, module_key, module_path, backend, compiler, compiler_version, flags, target_arch, started, duration_s, cache_hit)
	 SELECT b.structure_key, b.source_digest, b.module_key, b.module_path, b.backend, b.compiler, b.compiler_version, b.flags, b.target_arch, b.started, b.duration_s, b.cache_hit
	 FROM shard.build b
	 WHERE NOT EXISTS (SELECT 1 FROM main.build m WHERE m.module_key = b.module_key AND m.started = b.started)`,

	`DELETE FROM main.attempt WHERE EXISTS (SELECT 1 FROM shard.attempt s WHERE ` + sameAttempt + `)
	   AND NOT EXISTS (SELECT 1 FROM shard.attempt s WHERE ` + sameAttempt + ` AND ` + sameAttemptRow + `)`,

	`INSERT INTO main.attempt (variants, build_id, sweep_id, batch_id, worker_pid, host, device, started, ended, status, exit_status,
	   failure, error, peak_rss_bytes)
	 SELECT s.variants,
	   (SELECT m.id FROM main.build m JOIN shard.build sb ON m.module_key = sb.module_key AND m.started = sb.started WHERE sb.id = s.build_id),
	   (SELECT sm.main_id FROM temp.sweep_map sm WHERE sm.shard_id = s.sweep_id),
	   s.batch_id, s.worker_pid, s.host, s.device, s.started, s.ended, s.status, s.exit_status, s.failure, s.error, s.peak_rss_bytes
	 FROM shard.attempt s
	 WHERE NOT EXISTS (SELECT 1 FROM main.attempt WHERE ` + sameAttempt + ` AND ` + sameAttemptRow + `)
	 ORDER BY s.id`,

	`DELETE FROM main.result_file WHERE variants IS NOT NULL
	   AND EXISTS (SELECT 1 FROM shard.result_file s WHERE s.path = main.result_file.path AND s.variants IS NOT NULL)
	   AND NOT EXISTS (SELECT 1 FROM shard.result_file s WHERE ` + sameFile + `)`,

	`INSERT INTO main.result_file (sweep_id, kind, path, variants, variant_rows, rows, bytes, sha256, created)
	 SELECT sm.main_id, s.kind, s.path, s.variants, s.variant_rows, s.rows, s.bytes, s.sha256, s.created
	 FROM shard.result_file s JOIN temp.sweep_map sm ON sm.shard_id = s.sweep_id
	 WHERE s.variants IS NOT NULL AND NOT EXISTS (SELECT 1 FROM main.result_file WHERE ` + sameFile + `)
	 ORDER BY s.id`,
}

// sameAttempt: shard row s and main's attempt row are of one batch attempt; sameAttemptRow:
// and record the same variants and end.
const (
	sameAttempt = `s.started = main.attempt.started AND s.batch_id = main.attempt.batch_id
	AND s.worker_pid = main.attempt.worker_pid`
	sameAttemptRow = `s.variants = main.attempt.variants AND s.status = main.attempt.status AND s.ended IS main.attempt.ended
	AND s.exit_status IS main.attempt.exit_status AND s.failure = main.attempt.failure AND s.error = main.attempt.error
	AND s.peak_rss_bytes = main.attempt.peak_rss_bytes`
	// sameFile: shard row s and main's result file row record one version of a file.
	sameFile = `s.path = main.result_file.path AND s.sha256 = main.result_file.sha256 AND s.created = main.result_file.created
	AND s.variants IS main.result_file.variants`
)

// MergeFrom folds the provenance database at path (a shard's) into d in one
// transaction. It is idempotent and safe while the shard is still being
// written: it takes what the shard has committed.
func (d *DB) MergeFrom(path string) (MergeStats, error) {
	var st MergeStats
	ctx := context.Background()
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Close()
	if err := attachShard(ctx, conn, path); err != nil {
		return st, err
	}
	defer conn.ExecContext(ctx, `DETACH DATABASE shard`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	counts := map[int]*int64{6: &st.Variants, 9: &st.Attempts, 11: &st.Files}
	for i, q := range mergeSQL {
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return st, fmt.Errorf("provenance: merge %s (step %d): %w", path, i, err)
		}
		if c, ok := counts[i]; ok {
			n, _ := res.RowsAffected()
			*c += n
		}
	}
	if _, err := mergeSummaries(ctx, tx); err != nil {
		return st, fmt.Errorf("provenance: merge %s (summaries): %w", path, err)
	}
	return st, tx.Commit()
}

// attachShard attaches the database at path read-only as shard. One written by an earlier
// gennctl is first brought up to date in place, as opening it for a run would; one written by
// a newer gennctl is refused.
func attachShard(ctx context.Context, conn *sql.Conn, path string) error {
	for upgraded := false; ; upgraded = true {
		if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS shard`, "file:"+path+"?mode=ro"); err != nil {
			return fmt.Errorf("provenance: attach %s: %w", path, err)
		}
		var v int
		if err := conn.QueryRowContext(ctx, `PRAGMA shard.user_version`).Scan(&v); err != nil {
			conn.ExecContext(ctx, `DETACH DATABASE shard`)
			return fmt.Errorf("provenance: attach %s: %w", path, err)
		}
		switch {
		case v == len(migrations):
			return nil
		case v > len(migrations) || upgraded:
			conn.ExecContext(ctx, `DETACH DATABASE shard`)
			return fmt.Errorf("provenance: shard %s: schema version %d, this gennctl knows %d; upgrade gennctl", path, v, len(migrations))
		}
		if _, err := conn.ExecContext(ctx, `DETACH DATABASE shard`); err != nil {
			return err
		}
		shard, err := Open(path)
		if err != nil {
			return err
		}
		if err := shard.Close(); err != nil {
			return err
		}
	}
}
