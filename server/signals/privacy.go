package signals

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// Subject names whose data Export and Erase act on: a session (with every
// session it was rotated from, see Link) and, optionally, a merchant user
// id.
type Subject struct {
	Session string
	UserID  string
}

// EraseResult is the outcome of Erase.
type EraseResult struct {
	// Erased counts the stored events that matched.
	Erased int
	// CompleteBy is when no stored object holds them any more.
	CompleteBy time.Time
}

// erasure is a pending erasure: every record of these pseudonyms received
// at or before CutoffMS must leave storage by DeadlineMS. Pending erasures
// are kept in erasuresFile so a restart finishes them.
type erasure struct {
	ID         int64    `json:"id"`
	Pseudonyms []string `json:"p"`
	CutoffMS   int64    `json:"cutoff_ms"`
	DeadlineMS int64    `json:"deadline_ms"`
}

const erasuresFile = "erasures.json"

// erasureFilter answers whether a record is erased: its session or user
// pseudonym has a pending erasure whose cutoff is not before the record.
type erasureFilter map[string]int64

func (f erasureFilter) erased(r Record) bool {
	if len(f) == 0 {
		return false
	}
	if c, ok := f[r.Session]; ok && r.Session != "" && r.ReceivedMS <= c {
		return true
	}
	if c, ok := f[r.User]; ok && r.User != "" && r.ReceivedMS <= c {
		return true
	}
	return false
}

// erasureFilter builds the filter of the pending erasures; l.mu is held.
func (l *Log) erasureFilter() erasureFilter {
	f := erasureFilter{}
	for _, e := range l.erasures {
		for _, p := range e.Pseudonyms {
			if e.CutoffMS > f[p] {
				f[p] = e.CutoffMS
			}
		}
	}
	return f
}

func (l *Log) loadErasures() error {
	data, err := os.ReadFile(filepath.Join(l.opt.Dir, erasuresFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("signals: reading pending erasures: %w", err)
	}
	if err := json.Unmarshal(data, &l.erasures); err != nil {
		return fmt.Errorf("signals: decoding pending erasures: %w", err)
	}
	return nil
}

// saveErasuresLocked writes the pending erasures; l.mu is held.
func (l *Log) saveErasuresLocked() error {
	data, err := json.Marshal(l.erasures)
	if err != nil {
		return fmt.Errorf("signals: encoding pending erasures: %w", err)
	}
	return writeFileAtomic(filepath.Join(l.opt.Dir, erasuresFile), data, 0o600)
}

// link is a rotation link object: the pseudonyms of the sessions a session
// was rotated from, newest first.
type link struct {
	Prev      []string `json:"prev"`
	UpdatedMS int64    `json:"updated_ms"`
}

// maxLinkedSessions bounds the rotation chain kept per session.
const maxLinkedSessions = 256

func linkKey(sessionP string) string { return LinksPrefix + sessionP + ".json" }

func (l *Log) readLink(ctx context.Context, key string) (*link, error) {
	rc, _, err := l.opt.Store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signals: reading link %s: %w", key, err)
	}
	defer rc.Close()
	data, err := limitedReadAll(rc, 64<<10)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signals: reading link %s: %w", key, err)
	}
	var lk link
	if err := json.Unmarshal(data, &lk); err != nil {
		return nil, fmt.Errorf("signals: decoding link %s: %w", key, err)
	}
	return &lk, nil
}

// Link records that session newSession replaces oldSession (the server
// rotated the pseudonymous id). The link is used only to find the old
// sessions' events for Export and Erase; it is stored as pseudonyms, never
// the ids, and is itself erased with them and expires with Retention.
func (l *Log) Link(ctx context.Context, oldSession, newSession string) error {
	if oldSession == "" || newSession == "" || oldSession == newSession {
		return fmt.Errorf("signals: link: need two different session ids")
	}
	pOld, pNew := l.pseudo.Session(oldSession), l.pseudo.Session(newSession)
	prev := []string{pOld}
	old, err := l.readLink(ctx, linkKey(pOld))
	if err != nil {
		return err
	}
	if old != nil {
		prev = append(prev, old.Prev...)
	}
	if cur, err := l.readLink(ctx, linkKey(pNew)); err != nil {
		return err
	} else if cur != nil {
		prev = append(prev, cur.Prev...)
	}
	seen := map[string]bool{pNew: true}
	prev = slices.DeleteFunc(prev, func(p string) bool {
		if seen[p] {
			return true
		}
		seen[p] = true
		return false
	})
	if len(prev) > maxLinkedSessions {
		prev = prev[:maxLinkedSessions]
	}
	data, err := json.Marshal(link{Prev: prev, UpdatedMS: l.opt.Now().UnixMilli()})
	if err != nil {
		return fmt.Errorf("signals: encoding link: %w", err)
	}
	if err := l.opt.Store.Put(ctx, linkKey(pNew), bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("signals: storing link: %w", err)
	}
	return nil
}

