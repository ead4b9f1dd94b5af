-- The access log moves to a file of its own (access_migrations/, beside this
-- file as NAME-access.db): Open copies any entries, hashes, checkpoints and
-- person index there before this migration runs, and checks that the copy
-- is complete, so dropping them here loses nothing.
DROP TABLE access_index_state;
DROP TABLE access_person;
DROP TABLE access_checkpoints;
DROP TABLE access_log_state;
DROP TABLE access_hashes;
DROP TABLE access_log;
