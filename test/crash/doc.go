// Package crash holds the registry's crash-safety tests. It has no code of
// its own: the tests build the dancu binary, run it as a separate process,
// kill it with SIGKILL at a random moment and check what the next start
// finds. They check the promise of the registry issue: "Kill -9 during
// generate or during a burst of events: after restart the store opens,
// every acknowledged event is there, and no half-applied event is visible."
//
// # Generate
//
// TestGenerate_KillMidLoad kills `dancu generate --citizens 200000` three
// times, at an early, a middle and a later point of the bulk load, each in a
// fresh data folder. Afterwards sqlite.Open must open the file and build
// again the indexes the loader had dropped, and the store must hold exactly
// the first k of the generator's batches for some k (possibly none): the
// same people, households and events, each person with versions 1..N and
// the current row at N, every household member on record. `dancu serve`
// must then start on the folder and answer /readyz.
//
// A second `dancu generate` on the partly filled folder refuses it, exits
// with status 1 and says how many people the store holds and that generate
// only fills an empty registry: the generator's PINs and household ids are
// only unique among themselves, so it cannot resume or top up. The operator
// starts again with an empty data folder. A folder the kill left with no
// person at all is empty, and generate fills it.
//
// # Events
//
// TestEvents_KillMidBurst starts `dancu serve`, registers a few households
// through POST /v1/events, and has several clients post a burst of life
// events (births into those households, ID cards, corrections, temporary
// residences) with ids they choose. Every tenth is a birth into a household
// that does not exist, which the registry must refuse after it has already
// allocated a PIN and changed the parents in memory. When a random number
// of events has been acknowledged, the server is killed. After a restart
// on the same folder:
//
//   - every event answered 201 or 200 is returned by GET /v1/events/{id},
//     with the result that was acknowledged;
//   - every event answered with a 4xx refusal is absent;
//   - every recorded event is whole: each person version its result names is
//     in that person's history with the event's id, each household version
//     in the household's history, and the outbox holds exactly one row per
//     person it changed;
//   - nothing else was written: every version of every person belongs to a
//     recorded event, the people on record are exactly those the events
//     created, and the outbox names no other event.
//
// Events whose request was in flight at the kill may or may not be there;
// if they are, the checks above hold for them too. Their clients then send
// them again, unchanged, as a client that got no answer would: one that
// was applied must be answered 200 with its first result, one that was not
// is applied now. The burst, kill, restart and retry repeat three times on
// the same folder, so later rounds also run on a store that has been
// through a crash, and a last restart checks everything once more.
//
// # Disk faults
//
// TestDisk_ReadOnly and TestDisk_Full (Linux, as root) run `dancu serve`
// on a small ext4 file system in an image file, loop-mounted with
// errors=remount-ro, and make the kernel fail it for real — nothing is
// simulated inside dancu:
//
//   - read-only: ext4's trigger_fs_error (sysfs) records a file-system
//     error, as a failed disk write would; the kernel aborts the journal and
//     the mount turns read-only under the running process, so that every
//     write fails with EROFS, even through files already open;
//   - full: a file takes every free block (the file system reserves none
//     for root), so that the next write needing a new block fails with
//     ENOSPC.
//
// While the fault lasts, every life event and dataset upload is refused
// with a 5xx problem+json answer, and every read that needs an access-log
// entry is refused (503) rather than answered unlogged; the process stays
// up (/healthz). On the read-only file system, the server stops when asked
// and a new one refuses to start with an error that says the database is
// read-only. Once space is freed, the same process serves writes again
// without a restart; once the read-only file system is repaired (unmount,
// e2fsck, mount), a new process starts. Then every acknowledged event is on
// record and whole, every refused one absent (the events test's checks),
// every read answered 200 is in the access log under its request id and no
// refused one is, every acknowledged dataset record is held, and
// `dancu audit verify` passes.
//
// Where the machine cannot mount (not root, no loop device, no ext4 tools)
// the tests skip and say why; CI sets DANCU_REQUIRE_FAULTFS=1, which makes
// that a failure.
//
// # Running
//
// The tests only kill processes (never the test binary itself) and need a
// Unix system. Randomness only moves the kill points: what is asserted does
// not depend on it. The seed is logged and -crash.seed=N replays it. With
// -short, the generate test is skipped and the events test runs one round.
package crash
