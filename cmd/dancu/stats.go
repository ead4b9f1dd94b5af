package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/stats/duckstore"
	"github.com/dancu/dancu/internal/stats/statshttp"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

// pseudonymKeySetting holds the instance's pseudonym key (hex), the same
// for every process and every rebuild.
const pseudonymKeySetting = "stats.pseudonym_key"

func pseudonymizer(ctx context.Context, st store.Settings) (*stats.Pseudonymizer, error) {
	k := make([]byte, 32)
	rand.Read(k)
	v, err := st.SetSettingIfAbsent(ctx, pseudonymKeySetting, hex.EncodeToString(k))
	if err != nil {
		return nil, fmt.Errorf("stats: pseudonym key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("stats: the stored pseudonym key is not hex")
	}
	return stats.NewPseudonymizer(key)
}

func openAnalytics(ctx context.Context, cfg config.Config) (*duckstore.Store, error) {
	return duckstore.Open(ctx, cfg.StatsPath(), duckstore.Options{Threads: cfg.Stats.Threads, MemoryLimit: cfg.Stats.MemoryLimit})
}

// runStats is "dancu stats rebuild".
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: dancu stats rebuild [--data DIR | --db DSN]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageError{}
	}
	if args[0] != "rebuild" {
		return usageError{msg: fmt.Sprintf("unknown stats subcommand %q", args[0])}
	}
	fs := newFlagSet("stats rebuild", "dancu stats rebuild [--data DIR | --db DSN]", stderr)
	fl := config.Bind(fs, "data", "db")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		ps, err := pseudonymizer(ctx, st)
		if err != nil {
			return err
		}
		an, err := openAnalytics(ctx, cfg)
		if err != nil {
			return err
		}
		defer an.Close()
		res, err := stats.Rebuild(ctx, st, an, ps, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt %s from %s: %d people, %d events, %d dataset links, %d eID accounts, %d agencies, "+
			"%d access-log entries counted, outbox position %d, in %s\n",
			cfg.StatsPath(), desc, res.People, res.Events, res.Links, res.Accounts, res.Agencies, res.Access, res.Cursor,
			res.Elapsed.Round(time.Millisecond))
		return nil
	})
}

// runExport is "dancu export --format parquet|csv --dir DIR".
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "dancu export --format parquet|csv --dir DIR [--data DIR]", stderr)
	format := fs.String("format", "parquet", "`FORMAT`: parquet or csv")
	dir := fs.String("dir", "", "write into `DIR` (its people/, events/ and links/ are replaced)")
	fl := config.Bind(fs, "data")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{msg: "--dir is required"}
	}
	if *format != "parquet" && *format != "csv" {
		return usageError{msg: "--format must be parquet or csv"}
	}
	cfg, err := fl.Load(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if _, err := os.Stat(cfg.StatsPath()); err != nil {
		return fmt.Errorf("no analytics store at %s: run dancu stats rebuild first", cfg.StatsPath())
	}
	an, err := openAnalytics(ctx, cfg)
	if err != nil {
		return err
	}
	defer an.Close()
	files, err := an.Export(ctx, *format, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files under %s (pseudonymised; partitioned by province)\n", len(files), *dir)
	return nil
}

// startStats opens the analytics store, mounts the statistics API and the
// console section, and starts the outbox feeder when configured. stop
// stops the feeder and closes the store.
func startStats(ctx context.Context, cfg config.Config, st store.Store, srv *api.Server, wh *web.Handler,
	metrics prometheus.Registerer, logger *slog.Logger) (stop func(), err error) {
	ps, err := pseudonymizer(ctx, st)
	if err != nil {
		return nil, err
	}
	an, err := openAnalytics(ctx, cfg)
	if err != nil {
		// DuckDB locks its file: a second process on the same data folder
		// serves everything but statistics rather than not starting.
		logger.Error("statistics disabled: cannot open the analytics store", "path", cfg.StatsPath(), "err", err)
		return func() {}, nil
	}
	svc := stats.NewService(an, cfg.Stats.Threshold, cfg.Stats.MinPublicPopulation)
	statshttp.New(svc).Mount(srv.API())
	srv.AllowAnonymous(statshttp.PublicRoutes...)
	var feedStatus func() stats.FeedStatus
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if cfg.Stats.Feed {
		f := stats.NewFeeder(st, an, ps, stats.FeederOptions{Refresh: cfg.Stats.Refresh, Metrics: metrics, Logger: logger})
		feedStatus = f.Status
		go func() {
			defer close(done)
			f.Run(fctx)
		}()
	} else {
		close(done)
	}
	// Today's (and, before midnight, the next day's) pre-aggregated counts
	// are made in the background, so that no query waits for them.
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		svc.RunPreaggregation(fctx, stats.PreaggregateOptions{Logger: logger})
	}()
	addAreaFigures(st, logger)
	wh.AddSection(statshttp.NewConsole(svc, wh, feedStatus).Section())
	return func() {
		cancel()
		<-done
		<-counted
		an.Close()
	}, nil
}