// pseudonyms returns the pseudonyms of a subject: its session, the
// sessions it was rotated from and its user.
func (l *Log) pseudonyms(ctx context.Context, s Subject) (map[string]bool, error) {
	if s.Session == "" && s.UserID == "" {
		return nil, errors.New("signals: subject has neither session nor user id")
	}
	set := map[string]bool{}
	if s.Session != "" {
		p := l.pseudo.Session(s.Session)
		set[p] = true
		lk, err := l.readLink(ctx, linkKey(p))
		if err != nil {
			return nil, err
		}
		if lk != nil {
			for _, q := range lk.Prev {
				set[q] = true
			}
		}
	}
	if s.UserID != "" {
		set[l.pseudo.User(s.UserID)] = true
	}
	return set, nil
}

// scanSubject calls fn with every stored, not erased record of the subject:
// in local segments and in shipped objects. A record can be seen twice
// while it moves from a segment to the store; fn deduplicates.
func (l *Log) scanSubject(ctx context.Context, set map[string]bool, fn func(Record)) error {
	l.mu.Lock()
	filter := l.erasureFilter()
	paths := make([]string, 0, len(l.closedSegs)+1)
	for _, s := range l.closedSegs {
		paths = append(paths, s.path)
	}
	if l.activePath != "" {
		paths = append(paths, l.activePath)
	}
	l.mu.Unlock()
	match := func(r Record) {
		if (set[r.Session] || set[r.User]) && !filter.erased(r) {
			fn(r)
		}
	}
	for _, p := range paths {
		_, _, err := readSegment(p, func(b walBatch) error {
			for _, r := range b.Records {
				match(r)
			}
			return nil
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return l.forEachObject(ctx, false, func(key string, _ time.Time, _ string, _ int) error {
		return l.readStoredObject(ctx, key, func(r Record) error {
			match(r)
			return nil
		})
	})
}

type recordKey struct {
	session, id string
	received    int64
}

// Export returns every stored event of the subject that is not erased,
// oldest first, at most wire.MaxExportEvents (the newest; truncated
// reports whether any were left out). It reads the local segments and every
// shipped object, so its cost grows with the retained data.
func (l *Log) Export(ctx context.Context, s Subject) (events []wire.ExportedEvent, truncated bool, err error) {
	set, err := l.pseudonyms(ctx, s)
	if err != nil {
		return nil, false, fmt.Errorf("signals: export: %w", err)
	}
	seen := map[recordKey]bool{}
	var recs []Record
	err = l.scanSubject(ctx, set, func(r Record) {
		k := recordKey{r.Session, r.EventID, r.ReceivedMS}
		if !seen[k] {
			seen[k] = true
			recs = append(recs, r)
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("signals: export: %w", err)
	}
	slices.SortStableFunc(recs, func(a, b Record) int {
		if a.ReceivedMS != b.ReceivedMS {
			return int(a.ReceivedMS - b.ReceivedMS)
		}
		return int(a.T - b.T)
	})
	if len(recs) > wire.MaxExportEvents {
		recs, truncated = recs[len(recs)-wire.MaxExportEvents:], true
	}
	events = make([]wire.ExportedEvent, len(recs))
	for i, r := range recs {
		events[i] = wire.ExportedEvent{Event: r.Event(), Consent: r.Consent, ReceivedMS: r.ReceivedMS}
	}
	return events, truncated, nil
}

// Erase removes the subject's events: from Export and every read at once,
// and from storage within Options.EraseDelay (the active segment is rolled,
// local segments are shipped without them, and every shipped object that
// holds them is rewritten without them). The rotation links of the subject
// are deleted too. Events the session sends after Erase are stored as
// usual under its consent.
func (l *Log) Erase(ctx context.Context, s Subject) (EraseResult, error) {
	if l.closed.Load() {
		return EraseResult{}, ErrClosed
	}
	set, err := l.pseudonyms(ctx, s)
	if err != nil {
		return EraseResult{}, fmt.Errorf("signals: erase: %w", err)
	}
	now := l.opt.Now()
	seen := map[recordKey]bool{}
	if err := l.scanSubject(ctx, set, func(r Record) { seen[recordKey{r.Session, r.EventID, r.ReceivedMS}] = true }); err != nil {
		return EraseResult{}, fmt.Errorf("signals: erase: %w", err)
	}
	e := erasure{ID: now.UnixNano(), CutoffMS: now.UnixMilli(), DeadlineMS: now.Add(l.opt.EraseDelay).UnixMilli()}
	for p := range set {
		e.Pseudonyms = append(e.Pseudonyms, p)
	}
	slices.Sort(e.Pseudonyms)
	l.mu.Lock()
	for _, o := range l.erasures {
		if o.ID >= e.ID {
			e.ID = o.ID + 1
		}
	}
	l.erasures = append(l.erasures, e)
	err = l.saveErasuresLocked()
	if err != nil {
		l.erasures = l.erasures[:len(l.erasures)-1]
	}
	l.mu.Unlock()
	if err != nil {
		return EraseResult{}, fmt.Errorf("signals: erase: %w", err)
	}
	l.rollWanted.Store(true)
	select {
	case l.rolls <- make(chan error, 1): // roll now if the writer is idle
	default: // otherwise at its next tick
	}
	l.wake()
	return EraseResult{Erased: len(seen), CompleteBy: time.UnixMilli(e.DeadlineMS)}, nil
}

// processErasures rewrites every shipped object holding erased records,
// deletes the erased rotation links and retires the erasures that no
// local segment can still hold.
func (l *Log) processErasures(ctx context.Context) error {
	l.mu.Lock()
	pending := slices.Clone(l.erasures)
	filter := l.erasureFilter()
	l.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := l.forEachObject(ctx, true, func(key string, hour time.Time, base string, rev int) error {
		return l.rewriteObject(ctx, key, hour, base, rev, filter)
	})
	if err != nil {
		return err
	}
	for _, e := range pending {
		for _, p := range e.Pseudonyms {
			if err := l.opt.Store.Delete(ctx, linkKey(p)); err != nil {
				return fmt.Errorf("signals: erasing link of %s: %w", p, err)
			}
		}
	}
	now := l.opt.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	done := map[int64]bool{}
	for _, e := range pending {
		held := false
		for _, s := range l.closedSegs {
			if s.created.UnixMilli() <= e.CutoffMS {
				held = true
			}
		}
		if l.activeBytes > 0 && l.activeCreated.UnixMilli() <= e.CutoffMS {
			held = true
			l.rollWanted.Store(true)
		}
		if !held {
			done[e.ID] = true
			l.log.Info("erasure complete", "erasure", e.ID, "took", now.Sub(time.UnixMilli(e.CutoffMS)).Round(time.Millisecond))
		} else if now.UnixMilli() > e.DeadlineMS {
			l.log.Error("erasure is overdue", "erasure", e.ID, "deadline", time.UnixMilli(e.DeadlineMS))
		}
	}
	if len(done) == 0 {
		return nil
	}
	before := l.erasures
	l.erasures = slices.DeleteFunc(slices.Clone(l.erasures), func(e erasure) bool { return done[e.ID] })
	if err := l.saveErasuresLocked(); err != nil {
		l.erasures = before
		return err
	}
	return nil
}

// rewriteObject replaces a shipped object holding erased records by its
// next revision without them (or deletes it when nothing is left), then
// deletes the old revision.
func (l *Log) rewriteObject(ctx context.Context, key string, hour time.Time, base string, rev int, filter erasureFilter) error {
	rc, _, err := l.opt.Store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("signals: erasure: reading %s: %w", key, err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	kept, dropped := 0, 0
	err = scanObject(rc, func(line []byte) error {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("decoding record: %w", err)
		}
		if filter.erased(r) {
			dropped++
			return nil
		}
		kept++
		zw.Write(line)
		_, err := zw.Write([]byte{'\n'})
		return err
	})
	rc.Close()
	if errors.Is(err, blob.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("signals: erasure: reading %s: %w", key, err)
	}
	if dropped == 0 {
		return nil
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("signals: erasure: compressing %s: %w", key, err)
	}
	if kept > 0 {
		next := objectKey(EventsPrefix, hour, base, rev+1)
		if err := l.opt.Store.Put(ctx, next, bytes.NewReader(out.Bytes()), int64(out.Len()), blob.PutOptions{ContentType: "application/gzip"}); err != nil {
			return fmt.Errorf("signals: erasure: writing %s: %w", next, err)
		}
	}
	if err := l.opt.Store.Delete(ctx, key); err != nil {
		return fmt.Errorf("signals: erasure: deleting %s: %w", key, err)
	}
	l.rewritten.Add(1)
	return nil
}

// Held explains, in the words the "your data" page shows, what is kept
// about a shopper at a consent level and why.
func Held(consent string) []string {
	switch consent {
	case wire.ConsentPersonalisation:
		return []string{
			"The products you view and what you do with them (rotate, zoom, place in your room, try on, add to cart, buy), with times, under a pseudonym of this session: to recommend products for you and to improve the shop.",
			"Your shop account id, as a pseudonym, if you are signed in: to recommend across your devices.",
			"Never your IP address or your photos.",
		}
	case wire.ConsentAnalytics:
		return []string{
			"The products you view and what you do with them, with times, under a pseudonym of this session: to improve the shop and its recommendations for everyone. Your recommendations do not use your history.",
			"Never your account id, IP address or photos.",
		}
	default:
		return []string{
			"Only anonymous counts of how often each product is viewed or bought, per hour, with nothing that identifies you.",
		}
	}
}
