-- 0017_verify_index: bulk verification reads each PIN's verification
-- columns by an index-only scan of this covering index instead of the
-- primary key and then the heap, and counts subscriptions per PIN in its
-- own first pass over the job's file (package match), so the per-job counts
-- table goes.
CREATE INDEX persons_verify ON persons (pin) INCLUDE (name_fold, birth_date, sex, state);
DROP TABLE verify_counts;