// figuresOnce keeps the dashboard's figures from being added twice when
// serve runs more than once in a process (tests).
var figuresOnce sync.Once

// addAreaFigures adds to the dashboard the national figures other areas
// keep in their own stores: health facilities using chip check-in,
// vaccination by dose, online dossiers and their on-time rate. (They have
// no per-person rows in the analytics store yet, so no breakdown by
// region, sex or age.)
func addAreaFigures(st store.Store, logger *slog.Logger) {
	figuresOnce.Do(func() {
		statshttp.AddFigure(func(ctx context.Context, _ *stats.Service) ([][2]string, error) {
			var out [][2]string
			if c, err := st.CheckInCounts(ctx, time.Time{}); err == nil {
				out = append(out, [2]string{"Cơ sở y tế dùng thẻ chip / health facilities using chip check-in",
					fmt.Sprintf("%d of %d with check-ins (%d people served by chip)", c.ChipFacilities, c.Facilities, c.ChipPeopleServed)})
			} else {
				logger.Warn("stats: check-in counts", "err", err)
			}
			ds, err := dataset.New(st, nil, nil, logger).ByKind(ctx, "vaccination")
			if err == nil && len(ds) > 0 {
				names := make([]string, len(ds))
				for i, d := range ds {
					names[i] = d.Name
				}
				doses, err := st.VaccinationDoses(ctx, names)
				if err != nil {
					logger.Warn("stats: vaccination doses", "err", err)
				}
				byVaccine := map[string][]string{}
				var order []string
				for _, d := range doses {
					if _, ok := byVaccine[d.Vaccine]; !ok {
						order = append(order, d.Vaccine)
					}
					byVaccine[d.Vaccine] = append(byVaccine[d.Vaccine], fmt.Sprintf("%d dose(s): %d", d.Doses, d.People))
				}
				for _, v := range order {
					out = append(out, [2]string{"Tiêm chủng / vaccination " + v, strings.Join(byVaccine[v], "; ")})
				}
			}
			now := time.Now()
			if rows, err := st.DossierStats(ctx, now.AddDate(0, -12, 0), now, now); err == nil {
				var sub, dec, on, open int64
				for _, r := range rows {
					sub, dec, on, open = sub+r.Submitted, dec+r.Decided, on+r.OnTime, open+r.Open
				}
				rate := "–"
				if dec > 0 {
					rate = fmt.Sprintf("%.1f%%", 100*float64(on)/float64(dec))
				}
				out = append(out, [2]string{"Hồ sơ trực tuyến 12 tháng / online dossiers, last 12 months",
					fmt.Sprintf("%d submitted, %d decided, %s on time, %d open", sub, dec, rate, open)})
			} else {
				logger.Warn("stats: dossier counts", "err", err)
			}
			return out, nil
		})
	})
}
