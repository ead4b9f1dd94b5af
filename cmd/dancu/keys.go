package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed"
)

const keysUsage = "dancu keys init|status|rotate [--new-data-key] [--keep-old]|reseal [--batch N] [--pause D] [--rewrite]|retire ID|prune [--data DIR | --db DSN] [--key-file FILE]"

// runKeys runs the key-management subcommands of the encryption at rest.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "want: " + keysUsage}
	}
	switch args[0] {
	case "init":
		return keysInit(ctx, args[1:], stdout, stderr)
	case "status":
		return keysStatus(ctx, args[1:], stdout, stderr)
	case "rotate":
		return keysRotate(ctx, args[1:], stdout, stderr)
	case "prune":
		return keysPrune(ctx, args[1:], stdout, stderr)
	case "reseal":
		return keysReseal(ctx, args[1:], stdout, stderr)
	case "retire":
		return keysRetire(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprintf(stdout, "Usage: %s\n\n"+
			"init    creates the key file and the store's data keys (before the first start)\n"+
			"status  lists the key-encryption keys of the key file, the store's data keys and how many\n"+
			"        documents each seals, and the documents still in clear (reads every table)\n"+
			"rotate  adds a key-encryption key, re-wraps every data key under it and drops the old ones;\n"+
			"        running processes keep serving (see docs/operations.md)\n"+
			"reseal  seals every document in clear or under an older data key under the newest one,\n"+
			"        while processes serve; stopped, it carries on where it was when run again\n"+
			"retire  deletes a data key that no document is sealed under any more (after reseal)\n"+
			"prune   drops the key-encryption keys that no data key is wrapped under any more\n", keysUsage)
		return nil
	}
	return usageError{msg: "want: " + keysUsage}
}

// keysFlags parses the flags of a keys subcommand and loads the
// configuration.
func keysFlags(name string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, error) {
	fs := newFlagSet("keys "+name, keysUsage, stderr)
	if extra != nil {
		extra(fs)
	}
	fl := config.Bind(fs, "data", "db")
	if err := parseFlags(fs, args, stdout); err != nil {
		return config.Config{}, err
	}
	cfg, err := fl.Load(os.LookupEnv)
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

// keysInit creates the key file and the store's first data keys. It
// refuses a store that has keys already: they are wrapped under another
// key file, which a new one cannot open.
func keysInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := keysFlags("init", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	backend, desc, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	if keys, err := backend.DataKeys(ctx); err != nil {
		return err
	} else if len(keys) > 0 {
		return fmt.Errorf("%s has data keys already (wrapped under %s): use its key file", desc, strings.Join(kekIDs(keys), ", "))
	}
	kf, err := seal.CreateKeyFile(cfg.KeyFile())
	if errors.Is(err, fs.ErrExist) {
		kf, err = seal.OpenKeyFile(cfg.KeyFile())
	}
	if err != nil {
		return err
	}
	kr, err := seal.NewKeyring(ctx, kf, backend)
	if err != nil {
		return err
	}
	_, current := kf.IDs()
	fmt.Fprintf(stdout, "key file %s: key-encryption key %s\n%s: data key %d created\n", kf.Path(), current, desc, kr.ActiveKey())
	fmt.Fprintln(stdout, "Keep a copy of the key file apart from the database's backups: without it no backup can be read.")
	return nil
}

// openKeys opens the store without sealing, its key file and its keyring,
// for the commands that manage the keys themselves.
func openKeys(ctx context.Context, cfg config.Config) (store.Store, string, *seal.KeyFile, *seal.Keyring, error) {
	backend, desc, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, "", nil, nil, err
	}
	kf, err := seal.OpenKeyFile(cfg.KeyFile())
	var kr *seal.Keyring
	if err == nil {
		if kr, err = seal.NewKeyring(ctx, kf, backend); err != nil {
			err = fmt.Errorf("the key file does not open the store's keys: %w", err)
		}
	}
	if err != nil {
		backend.Close()
		return nil, "", nil, nil, err
	}
	return backend, desc, kf, kr, nil
}

