package eid

import (
	"context"
	"fmt"
	"testing"

	"github.com/dancu/dancu/internal/credential"
)

// benchEnv is a service with the default (configured) argon2id costs and
// one registered, level-1 account.
func benchEnv(b *testing.B) *env {
	b.Helper()
	st := openSQLite(b)
	e := &env{st: st, c: &clock{t: t0}, sms: &fakeSMS{}, rec: &fakeRecorder{}}
	cfg := DefaultConfig() // credential.DefaultParams: m=19 MiB, t=2, p=1
	e.s = New(Deps{Store: st, Nonces: st, People: people(), SMS: e.sms, Recorder: e.rec, Now: e.c.now}, cfg)
	if _, err := e.s.Provision(context.Background(), pinAdult, testPassword, Level1, "bench"); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkSignIn_Password measures the first step of sign-in — the
// account's look-up, the lock checks, argon2id at the default parameters
// and the pending sign-in's write — from two goroutines per core
// (RunParallel): its reciprocal is the password sign-ins per second the
// server can take.
func BenchmarkSignIn_Password(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			c := Client{Address: fmt.Sprintf("198.51.100.%d", i%250+1)}
			if _, err := e.s.SignIn(ctx, pinAdult, testPassword, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignIn_Full measures a whole sign-in, one at a time: password,
// a code sent by SMS (to a fake gateway) and checked, the session started.
func BenchmarkSignIn_Full(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := e.s.SignIn(ctx, pinAdult, testPassword, browser)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.s.SendSignInCode(ctx, p.ID); err != nil {
			b.Fatal(err)
		}
		e.s.Flush()
		if _, err := e.s.FinishSignIn(ctx, p.ID, MethodSMS, e.sms.lastCode(b), browser); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate measures the check of a session cookie on every
// portal request (a read of the session and the account).
func BenchmarkAuthenticate(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	p, _ := e.s.SignIn(ctx, pinAdult, testPassword, browser)
	e.s.SendSignInCode(ctx, p.ID)
	e.s.Flush()
	sess, err := e.s.FinishSignIn(ctx, p.ID, MethodSMS, e.sms.lastCode(b), browser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.s.Authenticate(ctx, sess.Token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyPassword is argon2id alone at the default parameters.
func BenchmarkVerifyPassword(b *testing.B) {
	h := credential.HashPassword(testPassword, credential.DefaultParams)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, _ := credential.VerifyPassword(h, testPassword, credential.DefaultParams); !ok {
				b.Fatal("not verified")
			}
		}
	})
}
