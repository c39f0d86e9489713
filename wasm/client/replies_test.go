package client

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Requests answered by a message of another type (signal → signal.ack,
// recs.get → recs.results) are matched by id and decoded; a reply of any
// other type is still an error.
func TestCallAcceptsTheProtocolsReplyTypes(t *testing.T) {
	answer := map[string]string{
		wire.TypeSignal:        wire.TypeSignalAck,
		wire.TypeRecsGet:       wire.TypeRecsResults,
		wire.TypePrivacyExport: wire.TypePrivacyExport,
		wire.TypeConsentUpdate: wire.TypeSignalAck, // wrong on purpose
	}
	dial := func(ctx context.Context) (Conn, error) {
		c, srv := pipe()
		go func() {
			defer srv.Close()
			for {
				f, err := srv.Recv(context.Background())
				if err != nil {
					return
				}
				env, _ := wire.DecodeEnvelope(f.Data)
				var body any = wire.HelloReply{Version: wire.Version, Session: "s"}
				typ := env.Type
				switch env.Type {
				case wire.TypeSignal:
					body = wire.SignalAck{IDs: []string{"e1"}}
				case wire.TypeRecsGet:
					body = wire.RecsResults{Slot: "home", Items: []wire.RecItem{{SKU: "chair", Reason: "popular in chairs", Kind: "popular"}}}
				case wire.TypePrivacyExport:
					body = wire.PrivacyExportReply{Consent: "none", Events: []wire.ExportedEvent{}}
				case wire.TypeConsentUpdate:
					body = wire.SignalAck{}
				}
				if a, ok := answer[env.Type]; ok {
					typ = a
				}
				frame, _ := wire.Encode(typ, env.ID, body)
				_ = srv.Send(context.Background(), Frame{Data: frame})
			}
		}()
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := New(Options{Backoff: func(int) time.Duration { return time.Millisecond }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, dial) }()
	defer func() { cancel(); <-done }()

	var ack wire.SignalAck
	if err := c.Call(ctx, wire.TypeSignal, wire.Signal{Events: []wire.Event{{ID: "e1", Type: "rotate", SKU: "chair", T: 1}}}, &ack); err != nil || len(ack.IDs) != 1 {
		t.Errorf("signal: %+v, %v", ack, err)
	}
	var recs wire.RecsResults
	if err := c.Call(ctx, wire.TypeRecsGet, wire.RecsGet{Slot: "home"}, &recs); err != nil || len(recs.Items) != 1 {
		t.Errorf("recs.get: %+v, %v", recs, err)
	}
	var export wire.PrivacyExportReply
	if err := c.Call(ctx, wire.TypePrivacyExport, struct{}{}, &export); err != nil || export.Consent != "none" {
		t.Errorf("privacy.export: %+v, %v", export, err)
	}
	err := c.Call(ctx, wire.TypeConsentUpdate, wire.ConsentUpdate{Consent: "none"}, nil)
	var werr *wire.Error
	if err == nil || errors.As(err, &werr) {
		t.Errorf("consent.update answered with signal.ack: err = %v, want a mismatch error", err)
	}
}
