package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"taskapi"
)

// Store keeps the counters, shared by every instance (store.DB).
// UpdateAttempts reads the counters of keys (a zero counter for a missing
// or expired one), passes them to update and writes back what it returns
// when it says so, atomically: no other update of those keys runs in
// between, in this process or another.
type Store interface {
	UpdateAttempts(ctx context.Context, keys []string, now time.Time, update func(current []taskapi.AttemptCounter) ([]taskapi.AttemptCounter, bool)) error
}

// Policy says which keys one kind of attempt is counted under. A rule
// with Max 0 is not applied.
type Policy struct {
	// Scope prefixes every key ("login", "register"), so that kinds of
	// attempt never share a count.
	Scope string
	// Pair limits one account from one client address: the lockout. It
	// binds the pair, so that the owner elsewhere is not locked out.
	Pair Rule
	// Account limits one account from every address together; give it a
	// Backoff, so that many addresses are slowed down, not the owner
	// locked out.
	Account Rule
	// Client limits one client address (an IPv6 /64) across accounts:
	// spraying.
	Client Rule
	// KnownFor, when positive, is how long a client address that logged
	// in to an account successfully is exempt from the Account rule for
	// that account (the Pair and Client rules still apply): the owner's
	// usual address is not slowed down by a botnet guessing the account.
	KnownFor time.Duration
}

// Throttle counts attempts under a Policy. It is safe for concurrent use.
type Throttle struct {
	store  Store
	policy Policy
	now    func() time.Time
	log    *slog.Logger

	// refused remembers recent refusals of pair and client keys, for at
	// most refusalMemory, so that a flood from a blocked address or at a
	// locked pair is answered without a database round trip each. Only
	// refusals are remembered: the database stays the only thing that
	// allows an attempt.
	mu      sync.Mutex
	refused *lru.Cache[string, refusal]
}

// refusal is a remembered refusal: the key may not try before until; it
// is asked of the database again after recheck.
type refusal struct{ until, recheck time.Time }

// refusalMemory bounds how long a refusal is answered from memory: a give
// back on another instance (an attempt in flight there succeeded) is seen
// at most this late.
const refusalMemory = time.Second

// refusalsKept bounds the memory of refusals; a key forgotten costs one
// database round trip, nothing else.
const refusalsKept = 100_000

// New returns a Throttle counting in store under p; now is its clock, log
// where it reports the counts it could not give back.
func New(store Store, p Policy, now func() time.Time, log *slog.Logger) *Throttle {
	refused, _ := lru.New[string, refusal](refusalsKept)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Throttle{store: store, policy: p, now: now, log: log, refused: refused}
}

// keys of one attempt; "" where the policy does not count it.
type keys struct{ pair, account, client, known string }

func (t *Throttle) keys(account, client string) keys {
	p := t.policy
	var k keys
	if account != "" {
		account = AccountKey(account)
	}
	if client != "" {
		client = AddressKey(client)
	}
	if account != "" && client != "" {
		if p.Pair.Max > 0 {
			k.pair = p.Scope + "/pair:" + account + "|" + client
		}
		if p.KnownFor > 0 && p.Account.Max > 0 {
			k.known = p.Scope + "/known:" + account + "|" + client
		}
	}
	if account != "" && p.Account.Max > 0 {
		k.account = p.Scope + "/account:" + account
	}
	if client != "" && p.Client.Max > 0 {
		k.client = p.Scope + "/client:" + client
	}
	return k
}