// keysStatus lists the keys without ever printing one.
func keysStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := keysFlags("status", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	backend, desc, kf, kr, err := openKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	ids, current := kf.IDs()
	fmt.Fprintf(stdout, "key file %s\n", kf.Path())
	for _, id := range ids {
		mark := ""
		if id == current {
			mark = " (current)"
		}
		fmt.Fprintf(stdout, "  key-encryption key %s%s\n", id, mark)
	}
	keys, err := backend.DataKeys(ctx)
	if err != nil {
		return err
	}
	usage, err := sealed.New(backend, kr).Usage(ctx)
	if err != nil {
		return err
	}
	byKey := map[int64]int64{}
	var inClear int64
	for _, u := range usage {
		inClear += u.Clear
		for id, n := range u.ByKey {
			byKey[id] += n
		}
	}
	fmt.Fprintf(stdout, "data keys in %s\n", desc)
	for _, k := range keys {
		mark := ""
		if k.Purpose == seal.PurposeData && k.ID == kr.ActiveKey() {
			mark = " (seals new writes)"
		}
		seals := ""
		if k.Purpose == seal.PurposeData {
			seals = fmt.Sprintf(", seals %s documents", thousands(int(byKey[k.ID])))
		}
		fmt.Fprintf(stdout, "  %d %-5s wrapped under %s, created %s%s%s\n", k.ID, k.Purpose, k.KEKID, k.CreatedAt.Format("2006-01-02 15:04:05Z"), seals, mark)
	}
	fmt.Fprintf(stdout, "documents in clear: %s\n", thousands(int(inClear)))
	for _, u := range usage {
		if u.Clear > 0 {
			fmt.Fprintf(stdout, "  %s: %s\n", u.Column, thousands(int(u.Clear)))
		}
	}
	clearKeys, err := backend.ClearDatasetKeys(ctx, "", "", 1)
	if err != nil {
		return err
	}
	if len(clearKeys) > 0 {
		fmt.Fprintln(stdout, "dataset record keys in clear: some (run dancu keys reseal to blind-index them)")
	} else {
		fmt.Fprintln(stdout, "dataset record keys in clear: none")
	}
	if inClear > 0 && cfg.Encryption.Strict {
		fmt.Fprintln(stdout, "encryption.strict is on: processes refuse to read these; run dancu keys reseal")
	}
	return nil
}

// keysReseal seals every document in clear or under an older data key
// under the newest one (sealed.Store.Reseal), printing its progress.
func keysReseal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var batch *int
	var pause *time.Duration
	var rewrite *bool
	cfg, err := keysFlags("reseal", args, stdout, stderr, func(fs *flag.FlagSet) {
		batch = fs.Int("batch", 500, "documents rewritten per transaction")
		pause = fs.Duration("pause", 0, "rest between batches, to leave the machine to serving")
		rewrite = fs.Bool("rewrite", false, "at the end, rewrite the tables whole so that no free space keeps old bytes (blocks writes while it runs)")
	})
	if err != nil {
		return err
	}
	if *batch < 1 || *batch > 100_000 {
		return usageError{msg: fmt.Sprintf("--batch must be from 1 to 100000 (it is %d)", *batch)}
	}
	backend, desc, _, kr, err := openKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	st := sealed.New(backend, kr)
	fmt.Fprintf(stdout, "%s: sealing every document under data key %d\n", desc, kr.ActiveKey())
	start := time.Now()
	var shown time.Time
	var column store.DocumentColumn
	res, err := st.Reseal(ctx, sealed.ResealOptions{Batch: *batch, Pause: *pause, Rewrite: *rewrite,
		Progress: func(p sealed.ResealProgress) {
			// A line when a column starts and ends, and every 2 s between.
			if p.Column == column && (p.Todo == 0 || p.Done < p.Todo) && time.Since(shown) < 2*time.Second {
				return
			}
			column, shown = p.Column, time.Now()
			if p.Todo == 0 { // dataset record keys moving to their blind index: not counted ahead
				fmt.Fprintf(stdout, "  %s: %s moved to their blind index so far, %s documents/s\n", p.Column, thousands(int(p.Done)),
					thousands(int(float64(p.Resealed)/max(time.Since(start).Seconds(), 1e-3))))
				return
			}
			fmt.Fprintf(stdout, "  %s: %s/%s (%d%%), %s documents/s\n", p.Column, thousands(int(p.Done)), thousands(int(p.Todo)),
				p.Done*100/max(p.Todo, 1), thousands(int(float64(p.Resealed)/max(time.Since(start).Seconds(), 1e-3))))
		}})
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s documents re-sealed in %s (%s documents/s)", thousands(int(res.Resealed)), elapsed.Round(time.Millisecond),
		thousands(int(float64(res.Resealed)/max(elapsed.Seconds(), 1e-3))))
	if res.Rekeyed > 0 {
		fmt.Fprintf(stdout, ", %s of them dataset records whose key is now blind-indexed", thousands(int(res.Rekeyed)))
	}
	if res.Raced > 0 {
		fmt.Fprintf(stdout, "; %s changed by other writers meanwhile", thousands(int(res.Raced)))
	}
	fmt.Fprintln(stdout)
	if err != nil {
		return fmt.Errorf("reseal stopped (run it again to carry on): %w", err)
	}
	if res.Left > 0 {
		return fmt.Errorf("%d documents are still in clear or under an older key (written meanwhile by a process that has not moved to data key %d yet): run reseal again in a minute", res.Left, res.Key)
	}
	keys, err := backend.DataKeys(ctx)
	if err != nil {
		return err
	}
	var old []string
	for _, k := range keys {
		if k.Purpose == seal.PurposeData && k.ID != res.Key {
			old = append(old, strconv.FormatInt(k.ID, 10))
		}
	}
	if len(old) > 0 {
		fmt.Fprintf(stdout, "no document is sealed under data keys %s any more: dancu keys retire ID deletes one\n", strings.Join(old, ", "))
	}
	return nil
}

