package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audithttp"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/eid/eidweb"
	"github.com/dancu/dancu/internal/match/jobpages"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/portal"
	"github.com/dancu/dancu/internal/ratelimit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
	"github.com/dancu/dancu/internal/web"
	"github.com/dancu/dancu/internal/web/connect"
	rpconsole "github.com/dancu/dancu/internal/web/rp"
)

// serveEnv is what serve takes from its surroundings besides arguments, so
// that tests can supply their own.
type serveEnv struct {
	lookupEnv func(string) (string, bool)
	// ready, if set, is called with the base URL once the listener accepts
	// connections (tests listen on port 0 and need the port).
	ready func(baseURL string)
}

// runServe serves the registry until ctx is cancelled, then shuts down
// gracefully.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return serve(ctx, args, stdout, stderr, serveEnv{lookupEnv: os.LookupEnv})
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, env serveEnv) (err error) {
	fs := newFlagSet("serve", "dancu serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo] [--nats URL]", stderr)
	fl := config.Bind(fs, "addr", "data", "db", "demo", "demo-citizens", "log-level", "log-format", "nats")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	cfg, err := fl.Load(env.lookupEnv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	logger := newLogger(cfg, stderr)
	logger.Debug("configuration", "config", cfg)

	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	if err := requireWritable(ctx, st); err != nil {
		return err
	}
	authn, generated, err := auth.Setup(ctx, st, cfg.AdminToken.Reveal())
	if err != nil {
		return err
	}
	// Every birth and initial registration is checked for people already
	// on record before it allocates a PIN (README, "Duplicate detection").
	reg := registry.New(st, registry.WithScreen(linkage.NewScreen(linkage.NewService(st), logger)))
	if cfg.Demo.Enabled {
		if err := fillDemo(ctx, reg, st, cfg, stdout); err != nil {
			return err
		}
	}

	// The access log: every process appends (the store orders the
	// appends); signing checkpoints and indexing run in one process at a
	// time, each under a lease.
	accessLog, err := audit.Open(ctx, st, audit.Options{Logger: logger, CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		return err
	}
	// Deferred after the store's Close, so it runs first: the last batch
	// commits before the store goes away.
	defer accessLog.Close()
	single := newSingleWriters(ctx, st, logger)
	defer single.Stop() // before the access log's Close
	single.Go("audit.checkpoints", func(ctx context.Context) { accessLog.RunSigner(ctx, checkpointEvery) })
	single.Go("audit.index", func(ctx context.Context) { accessLog.RunIndexer(ctx, indexEvery) })

	// Connected agencies: their clients' access tokens are verified by the
	// same middleware as the admin token, and their reads go through policy.
	exch, err := newExchange(ctx, st, reg, accessLog, authn, exchangeIssuer(env.lookupEnv, cfg.Addr), logger)
	if err != nil {
		return err
	}
	metrics := api.NewMetricsRegistry()
	metrics.MustRegister(accessLog.Collectors()...)
	limits := api.RateLimit{
		PerAddress:     ratelimit.New(float64(cfg.RateLimit.PerAddress), cfg.RateLimit.AddressBurst, 1<<20),
		PerAgency:      ratelimit.New(float64(cfg.RateLimit.PerAgency), cfg.RateLimit.AgencyBurst, 1<<14),
		TrustedProxies: cfg.RateLimit.Proxies(),
	}
	members, leave := joinProcesses(ctx, st, single.holder, limits, metrics, logger)
	defer leave() // before the store's Close
	srv := api.New(api.Deps{
		Registry: reg, Store: st, Auth: authn, Logger: logger, Recorder: accessLog,
		Version: version, MaxBodyBytes: cfg.HTTP.MaxBodyBytes, Clients: exch, Metrics: metrics,
		RateLimit: limits, Writable: members,
	})
	exch.Mount(srv)
	datasets := dataset.New(st, exch, accessLog, logger)
	datasets.Mount(srv, 0)
	cards, err := startCards(ctx, cfg, st, reg, exch, accessLog, srv, single, logger)
	if err != nil {
		return err
	}
	healthBook := mountHealth(st, datasets, cards, exch, reg, accessLog, srv, logger)
	feeds, stopFeeds, err := startFeeds(ctx, cfg, st, exch, accessLog, srv, single, logger)
	if err != nil {
		return err
	}
	defer stopFeeds() // before the access log's and the store's Close
	verifyJobs, err := startVerify(ctx, cfg, st, exch, accessLog, srv, single, logger)
	if err != nil {
		return err
	}
	audithttp.New(accessLog).Mount(srv.API())
	srv.AllowAnonymous(audithttp.PublicRoutes...)
	console := web.New(web.Deps{Registry: reg, Auth: authn, Staff: staff.New(st), Logger: logger, Recorder: accessLog, Tracker: accessLog})
	sender, smsFile := newSMS(cfg)
	apps := &connectedApps{}
	citizens := newEID(cfg, st, reg, accessLog, sender, apps, logger)
	defer citizens.Flush()
	eidweb.Add(console, citizens, logger)
	citizenPortal := portal.New(portal.Deps{EID: citizens, People: reg, Tracker: accessLog, Apps: apps, Linked: linkedData{st}, Logger: logger})
	connect.Add(connect.Deps{Console: console, Exchange: exch, Feeds: feeds, Datasets: datasets, Logger: logger})
	if _, err := mountServices(cfg, st, reg, accessLog, srv, console, servicesSessions{citizens}, servicesSMS(sender), citizenPortal, logger); err != nil {
		return err
	}
	op, err := newOIDC(ctx, cfg, st, reg, accessLog, oidcSessions{citizens}, oidcOrganisations{citizens}, citizenPortal, exchangeIssuer(env.lookupEnv, cfg.Addr), srv.Mux(), logger)
	if err != nil {
		return err
	}
	apps.set(op)
	rpconsole.Add(rpconsole.Deps{Console: console, Provider: op, Logger: logger})
	addDuplicateReview(console, st, reg, accessLog, logger)
	console.AddSection(jobpages.New(jobpages.Deps{Jobs: verifyJobs, Console: console, Logger: logger}).Section())
	console.AddSection(cards.ConsoleSection(console))
	stopStats, err := startStats(ctx, cfg, st, srv, console, metrics, logger)
	if err != nil {
		return err
	}
	defer stopStats() // before the store's Close
	console.Mount(srv.Mux())
	srv.Mux().Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	mountCitizenPages(srv.Mux(), citizenPortal, citizens, healthBook)
	citizenPortal.Mount(srv.Mux())
	var demo demoCitizen
	if cfg.Demo.Enabled {
		if demo, err = provisionDemoCitizen(ctx, citizens, st, reg); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	base := baseURL(ln.Addr())
	logger.Info("serving", "addr", ln.Addr().String(), "store", desc, "version", version)
	printWelcome(stdout, base, generated, cfg)
	printDemoCitizen(stdout, base, demo, smsFile)
	if env.ready != nil {
		env.ready(base)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
	// The signal's context is done; shutdown needs a fresh one to wait for
	// requests in flight.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		<-served
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// How often the access log's lease holders sign a checkpoint and index.
const (
	checkpointEvery = 2 * time.Second
	indexEvery      = time.Second
)

// fillDemo generates the demo population into an empty store.
func fillDemo(ctx context.Context, reg *registry.Registry, st store.Registry, cfg config.Config, stdout io.Writer) error {
	n, err := reg.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(stdout, "Demo: the store already holds %s people; nothing generated.\n", thousands(int(n)))
		return nil
	}
	fmt.Fprintf(stdout, "Demo: generating %s synthetic people (seed %d).\n", thousands(cfg.Demo.Citizens), cfg.Demo.Seed)
	stats, err := generatePopulation(ctx, st, synth.Options{Citizens: cfg.Demo.Citizens, Seed: uint64(cfg.Demo.Seed)}, stdout)
	if err != nil {
		return err
	}
	printStats(stdout, stats)
	return nil
}

// printWelcome tells the operator where things are and how to sign in.
// The admin token goes to stdout, never to the log.
func printWelcome(w io.Writer, base string, generated string, cfg config.Config) {
	fmt.Fprintf(w, "dancu %s listening on %s\n", version, base)
	fmt.Fprintf(w, "  console:  %s/console/\n", base)
	fmt.Fprintf(w, "  REST API: %s/v1/  (OpenAPI: %s/openapi.json)\n", base, base)
	switch {
	case generated != "":
		fmt.Fprintf(w, "Admin token (shown only this once; only its hash is stored):\n  %s\n", generated)
	case !cfg.Demo.Enabled:
	case cfg.AdminToken != "":
		fmt.Fprintln(w, "Admin token: the one in DANCU_ADMIN_TOKEN (or admin_token in the config file).")
	default:
		fmt.Fprintln(w, "Admin token: printed when this data folder was first used; only its hash is stored.")
		fmt.Fprintln(w, "  To set a new one, start with DANCU_ADMIN_TOKEN=<at least 16 characters>.")
	}
}