// list is the non-empty keys, in a fixed order: pair, account, client, known.
func (k keys) list() []string {
	var out []string
	for _, s := range []string{k.pair, k.account, k.client, k.known} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Reserve counts one attempt of account from client (either may be "":
// not counted under the rules that need it) under every rule of the
// policy, or under none: it returns zero, or how long until the attempt
// would be allowed. Call it before the costly work and Release after,
// unless the attempt failed (a wrong password stays counted).
func (t *Throttle) Reserve(ctx context.Context, account, client string) (time.Duration, error) {
	k := t.keys(account, client)
	list := k.list()
	if len(list) == 0 {
		return 0, nil
	}
	now := t.now()
	if wait := t.remembered(now, k.pair, k.client); wait > 0 {
		return wait, nil
	}
	p := t.policy
	var wait time.Duration
	var refusedBy []string
	err := t.store.UpdateAttempts(ctx, list, now, func(cur []taskapi.AttemptCounter) ([]taskapi.AttemptCounter, bool) {
		wait, refusedBy = 0, nil
		next := make([]taskapi.AttemptCounter, len(cur))
		known := false
		for i, c := range cur {
			if c.Key == k.known && c.Attempts > 0 {
				known = true
			}
			next[i] = c
		}
		for i, c := range cur {
			var rule Rule
			switch c.Key {
			case k.pair:
				rule = p.Pair
			case k.account:
				if known {
					continue
				}
				rule = p.Account
			case k.client:
				rule = p.Client
			default:
				continue
			}
			var w time.Duration
			if next[i], w = rule.take(c, now); w > 0 {
				wait = max(wait, w)
				if c.Key != k.account { // an account refusal may not apply to its known addresses
					refusedBy = append(refusedBy, c.Key)
				}
			}
		}
		return next, wait == 0
	})
	if err != nil {
		return 0, err
	}
	if wait > 0 {
		t.remember(now, wait, refusedBy)
	}
	return wait, nil
}

// Release settles an attempt Reserve counted. succeeded: the password was
// right, so the pair's earlier failures are forgiven, the account and the
// address get their attempt back, and the address becomes known to the
// account. Otherwise nothing was checked (bcrypt busy, database down):
// every count gets its attempt back. A failure to write is logged and
// leaves the attempt counted, which errs on the safe side.
func (t *Throttle) Release(ctx context.Context, account, client string, succeeded bool) {
	k := t.keys(account, client)
	list := k.list()
	if len(list) == 0 {
		return
	}
	now := t.now()
	p := t.policy
	err := t.store.UpdateAttempts(ctx, list, now, func(cur []taskapi.AttemptCounter) ([]taskapi.AttemptCounter, bool) {
		next := make([]taskapi.AttemptCounter, len(cur))
		known := false // then Reserve did not count the attempt on the account
		for _, c := range cur {
			if c.Key == k.known && c.Attempts > 0 {
				known = true
			}
		}
		for i, c := range cur {
			switch c.Key {
			case k.pair:
				if succeeded {
					c = taskapi.AttemptCounter{Key: c.Key} // expired: deleted
				} else {
					c = p.Pair.give(c, now)
				}
			case k.account:
				if !known {
					c = p.Account.give(c, now)
				}
			case k.client:
				c = p.Client.give(c, now)
			case k.known:
				if succeeded {
					c = taskapi.AttemptCounter{Key: c.Key, Attempts: 1, WindowStart: now, NextAt: now, ExpiresAt: now.Add(p.KnownFor)}
				}
			}
			next[i] = c
		}
		return next, true
	})
	if err != nil {
		t.log.LogAttrs(ctx, slog.LevelWarn, "attempt not given back", slog.String("scope", p.Scope), slog.Any("error", err))
	}
}

// remembered is how long a remembered refusal of one of keys has left to
// run, or zero.
func (t *Throttle) remembered(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if k == "" {
			continue
		}
		if r, ok := t.refused.Get(k); ok {
			if now.Before(r.recheck) {
				wait = max(wait, r.until.Sub(now))
			} else {
				t.refused.Remove(k)
			}
		}
	}
	return wait
}

func (t *Throttle) remember(now time.Time, wait time.Duration, keys []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := refusal{until: now.Add(wait), recheck: now.Add(min(wait, refusalMemory))}
	for _, k := range keys {
		t.refused.Add(k, r)
	}
}

// longestAccountKey bounds the bytes of an account name in a key: a
// login may name anything, and no request may make a long key.
const longestAccountKey = 64

// AccountKey is how an account name appears in keys: as given (callers
// pass it in lower case), or, when longer than longestAccountKey bytes
// (no such account exists: names are at most 50 characters), a hash.
func AccountKey(name string) string {
	if len(name) <= longestAccountKey {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "#" + hex.EncodeToString(sum[:])
}

// AddressKey is how a client address is counted: an IPv4 address as
// itself, an IPv6 address as its /64 (one customer's network, which holds
// 2^64 addresses), anything else as given.
func AddressKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil {
		return addr
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