// keysRetire deletes a data key no document is sealed under.
func keysRetire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{msg: "want: dancu keys retire ID [--data DIR | --db DSN] [--key-file FILE]"}
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id < 1 {
		return usageError{msg: fmt.Sprintf("data key id %q is not a positive number", args[0])}
	}
	cfg, err := keysFlags("retire", args[1:], stdout, stderr, nil)
	if err != nil {
		return err
	}
	backend, desc, _, kr, err := openKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	if err := sealed.New(backend, kr).RetireDataKey(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: data key %d retired (backups taken before keep their own copy of it)\n", desc, id)
	return nil
}

// keysRotate adds a key-encryption key, re-wraps every data key under it
// and, unless --keep-old, removes the key-encryption keys nothing is
// wrapped under any more. Documents are not rewritten: running processes
// hold their data keys unwrapped and carry on; one that meets the new KEK
// re-reads the key file.
func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var newDataKey, keepOld *bool
	cfg, err := keysFlags("rotate", args, stdout, stderr, func(fs *flag.FlagSet) {
		newDataKey = fs.Bool("new-data-key", false, "also add a data key that seals new writes from now on")
		keepOld = fs.Bool("keep-old", false, "keep the old key-encryption keys in the key file (for a key file copied to several hosts)")
	})
	if err != nil {
		return err
	}
	backend, desc, kf, kr, err := openKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	kek, err := kf.AddKEK()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key file %s: new key-encryption key %s\n", kf.Path(), kek)
	n, err := kr.Rewrap(ctx)
	if err != nil {
		return fmt.Errorf("re-wrap (the key file keeps every key; run rotate again): %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d data keys re-wrapped\n", desc, n)
	if *newDataKey {
		id, err := kr.NewDataKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "data key %d seals new writes (running processes move to it within a minute)\n", id)
	}
	if *keepOld {
		return nil
	}
	return pruneKEKs(ctx, kf, backend, stdout)
}

// keysPrune drops the key-encryption keys nothing is wrapped under.
func keysPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := keysFlags("prune", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	backend, _, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer backend.Close()
	kf, err := seal.OpenKeyFile(cfg.KeyFile())
	if err != nil {
		return err
	}
	return pruneKEKs(ctx, kf, backend, stdout)
}

// pruneKEKs removes from the key file every KEK but the current one and
// those the store's data keys are wrapped under.
func pruneKEKs(ctx context.Context, kf *seal.KeyFile, ks store.DataKeys, stdout io.Writer) error {
	keys, err := ks.DataKeys(ctx)
	if err != nil {
		return err
	}
	gone, err := kf.Prune(kekIDs(keys))
	if err != nil {
		return err
	}
	if len(gone) > 0 {
		fmt.Fprintf(stdout, "removed from the key file: %s\n", strings.Join(gone, ", "))
	} else {
		fmt.Fprintln(stdout, "nothing to remove from the key file")
	}
	return nil
}
