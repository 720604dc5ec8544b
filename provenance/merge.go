package provenance

import (
	"context"
	"fmt"
)

// MergeStats counts what one MergeFrom added or updated.
type MergeStats struct {
	Variants int64 `json:"variants"` // variant rows inserted or updated
	Runs     int64 `json:"runs"`     // run rows inserted or updated
	Outputs  int64 `json:"outputs"`  // output rows inserted
}

// mergeSQL folds the attached database `shard` into main. Rows are matched
// by natural keys (sweep name and digest, variant id, build module key and
// start time, run variant, worker and start time, output variant and path),
// so merging the same shard twice, or again after it made progress, adds
// nothing twice. A variant row is taken from the shard when the shard's is
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

	`INSERT INTO main.variant (id, sweep_id, point, repeat, seed, structure_key, value_digest, status, attempts, error, updated)
	 SELECT v.id, sm.main_id, v.point, v.repeat, v.seed, v.structure_key, v.value_digest, v.status, v.attempts, v.error, v.updated
	 FROM shard.variant v JOIN temp.sweep_map sm ON sm.shard_id = v.sweep_id WHERE true
	 ON CONFLICT (id) DO UPDATE SET sweep_id = excluded.sweep_id, point = excluded.point, repeat = excluded.repeat,
	   seed = excluded.seed, structure_key = excluded.structure_key, value_digest = excluded.value_digest, status = excluded.status,
	   attempts = excluded.attempts, error = excluded.error, updated = excluded.updated
	 WHERE excluded.updated > variant.updated`,

	`INSERT INTO main.build (structure_key, source_digest, module_key, module_path, backend, compiler, compiler_version, flags, target_arch, started, duration_s, cache_hit)
	 SELECT b.structure_key, b.source_digest, b.module_key, b.module_path, b.backend, b.compiler, b.compiler_version, b.flags, b.target_arch, b.started, b.duration_s, b.cache_hit
	 FROM shard.build b
	 WHERE NOT EXISTS (SELECT 1 FROM main.build m WHERE m.module_key = b.module_key AND m.started = b.started)`,

	`UPDATE main.run SET ended = r.ended, status = r.status, exit_status = r.exit_status, error = r.error, peak_rss_bytes = r.peak_rss_bytes,
	   failure = r.failure
	 FROM shard.run r
	 WHERE main.run.variant_id = r.variant_id AND main.run.worker_pid = r.worker_pid AND main.run.started = r.started
	   AND (main.run.status IS NOT r.status OR main.run.ended IS NOT r.ended)`,

	`INSERT INTO main.run (variant_id, build_id, batch_id, worker_pid, host, device, started, ended, status, exit_status, error, peak_rss_bytes,
	   sweep_id, failure)
	 SELECT r.variant_id,
	   (SELECT m.id FROM main.build m JOIN shard.build sb ON m.module_key = sb.module_key AND m.started = sb.started WHERE sb.id = r.build_id),
	   r.batch_id, r.worker_pid, r.host, r.device, r.started, r.ended, r.status, r.exit_status, r.error, r.peak_rss_bytes,
	   (SELECT sm.main_id FROM temp.sweep_map sm WHERE sm.shard_id = r.sweep_id), r.failure
	 FROM shard.run r
	 WHERE NOT EXISTS (SELECT 1 FROM main.run m WHERE m.variant_id = r.variant_id AND m.worker_pid = r.worker_pid AND m.started = r.started)`,

	`DELETE FROM main.output WHERE variant_id IS NOT NULL AND EXISTS (
	   SELECT 1 FROM shard.output o WHERE o.variant_id = main.output.variant_id AND o.path = main.output.path
	     AND (o.sha256 <> main.output.sha256 OR o.created <> main.output.created))`,

	`INSERT INTO main.output (sweep_id, variant_id, kind, path, rows, bytes, sha256, created)
	 SELECT sm.main_id, o.variant_id, o.kind, o.path, o.rows, o.bytes, o.sha256, o.created
	 FROM shard.output o JOIN temp.sweep_map sm ON sm.shard_id = o.sweep_id
	 WHERE o.variant_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM main.output m WHERE m.variant_id = o.variant_id AND m.path = o.path)`,
}

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
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS shard`, "file:"+path+"?mode=ro"); err != nil {
		return st, fmt.Errorf("provenance: attach %s: %w", path, err)
	}
	defer conn.ExecContext(ctx, `DETACH DATABASE shard`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	counts := map[int]*int64{6: &st.Variants, 8: &st.Runs, 9: &st.Runs, 11: &st.Outputs}
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
