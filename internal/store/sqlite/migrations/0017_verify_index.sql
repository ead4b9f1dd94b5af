-- 0017_verify_index: bulk verification reads each PIN's verification
-- columns from one compact covering index instead of the PIN index and
-- then the table's rows (two searches, the second in pages spread over the
-- whole file), and counts subscriptions per PIN in its own first pass over
-- the job's file (package match), so the per-job counts table goes.
CREATE INDEX persons_verify ON persons (pin, name_fold, birth_date, sex, state);
DROP TABLE verify_counts;
