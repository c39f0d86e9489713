package signals

import (
	"bytes"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// FuzzScanFrames feeds arbitrary bytes to WAL recovery: it must never
// panic, and the valid prefix it reports must re-scan to the same result.
func FuzzScanFrames(f *testing.F) {
	whole, _ := testFrames(&testing.T{}, 2)
	f.Add(whole)
	f.Add(whole[:len(whole)-3])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		valid, err := scanFrames(data, func(walBatch) error { n++; return nil })
		if err != nil || valid < 0 || valid > len(data) {
			t.Fatalf("valid %d of %d, err %v", valid, len(data), err)
		}
		m := 0
		again, _ := scanFrames(data[:valid], func(walBatch) error { m++; return nil })
		if again != valid || m != n {
			t.Fatalf("re-scan of the valid prefix: %d/%d batches, %d/%d bytes", m, n, again, valid)
		}
	})
}

// FuzzSignalBody decodes and validates untrusted signal bodies as the
// server does; whatever passes validation must satisfy the limits.
func FuzzSignalBody(f *testing.F) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Add([]byte(`{"type":"signal","id":"1","body":{"events":[{"id":"a","type":"product_view","sku":"x","t":1767225600000}]}}`))
	f.Add([]byte(`{"type":"signal","body":{"events":[{"id":"a","type":"search_click","sku":"x","t":1767225600000,"rank":3}]}}`))
	f.Add([]byte(`{"type":"signal","body":{"events":[]}}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, werr := wire.DecodeEnvelope(frame)
		if werr != nil {
			return
		}
		var s wire.Signal
		if werr := wire.DecodeBody(env, &s); werr != nil {
			return
		}
		if werr := wire.ValidateSignal(s, now); werr != nil {
			if werr.Code == "" || werr.Message == "" {
				t.Fatalf("error without code or message: %+v", werr)
			}
			return
		}
		if len(s.Events) == 0 || len(s.Events) > wire.MaxEventsPerBatch {
			t.Fatalf("accepted %d events", len(s.Events))
		}
		for _, e := range s.Events {
			if e.ID == "" || len(e.ID) > wire.MaxEventIDBytes || !wire.ValidEventType(e.Type) {
				t.Fatalf("accepted event %+v", e)
			}
		}
	})
}

// FuzzReadObject feeds arbitrary bytes to the shipped-object reader.
func FuzzReadObject(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b})
	var b bytes.Buffer
	b.ReadFrom(gzipped([]byte(`{"type":"zoom","event_id":"x","consent":"analytics","received_ms":1}` + "\n")))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadObject(bytes.NewReader(data), func(Record) error { return nil })
	})
}
