-- The person index as sorted runs of packed blocks (a small log-structured
-- merge tree) instead of one B-tree row per entry keyed by pseudonym.
-- Pseudonyms are random, so each entry added to one big (person, idx) tree
-- dirtied its own page: once the index outgrew the writer's cache (about
-- 200,000 entries), indexing wrote about a page per entry and was half of
-- the log's CPU. Each indexing transaction now writes a new run: its
-- entries sorted by pseudonym and packed in blocks, under a new, largest
-- run number, so its pages are written in order. When a level holds enough
-- runs they are merged into one run of the next level, a slice of the
-- pseudonyms per transaction (accessindex.go). A person's entries are found
-- with a seek or two per run.

-- A run holds the entries [lo, hi). Outside a merge the runs cover
-- [0, indexed) exactly once; during a merge the run being built covers the
-- range of the runs it is built from, and every entry is in exactly one of
-- them.
CREATE TABLE access_person_runs (
	run   INTEGER NOT NULL PRIMARY KEY,
	level INTEGER NOT NULL,
	lo    INTEGER NOT NULL,
	hi    INTEGER NOT NULL,
	CHECK (0 <= lo AND lo < hi)
) STRICT;

-- A block holds consecutive (pseudonym, index) pairs of a run in order,
-- encoded as accessindex.go's encodeBlock says; it is keyed by its first
-- pair, and the blocks of a run do not overlap.
CREATE TABLE access_person_blocks (
	run       INTEGER NOT NULL,
	first     BLOB    NOT NULL,
	first_idx INTEGER NOT NULL,
	pairs     BLOB    NOT NULL,
	PRIMARY KEY (run, first, first_idx)
) STRICT, WITHOUT ROWID;

-- The merge in progress, if any: the runs of level `level` numbered below
-- `run` move into run `run`; the pseudonyms below `next` (the big-endian
-- value of their first two bytes) have moved, `width` more move per step.
CREATE TABLE access_person_merge (
	id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	run   INTEGER NOT NULL,
	level INTEGER NOT NULL,
	next  INTEGER NOT NULL,
	width INTEGER NOT NULL CHECK (width > 0)
) STRICT;

-- The old tree is dropped and its entries indexed again, as runs, by the
-- indexer (listings scan what it has not reached meanwhile).
DROP TABLE access_person;
UPDATE access_index_state SET indexed = 0 WHERE id = 1;
